"""A small self-contained live Daphne for the announcements browser test.

The shared e2e harness (tests/e2e) is written on another branch; this fixture
stands alone: a fresh SQLite file database and file store in a temporary
directory, migrated and seeded through manage.py, one Daphne process on a free
loopback port, stopped (and its data removed) at the end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]

SEED = r"""
import json
from collab.models import Directorate, User
make = Directorate.objects.create
central = make(code="dcom", name_ar="مديرية التواصل", name_fr="Communication", kind="central")
casa = make(code="cas", name_ar="الدار البيضاء سطات", name_fr="Casablanca", kind="regional")
fes = make(code="fme", name_ar="فاس مكناس", name_fr="Fès-Meknès", kind="regional")
people = {}
for username, directorate, role in [("officer", central, "communication_officer"),
                                    ("casa", casa, "staff"), ("fes", fes, "staff")]:
    user = User(username=username, first_name=username.title(), last_name="Test",
                directorate=directorate, role=role)
    user.set_password("E2e-pass-2026")
    user.save()
    people[username] = user.pk
print(json.dumps({"casa_directorate": casa.pk, "fes_directorate": fes.pk, **people}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.env = {
            **os.environ,
            "COLLAB_VAR_DIR": str(workdir),
            "DJANGO_SETTINGS_MODULE": "collab.settings",
            "LOG_LEVEL": "WARNING",
        }
        # Its own SQLite file: independent of the test run's database.
        self.env.pop("DATABASE_URL", None)
        self.env.pop("S3_ENDPOINT", None)
        # A single Daphne: the in-memory layer delivers between its sockets; with
        # REDIS_URL set (CI) the real Redis layer is used, under its own prefix.
        self.env["CHANNEL_LAYER_PREFIX"] = f"e2e-ann-{os.getpid()}"
        self.process = None
        self.url = ""
        self.ids: dict = {}

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=300,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def start(self) -> LiveServer:
        self.manage("migrate", "--no-input", "-v", "0")
        self.ids = json.loads(self.manage("shell", "-c", SEED).strip().splitlines()[-1])
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(self.workdir / "daphne.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "tests.announcements.live_asgi:application"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("daphne exited: " + (self.workdir / "daphne.log").read_text())
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code < 500:
                    return self
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("daphne did not start in 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if getattr(self, "log", None):
            self.log.close()
