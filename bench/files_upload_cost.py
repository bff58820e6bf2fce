"""What a small upload costs the machine: CPU per upload, not wall time.

    .venv/bin/python bench/files_upload_cost.py --database-url postgres://... \\
        [--size-kib 1024] [--uploads 60] [--profile]

Wall-clock figures of a 1 MiB upload (bench/files_throughput.py) swing by a
factor of two or three on a shared machine; CPU time per upload hardly does,
and on a quiet machine, where nothing waits for the CPU, the time an upload
adds over a direct put is mostly that CPU plus the round trips. Starts
SeaweedFS and the real ASGI app under uvicorn (production flags) as
files_throughput.py does, then runs ``--uploads`` rounds, each one upload
through ``/upload/`` (declared size and SHA-256, as the browser sends it)
and one direct ``put_object`` of as many fresh bytes, alternating, one at a
time. Prints, per upload, the CPU milliseconds of the server process, of the
PostgreSQL backends serving its database and of the store, the same for a
direct put, and the wall-time medians for reference. CPU is read from
/proc in clock ticks (10 ms), so only totals over many uploads mean anything.

Then the same number of uploads in this process, through the endpoint's
worker-thread function (``files.upload_app._upload_in_thread``: session,
quota, store, rows) with the bytes in memory, alternating with direct puts:
the SQL statements per upload and the thread's CPU per upload, precise to
the microsecond (``time.thread_time``).

``--profile`` runs the server under cProfile (its event-loop thread only:
cProfile does not follow worker threads) and prints the upload path's
functions there (uvicorn, Starlette, anyio, files/upload_app.py).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.files_throughput import cpu_seconds, wait_http  # noqa: E402
from tests.multiproc import clean_env, free_port, start_seaweedfs, stop_process  # noqa: E402


def backend_pids(connection) -> list[int]:
    """PostgreSQL backends connected to this database (the server's pool)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def in_process(args, store, session_key):
    from django.db import connection

    from files.storage import blob_key
    from files.upload_app import _upload_in_thread

    class Body(io.BytesIO):
        read1 = io.BytesIO.read  # what the endpoint's reader offers

    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    size = args.size_kib * 1024
    cpu = {"app": [], "direct": []}
    counts = []
    for i in range(args.uploads + 3):
        body = os.urandom(size)
        digest = hashlib.sha256(body).hexdigest()
        statements.clear()
        started = time.thread_time()
        with connection.execute_wrapper(count):
            data = _upload_in_thread(session_key, True, Body(body), f"thread-{i}.bin", "",
                                     size, digest)
        app = time.thread_time() - started
        assert data["ok"], data
        store.client.remove_object("bench", blob_key(digest))
        body = os.urandom(size)
        started = time.thread_time()
        store.client.put_object("bench", f"direct/t{i}", io.BytesIO(body), size)
        direct = time.thread_time() - started
        store.client.remove_object("bench", f"direct/t{i}")
        if i >= 3:  # after warming up
            cpu["app"].append(app)
            cpu["direct"].append(direct)
            counts.append(len(statements))
    print(f"in this process, {args.uploads} uploads through the endpoint's thread function: "
          f"{statistics.median(counts)} SQL statements each; thread CPU median "
          f"{statistics.median(cpu['app']) * 1000:.2f} ms, a direct put "
          f"{statistics.median(cpu['direct']) * 1000:.2f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database (kept)")
    parser.add_argument("--size-kib", type=int, default=1024)
    parser.add_argument("--uploads", type=int, default=60)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    size = args.size_kib * 1024

    work = Path(tempfile.mkdtemp(prefix="files-cost-"))
    s3 = start_seaweedfs(work / "s3")
    server = None
    try:
        env = dict(
            clean_env(), COLLAB_VAR_DIR=str(work / "var"), S3_ENDPOINT=s3.url,
            S3_ACCESS_KEY=s3.access_key, S3_SECRET_KEY=s3.secret_key, S3_BUCKET="bench",
            S3_REGION="us-east-1", FILES_MAX_SIZE=str(8 * 1024**3),
            FILES_USER_QUOTA=str(64 * 1024**3), DJANGO_SETTINGS_MODULE="collab.settings",
            LOG_LEVEL="WARNING", DJANGO_DEBUG="0", DATABASE_URL=args.database_url,
        )
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.http import HttpRequest
        from django.middleware.csrf import get_token
        from django.test import Client

        from collab.models import User
        from files.storage import blob_key, build_file_store

        call_command("migrate", verbosity=0)
        user, _ = User.objects.get_or_create(username="bench-cost")
        client = Client()
        client.force_login(user)
        csrf = get_token(HttpRequest())
        cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}

        port = free_port()
        command = [sys.executable]
        if args.profile:
            command += ["-m", "cProfile", "-o", str(work / "server.prof")]
        command += ["-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
                    "--log-level", "warning", "--ws", "none", "asgi:application"]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", server)
        store = build_file_store()
        store.ensure_bucket()
        http = httpx.Client(base_url=base, cookies=cookies, timeout=None)

        def app_upload(i):
            body = os.urandom(size)
            digest = hashlib.sha256(body).hexdigest()
            started = time.perf_counter()
            response = http.post("/upload/", params={"name": f"cost-{i}.bin"}, content=body,
                                 headers={"X-CSRFToken": csrf, "X-Content-SHA256": digest})
            wall = time.perf_counter() - started
            assert response.status_code == 200, response.text
            store.client.remove_object("bench", blob_key(digest))
            return wall

        def direct_put(i):
            body = os.urandom(size)
            started = time.perf_counter()
            store.client.put_object("bench", f"direct/{i}", io.BytesIO(body), size)
            wall = time.perf_counter() - started
            store.client.remove_object("bench", f"direct/{i}")
            return wall

        for i in range(3):  # warm: the pool's connections, the store's
            app_upload(f"warm{i}")
        pg = backend_pids(connection)
        pids = {"server": server.pid, "store": s3.process.pid}

        def cpu():
            out = {name: cpu_seconds(pid) for name, pid in pids.items()}
            out["postgres"] = sum(cpu_seconds(pid) for pid in pg)
            return out

        totals = {"app": dict.fromkeys(["server", "store", "postgres"], 0.0),
                  "direct": dict.fromkeys(["server", "store", "postgres"], 0.0)}
        walls = {"app": [], "direct": []}
        load = open("/proc/loadavg").read().split()[0]
        for i in range(args.uploads):
            for kind, run in (("app", app_upload), ("direct", direct_put)):
                before = cpu()
                walls[kind].append(run(i))
                after = cpu()
                for name in totals[kind]:
                    totals[kind][name] += after[name] - before[name]
        load += " .. " + open("/proc/loadavg").read().split()[0]
        n = args.uploads
        print(f"{n} uploads of {args.size_kib} KiB, one at a time, alternating with direct puts "
              f"(load average {load}; {len(pg)} PostgreSQL backends watched)")
        for kind in ("app", "direct"):
            parts = ", ".join(f"{name} {value / n * 1000:.1f}" for name, value in
                              totals[kind].items())
            print(f"  {kind:>6}: CPU ms per upload: {parts}; total "
                  f"{sum(totals[kind].values()) / n * 1000:.1f}; wall median "
                  f"{statistics.median(walls[kind]) * 1000:.1f} ms")
        extra = (sum(totals["app"].values()) - sum(totals["direct"].values())) / n * 1000
        pairs = zip(walls["app"], walls["direct"], strict=True)
        wall_extra = statistics.median(a - d for a, d in pairs) * 1000
        print(f"  CPU the application adds per upload: {extra:+.1f} ms "
              f"(wall: {wall_extra:+.1f} ms, median of pairs)")
        in_process(args, store, cookies["sessionid"])
        if args.profile:
            server.send_signal(signal.SIGINT)
            server.wait(30)
            import pstats

            stats = pstats.Stats(str(work / "server.prof")).sort_stats("cumulative")
            stats.print_stats("upload_app|starlette|anyio|uvicorn/protocols|json", 30)
    finally:
        if server is not None:
            stop_process(server)
        s3.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
