"""Real Daphne processes for multi-process tests (and bench/).

``live_daphne_pair`` (a fixture in tests/conftest.py) starts two Daphne
workers on free loopback ports that share the test database and one Redis,
the way two production workers behind nginx do. Tests then talk to them with
real clients (``websockets``, ``httpx``) and publish from the test process
through the same channel layer.

On SQLite the in-memory test database is copied to a file for the test's
duration (``shared_test_database``), since a subprocess cannot see memory.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
# The same limits as production (Makefile, docker/compose.yml).
DAPHNE_ARGS = ["--websocket-max-message-size", "65536", "--websocket-max-frame-size", "65536"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class DaphneProcess:
    port: int
    process: subprocess.Popen
    log_path: Path
    env: dict = field(repr=False)

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

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_daphne(
    env: dict, log_dir: Path, name: str = "daphne", timeout: float = 40
) -> DaphneProcess:
    """Start ``daphne asgi:application`` on a free loopback port and wait until it answers."""
    port = free_port()
    log_path = Path(log_dir) / f"{name}-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *DAPHNE_ARGS,
         "asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = DaphneProcess(port, process, log_path, env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log()}")
        try:
            httpx.get(f"{server.http_url}/healthz", timeout=2)
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer within {timeout}s:\n{server.log()}")


def shared_database_url(settings_dict: dict) -> str:
    """DATABASE_URL of the PostgreSQL database this test process uses (the test database)."""
    url = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(url._replace(path="/" + settings_dict["NAME"]))


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

    PostgreSQL: the test database itself. SQLite: pytest-django keeps the test
    database in memory, visible to this process only, so it is copied to a
    file and this process is moved onto the copy until the block ends (the
    in-memory database is kept alive and untouched meanwhile).
    """
    if connection.vendor == "postgresql":
        yield shared_database_url(connection.settings_dict)
        _close_async_orm_thread()
        return
    if connection.vendor != "sqlite":
        raise RuntimeError(f"no shared test database for {connection.vendor}")
    import sqlite3

    from django.db.backends.base.base import BaseDatabaseWrapper

    memory_name = connection.settings_dict["NAME"]
    path = Path(tmp_path) / "shared-test.sqlite3"
    keeper = None
    if connection.is_in_memory_db():
        keeper = sqlite3.connect(memory_name, uri=True)  # keeps the memory database alive
        with sqlite3.connect(path) as target:
            keeper.backup(target)
        target.close()
        # Django never closes an in-memory SQLite connection; this one must go.
        BaseDatabaseWrapper.close(connection)
        connection.settings_dict["NAME"] = str(path)
    else:
        path = Path(memory_name)
    try:
        yield f"sqlite:///{path}"
    finally:
        _close_async_orm_thread()
        if keeper is not None:
            connection.close()
            connection.settings_dict["NAME"] = memory_name
            connection.ensure_connection()
            keeper.close()


def worker_env(
    *, database_url: str, redis_url: str, prefix: str, secret_key: str, var_dir: Path, **extra
) -> dict:
    """Environment of a worker that shares this test process's data and channel layer."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "S3_", "COLLAB_", "PYTEST", "CHANNEL_LAYER"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="collab.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CHANNEL_LAYER_PREFIX=prefix,
        # Sessions made here must be valid there: same key, same session table.
        DJANGO_SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        COLLAB_VAR_DIR=str(var_dir),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def unique_prefix(label: str = "mp") -> str:
    # Redis pub/sub channels ignore the database number: a unique prefix keeps
    # concurrent runs (other helpers, CI jobs) from hearing each other.
    return f"{label}{uuid.uuid4().hex[:10]}"
