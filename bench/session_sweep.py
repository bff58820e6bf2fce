"""Cost of checking the logins behind open sockets (collab/session_guard.py).

    .venv/bin/python bench/session_sweep.py [--sockets 100 1000 5000] [--rounds 20]

Creates its own PostgreSQL database (dropped at the end) on the server of
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrates
it, makes one user and one real login session (Django's db session engine)
per socket, then prints, for each socket count:

- one sweep: ``check_many`` over every login (the batch each worker runs every
  SESSION_SWEEP_SECONDS), p50 / max over the rounds, and its queries: without
  a memo (a worker's first sweep: every session's signature checked) and with
  the sweeper's memo of the previous sweep (unchanged sessions not decoded again);
- one action's check: ``check`` of a single login (what every socket action
  pays before it runs), p50 / max.

Wall times and this process's CPU time (the Python side of the cost; the
queries' cost is PostgreSQL's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def create_database(server_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(urlparse(server_url)._replace(path="/" + name))


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def timed(func, rounds: int) -> tuple[float, float, float]:
    """p50 and max wall time, p50 CPU time of this process (ms): on a shared
    machine the CPU time says more about the cost than the wall time."""
    samples, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(samples), max(samples), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_sessions_{uuid.uuid4().hex[:8]}"
    url = create_database(server, name)
    try:
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "collab.settings"}
        env.pop("REDIS_URL", None)
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                       cwd=ROOT, env=env, check=True, timeout=300)
        os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="collab.settings")
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server, name)


def run(args) -> None:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from collab import session_guard
    from collab.models import Directorate, User

    directorate = Directorate.objects.create(code="b", name_ar="ب", name_fr="B", kind="central")
    password = make_password("Bench-pass-123")
    logins: list = []
    for count in sorted(args.sockets):
        # Signals (chat membership) are not what is measured: bulk-create.
        start = len(logins)
        users = User.objects.bulk_create(
            User(username=f"bench{n}", password=password, directorate=directorate)
            for n in range(start, count)
        )
        for user in users:
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            logins.append(session_guard.Login(session.session_key, user.pk))
        assert session_guard.check_many(logins) == {}
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            session_guard.check_many(logins)
        sweep = timed(lambda: session_guard.check_many(logins), args.rounds)
        memo = session_guard.Memo()
        session_guard.check_many(logins, memo)
        swept = timed(lambda memo=memo: session_guard.check_many(logins, memo), args.rounds)
        one = timed(lambda: session_guard.check(logins[-1]), args.rounds * 5)
        print(f"{count:>5} sockets ({len(queries)} queries): first sweep p50 {sweep[0]:6.1f} ms "
              f"(CPU {sweep[2]:6.1f}) max {sweep[1]:6.1f} | next sweeps p50 {swept[0]:6.1f} ms "
              f"(CPU {swept[2]:6.1f}) max {swept[1]:6.1f} | one action's check p50 "
              f"{one[0]:.2f} ms (CPU {one[2]:.2f}) max {one[1]:.2f}")


if __name__ == "__main__":
    main()
