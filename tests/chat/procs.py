"""A small multi-process stage for chat tests: our own redis-server, a SQLite
file, N Daphne processes, all on free ports and stopped afterwards.

It never touches the machine's shared Redis (6379): the restart test stops
and starts the redis-server it started itself.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DAPHNE = str(Path(sys.executable).with_name("daphne"))

SETUP = """
import json
from django.test import Client
from collab.models import Directorate, User
from django.contrib.auth.hashers import make_password
d1 = Directorate.objects.create(code="mp1", name_ar="م1", name_fr="Direction 1", kind="central")
d2 = Directorate.objects.create(code="mp2", name_ar="م2", name_fr="Direction 2", kind="central")
out = {"channels": {}, "users": {}}
for name, d in (("alice", d1), ("bob", d1), ("carol", d2)):
    u = User.objects.create(username=name, directorate=d, password=make_password(None))
    c = Client()
    c.force_login(u)
    out["users"][name] = {"id": u.pk, "session": c.cookies["sessionid"].value}
out["channels"]["d1"] = d1.chat_channel.pk
out["channels"]["d2"] = d2.chat_channel.pk
print("SETUP" + json.dumps(out))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout=30.0, what="service"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start in {timeout:.0f} s")


class RedisServer:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        def ping():
            with socket.create_connection(("127.0.0.1", self.port), 1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        wait_for(ping, what="redis-server")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


class Stage:
    """Redis + a migrated SQLite file + Daphne processes sharing them."""

    def __init__(self, workdir: Path, daphnes: int = 2):
        self.workdir = workdir
        self.redis = RedisServer(workdir)
        self.count = daphnes
        self.daphnes: list[tuple[int, subprocess.Popen]] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "COLLAB_VAR_DIR": str(workdir / "var"),
            "CHANNEL_LAYER_PREFIX": f"chatmp{os.getpid()}",
            "DJANGO_SETTINGS_MODULE": "collab.settings",
            "DJANGO_DEBUG": "0",
        }
        self.env.pop("CI", None)
        self.data: dict = {}

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, input=stdin,
            capture_output=True, text=True, timeout=240,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed: {result.stderr[-2000:]}")
        return result.stdout

    def start(self):
        self.redis.start()
        self.env["REDIS_URL"] = self.redis.url
        self.manage("migrate", "--no-input", "-v", "0")
        out = self.manage("shell", stdin=SETUP)
        self.data = json.loads(out.split("SETUP", 1)[1].strip().splitlines()[0])
        for _ in range(self.count):
            self.daphnes.append(self._daphne(free_port()))
        for port, _proc in self.daphnes:
            self._wait_daphne(port)

    def _daphne(self, port: int) -> tuple[int, subprocess.Popen]:
        log = open(self.workdir / f"daphne-{port}.log", "a")  # noqa: SIM115
        proc = subprocess.Popen(
            [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "asgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        return port, proc

    def _wait_daphne(self, port: int) -> None:
        # Any answer means Daphne is serving (healthz may say "degraded": no S3 here).
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                 .status_code > 0, timeout=60, what=f"daphne on {port}")

    def stop_daphne(self, index: int) -> None:
        _port, proc = self.daphnes[index]
        proc.terminate()
        proc.wait(10)

    def start_daphne(self, index: int) -> None:
        """Start again on the same port (a restarted process behind the same address)."""
        port, _proc = self.daphnes[index]
        self.daphnes[index] = self._daphne(port)
        self._wait_daphne(port)

    def stop(self):
        for _port, proc in self.daphnes:
            if proc.poll() is None:
                proc.terminate()
        for _port, proc in self.daphnes:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.daphnes = []
        self.redis.stop()

    def ws_url(self, index: int) -> str:
        return f"ws://127.0.0.1:{self.daphnes[index][0]}/ws/"

    def origin(self, index: int) -> str:
        return f"http://127.0.0.1:{self.daphnes[index][0]}"
