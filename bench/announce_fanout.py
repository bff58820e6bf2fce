"""Announcement fan-out: publish to all staff with N sockets over two Daphne processes.

    .venv/bin/python bench/announce_fanout.py [--sockets 1000] [--publications 20]

Creates its own PostgreSQL database (dropped at the end) on the server of
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), uses Redis
at REDIS_URL (default redis://127.0.0.1:6379/6) under a private channel prefix,
starts two Daphne processes on free loopback ports, opens the sockets (half on
each) with real session cookies, then publishes all-staff announcements through
announcements.services.save_announcement, one at a time, and prints:

- publish-to-last-delivery: from the call to save_announcement() (persist,
  bell rows, rendering, commit, group_send) until the last socket has received
  the `announcement.published` frame; p50 / p99 / max over the publications;
- per-delivery latency over every socket and publication (p50 / p99);
- database queries per publication (and how many of them are INSERTs).

Everything is bounded: connection and receive timeouts, a global deadline, and
the servers and the database are removed in `finally`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def create_database(server_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlparse(server_url)
    return urlunparse(parts._replace(path="/" + name))


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(n_users: int):
    """Directorates, N staff spread over them, one officer; a session per user."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from collab.models import Directorate, User

    central = Directorate.objects.create(code="dcom", name_ar="مديرية التواصل",
                                         name_fr="Communication", kind="central")
    regions = [
        Directorate.objects.create(code=f"r{i}", name_ar=f"جهة {i}", name_fr=f"Région {i}",
                                   kind="regional")
        for i in range(12)
    ]
    password = make_password("Bench-2026")  # one hash for all: seeding stays fast
    officer = User.objects.create(username="officer", password=password, directorate=central,
                                  role=User.Role.COMMUNICATION_OFFICER)
    staff = User.objects.bulk_create(
        [
            User(username=f"staff{i}", password=password, first_name="Staff", last_name=str(i),
                 directorate=regions[i % len(regions)],
                 preferred_language=("ar", "fr", "en")[i % 3])
            for i in range(n_users)
        ]
    )
    keys = []
    for user in staff:
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return officer, keys


def publish_once(officer, index: int):
    """One publication through the real service, with its queries counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from announcements import services

    data = services.AnnouncementInput(
        title_ar=f"إعلان رقم {index}", title_fr=f"Annonce n° {index}",
        body_ar="<p>نص الإعلان للجميع.</p>", body_fr="<p>Texte de l'annonce pour tous.</p>",
        to_all_staff=True,
    )
    with CaptureQueriesContext(connection) as queries:
        # CLOCK_MONOTONIC is system-wide on Linux: comparable with the client's clock.
        started = time.monotonic()
        announcement = services.save_announcement(officer, data, services.PUBLISH)
        returned = time.monotonic()
    sqls = [q["sql"] for q in queries.captured_queries]
    return announcement.pk, started, returned, sqls


def publisher_loop(officer_pk: int) -> None:
    """Publisher process: one publication per line read; one JSON line back each.

    Apart from the client so that rendering and the bulk insert do not compete
    with the 1,000 client sockets for one interpreter lock.
    """
    import json

    import django

    django.setup()
    from collab.models import User

    officer = User.objects.get(pk=officer_pk)
    for line in sys.stdin:
        pk, started, returned, sqls = publish_once(officer, int(line))
        sqls = [sql[:200] for sql in sqls]  # the bulk INSERT holds 1,000 rows
        print(json.dumps({"pk": pk, "started": started, "returned": returned, "sqls": sqls}),
              flush=True)


async def run_clients(urls, keys, officer, publications, deadline):
    import websockets

    received: dict[int, list[float]] = {}
    expected: dict[int, asyncio.Event] = {}
    total = len(keys)
    ready = 0
    all_ready = asyncio.Event()
    sockets = []

    async def client(i, key):
        nonlocal ready
        url = urls[i % len(urls)]
        host = urlparse(url).netloc
        ws = await websockets.connect(
            f"ws://{host}/ws/", additional_headers={"Cookie": f"sessionid={key}"},
            origin=f"http://{host}", open_timeout=60, max_size=2**20, ping_interval=None,
        )
        sockets.append(ws)
        hello = await asyncio.wait_for(ws.recv(), 60)
        assert '"hello"' in hello, hello
        ready += 1
        if ready == total:
            all_ready.set()
        async for raw in ws:
            now = time.monotonic()
            if '"announcement.published"' not in raw:
                continue
            # The id is the first field of data; parse cheaply but exactly.
            import json

            frame = json.loads(raw)
            pk = frame["data"]["id"]
            received.setdefault(pk, []).append(now)
            if len(received[pk]) == total and pk in expected:
                expected[pk].set()

    limit = asyncio.Semaphore(64)  # bounded connection storm

    async def bounded(i, key):
        async with limit:
            task = asyncio.create_task(client(i, key))
            # Hold the slot until this socket said hello (or failed).
            while not task.done() and len(sockets) <= i and ready < total:
                await asyncio.sleep(0.005)
            return task

    t_connect = time.monotonic()
    tasks = [await bounded(i, key) for i, key in enumerate(keys)]
    await asyncio.wait_for(all_ready.wait(), max(1, deadline - time.monotonic()))
    connect_seconds = time.monotonic() - t_connect

    import json

    publisher = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--publisher", str(officer.pk),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT, limit=2**22,
    )
    results = []
    for n in range(publications):
        publisher.stdin.write(f"{n}\n".encode())
        await publisher.stdin.drain()
        line = await asyncio.wait_for(publisher.stdout.readline(),
                                      max(1, deadline - time.monotonic()))
        reply = json.loads(line)
        pk, started, returned, sqls = (reply["pk"], reply["started"], reply["returned"],
                                       reply["sqls"])
        event = expected.setdefault(pk, asyncio.Event())
        if len(received.get(pk, [])) == total:
            event.set()
        await asyncio.wait_for(event.wait(), max(1, deadline - time.monotonic()))
        times = received[pk]
        results.append(
            {
                "pk": pk,
                "service": returned - started,
                "last": max(times) - started,
                "deliveries": [t - started for t in times],
                "queries": len(sqls),
                "inserts": sum(1 for s in sqls if s.startswith("INSERT")),
                "sqls": sqls,
            }
        )
        await asyncio.sleep(0.3)
    publisher.stdin.close()
    await asyncio.wait_for(publisher.wait(), 30)
    for ws in sockets:
        await ws.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return connect_seconds, results


def compare_with_notify():
    """What one notify() per recipient would cost instead of one bulk insert (no sockets)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from announcements import selectors
    from collab.models import User
    from collab.services import notify

    recipients = list(User.objects.filter(is_active=True))
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        with transaction.atomic():
            for user in recipients:
                notify(user, kind="announcement", title="Annonce", link="/announcements/1/")
        elapsed = time.perf_counter() - started
    per_user = (elapsed, len(queries.captured_queries), len(recipients))
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        with transaction.atomic():
            from collab.models import Notification

            rows = [Notification(recipient_id=pk, kind="announcement", title="Annonce",
                                 link="/announcements/1/")
                    for pk in selectors.User.objects.filter(is_active=True)
                    .order_by().values_list("pk", flat=True)]
            Notification.objects.bulk_create(rows, batch_size=2000)
        bulk = (time.perf_counter() - started, len(queries.captured_queries))
    return per_user, bulk


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--publications", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=600, help="global deadline, seconds")
    parser.add_argument("--show-queries", action="store_true")
    parser.add_argument("--compare-notify", action="store_true",
                        help="also time one notify() per recipient against one bulk insert")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout

    server_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6")
    name = f"annc_bench_{uuid.uuid4().hex[:8]}"
    database_url = create_database(server_url, name)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CHANNEL_LAYER_PREFIX": f"bench-{name}",
        "LOG_LEVEL": "WARNING",
        "COLLAB_VAR_DIR": os.environ.get("COLLAB_VAR_DIR", str(ROOT / "var")),
    }
    os.environ.update(env)
    servers = []
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                       cwd=ROOT, env=env, check=True, timeout=300)
        import django

        os.environ["DJANGO_SETTINGS_MODULE"] = "collab.settings"
        django.setup()
        officer, keys = seed(args.sockets)
        from django.db import connection

        connection.close()

        urls = []
        for _ in range(2):
            port = free_port()
            servers.append(subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                 "--websocket-max-message-size", "65536", "--websocket-max-frame-size",
                 "65536", "asgi:application"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))
            urls.append(f"http://127.0.0.1:{port}")
        import httpx

        for url in urls:
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError("daphne did not start")
                try:
                    httpx.get(url + "/healthz", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.3)

        connect_seconds, results = asyncio.run(
            run_clients(urls, keys, officer, args.publications, deadline)
        )
        per_user = compare_with_notify() if args.compare_notify else None
    finally:
        for p in servers:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in servers:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        drop_database(server_url, name)

    # The first publication warms caches (templates, connections): reported apart.
    warm, steady = results[0], results[1:] or results
    lasts = [r["last"] * 1000 for r in steady]
    services_ms = [r["service"] * 1000 for r in steady]
    deliveries = [d * 1000 for r in steady for d in r["deliveries"]]
    queries = sorted({r["queries"] for r in steady})
    inserts = sorted({r["inserts"] for r in steady})
    print(f"sockets: {args.sockets} over 2 Daphne processes (RedisPubSubChannelLayer), "
          f"connected in {connect_seconds:.1f} s")
    print(f"publications: {len(steady)} measured (+1 warm-up: last delivery "
          f"{warm['last'] * 1000:.0f} ms)")
    print(f"publish-to-last-delivery ms: p50 {percentile(lasts, 50):.0f}  "
          f"p99 {percentile(lasts, 99):.0f}  max {max(lasts):.0f}")
    print(f"  of which save_announcement() (persist, bell rows, render, commit) ms: "
          f"p50 {percentile(services_ms, 50):.0f}  p99 {percentile(services_ms, 99):.0f}")
    print(f"per-delivery latency ms: p50 {percentile(deliveries, 50):.0f}  "
          f"p99 {percentile(deliveries, 99):.0f}")
    print(f"database queries per publication: {queries} (INSERTs: {inserts})")
    if args.show_queries:
        for sql in steady[0]["sqls"]:
            print("   ", sql[:160])
    if per_user:
        (elapsed, count, n), (bulk_elapsed, bulk_count) = per_user
        print(f"bell rows for {n} recipients: one notify() each {elapsed * 1000:.0f} ms, "
              f"{count} queries; bulk_create {bulk_elapsed * 1000:.0f} ms, {bulk_count} queries")
    print(f"load average at end: {os.getloadavg()[0]:.2f} (2 cores shared)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--publisher":
        publisher_loop(int(sys.argv[2]))
    else:
        main()
