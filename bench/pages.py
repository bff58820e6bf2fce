"""Everyday pages with a ministry's worth of data: home, a conversation, chat
search, My files and the team calendar.

    .venv/bin/python bench/pages.py [--scale 1.0] [--repeat 15] [--keep] [--reuse NAME]

Creates its own PostgreSQL database (dropped at the end) on the server of
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrates
it and bulk-inserts, at scale 1:

- 500 staff in 5 directorates; the measured user manages 20 of them;
- 100,000 chat messages in 20 group conversations of the measured user, a
  third of them containing the searched word, one in 500 pinned;
- 10,000 files (one clean version each), 2,000 of them the measured user's;
- 100,000 leave requests over five years (and two months ahead) from the 500 staff (about 4,000
  of the team's), approved, rejected or waiting.

``--scale 0.1`` seeds a tenth of it for a quick run. Then asks each page
through Django's test client in this process (server time: from request to
rendered response, no network), ``--repeat`` rounds of every page in turn
after one warm-up, and prints the median and maximum milliseconds, this
process's CPU milliseconds, the ratio to the page frame measured in the same
rounds (the floor every page pays), and the number of SQL queries.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pgbench import create_database, database_url, drop_database  # noqa: E402

WORD = "rapport"


def _batches(rows, size=5000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def measure_interleaved(client, pages, repeat: int):
    """Each page once per round, the pages in turn, after one warm-up each: a burst
    of load from other processes falls on every page alike, and the floor (the
    shared page frame: session, user, header) measured in the same rounds gives
    each page a ratio that moves less than its milliseconds. CPU is this
    process's (Python and templates; the queries' own time is PostgreSQL's)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _label, url in pages:
        client.get(url)  # templates, per-process caches
    walls = {url: [] for _label, url in pages}
    cpus = {url: [] for _label, url in pages}
    queries, sizes = {}, {}
    for _ in range(repeat):
        for _label, url in pages:
            with CaptureQueriesContext(connection) as captured:
                cpu = time.process_time()
                started = time.perf_counter()
                response = client.get(url)
                walls[url].append((time.perf_counter() - started) * 1000)
                cpus[url].append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries[url], sizes[url] = len(captured), len(response.content)
    return [
        (label, url, statistics.median(walls[url]), max(walls[url]),
         statistics.median(cpus[url]), queries[url], sizes[url])
        for label, url in pages
    ]


def seed(scale: float):
    from django.db import connection
    from django.utils import timezone

    from chat.models import Conversation, Membership, Message
    from collab.models import Directorate, User
    from files.models import File, FileVersion
    from requests.defaults import ensure_default_types
    from requests.models import LeavePolicy, LeaveRequest, Request, RequestType, Stage

    rng = random.Random(7)
    now = timezone.now()
    today = timezone.localdate()
    ensure_default_types()
    LeavePolicy.current()
    directorates = [
        Directorate.objects.create(code=f"b{i}", name_ar=f"مديرية {i}", name_fr=f"Direction {i}",
                                   kind="central")
        for i in range(5)
    ]
    viewer = User(username="manager", first_name="Nadia", last_name="Alaoui",
                  directorate=directorates[0], role=User.Role.MANAGER)
    viewer.set_password("Secret-pass-123")
    viewer.save()
    staff = User.objects.bulk_create([
        User(username=f"agent{i}", first_name=f"Agent{i}", last_name=f"Nom{i}",
             directorate=directorates[i % 5], password="!",
             manager=viewer if i < 20 else None)
        for i in range(499)
    ])
    people = [viewer, *staff]

    n_messages = int(100_000 * scale)
    conversations = [
        Conversation.objects.create(kind=Conversation.Kind.GROUP, title=f"Groupe {i}",
                                    created_by=viewer)
        for i in range(20)
    ]
    Membership.objects.bulk_create([
        Membership(conversation=c, user=u, last_read_seq=0)
        for c in conversations for u in [viewer, *staff[:19]]
    ])
    words = ["réunion", "budget", "note", "دورية", "اجتماع", "planning", "dossier", "suivi"]
    per = n_messages // len(conversations)
    start = now - datetime.timedelta(days=365)
    rows = []
    for c_index, conv in enumerate(conversations):
        for seq in range(1, per + 1):
            text = " ".join(rng.choice(words) for _ in range(6))
            if rng.random() < 1 / 3:
                text += f" {WORD}"
            created = start + datetime.timedelta(seconds=(seq * 20 + c_index) * 15)
            rows.append(Message(
                conversation=conv, seq=seq, author=people[rng.randrange(20)], body=text,
                body_html=f"<p>{text}</p>", search_text=text, created_at=created,
                pinned_at=created if seq % 500 == 0 else None,
            ))
    # Oldest first, as they would have been written: the key follows time.
    rows.sort(key=lambda m: m.created_at)
    for batch in _batches(rows):
        Message.objects.bulk_create(batch)
    for conv in conversations:
        Conversation.objects.filter(pk=conv.pk).update(last_seq=per, last_activity_at=now)

    n_files = int(10_000 * scale)
    files = []
    for batch in _batches([
        File(owner=viewer if i % 5 == 0 else people[rng.randrange(len(people))],
             name=f"document-{i}.pdf",
             updated_at=now - datetime.timedelta(minutes=i))
        for i in range(n_files)
    ]):
        files += File.objects.bulk_create(batch)
    versions = []
    for batch in _batches([
        FileVersion(file=f, number=1, blob_key=f"bench/{f.pk}", size=rng.randrange(1, 10**6),
                    sha256="0" * 64, content_type="application/pdf",
                    scan_status=FileVersion.Scan.CLEAN, uploaded_by_id=f.owner_id)
        for f in files
    ]):
        versions += FileVersion.objects.bulk_create(batch)
    for f, v in zip(files, versions, strict=True):
        f.current_version = v
    File.objects.bulk_update(files, ["current_version"], batch_size=5000)

    n_requests = int(100_000 * scale)
    leave_type = RequestType.objects.get(code="leave") if RequestType.objects.filter(
        code="leave").exists() else RequestType.objects.first()
    stages = [Stage.COMPLETED] * 7 + [Stage.REJECTED, Stage.CANCELLED, Stage.SUBMITTED]
    # Five years of history up to two months ahead, as leave is filed.
    first_day = today - datetime.timedelta(days=5 * 365)
    spans = []
    requests_ = []
    for _ in range(n_requests):
        begin = first_day + datetime.timedelta(days=rng.randrange(5 * 365 + 60))
        spans.append((begin, begin + datetime.timedelta(days=rng.randrange(1, 10))))
        requests_.append(Request(
            request_type=leave_type, requester=people[rng.randrange(len(people))],
            stage=rng.choice(stages),
            created_at=datetime.datetime.combine(begin, datetime.time(9), tzinfo=datetime.UTC),
        ))
    made = []
    for batch in _batches(requests_):
        made += Request.objects.bulk_create(batch)
    for batch in _batches(list(zip(made, spans, strict=True))):
        LeaveRequest.objects.bulk_create([
            LeaveRequest(request=r, start_date=s, end_date=e, days=(e - s).days + 1)
            for r, (s, e) in batch
        ])
    with connection.cursor() as cursor:
        # What autovacuum does after bulk inserts: statistics, and the visibility
        # map that lets index-only scans skip the table.
        cursor.execute("VACUUM ANALYZE")
    return viewer, conversations[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", help="measure on a database kept by --keep (kept again)")
    args = parser.parse_args()
    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = args.reuse or f"bench_pages_{uuid.uuid4().hex[:8]}"
    if args.reuse:
        os.environ["DATABASE_URL"] = database_url(server, name)
    else:
        os.environ["DATABASE_URL"] = create_database(server, name)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collab.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client

        settings.ALLOWED_HOSTS = ["testserver"]
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        if args.reuse:
            from chat.models import Conversation
            from collab.models import User

            viewer = User.objects.get(username="manager")
            conversation = Conversation.objects.filter(title="Groupe 0").get()
        else:
            call_command("migrate", verbosity=0)
            started = time.perf_counter()
            viewer, conversation = seed(args.scale)
            print(f"seeded in {time.perf_counter() - started:.0f} s")
        from chat.models import Message
        from files.models import File
        from requests.models import Request

        print(f"{Message.objects.count()} messages, {File.objects.count()} files, "
              f"{Request.objects.count()} requests")
        pages = [
            ("home", "/"),
            ("conversation", f"/chat/{conversation.pk}/"),
            ("chat search", f"/chat/search/?q={WORD}"),
            ("my files", "/files/"),
            ("team calendar", "/requests/team/"),
        ]
        client = Client()
        client.force_login(viewer)
        if os.environ.get("BENCH_SHOW_QUERIES"):
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                client.get(os.environ["BENCH_SHOW_QUERIES"])
            for query in captured.captured_queries:
                print(f"{query['time']:>6} {query['sql'][:300]}")
        rows = measure_interleaved(client, [("page frame (floor)", "/password/done/"), *pages],
                                   args.repeat)
        floor = rows[0][2]
        print(f"{'page':18} {'url':26} {'median ms':>9} {'max ms':>7} {'cpu ms':>7} "
              f"{'x floor':>7} {'queries':>7} {'bytes':>8}")
        for label, url, median, worst, cpu, queries, size in rows:
            print(f"{label:18} {url:26} {median:9.1f} {worst:7.1f} {cpu:7.1f} "
                  f"{median / floor:7.2f} {queries:7d} {size:8d}", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep or args.reuse:
            print(f"kept database {name}")
        else:
            drop_database(server, name)


if __name__ == "__main__":
    main()
