"""Procedures engine: applicant and back-office pages with 100,000 applications.

    .venv/bin/python bench/procedures.py [--applications 100000] [--repeat 7]

Creates its own PostgreSQL database (dropped at the end) on the server of
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrates
it, seeds the demo ministry (65 users) and bulk-inserts the applications with
their family rows, transitions and hash-chained timeline entries:

- 1,200 annual leave requests of one regional directorate's staff waiting for
  its director (the "director with 1,187 waiting" case);
- 5,300 certificates waiting for HR (the "HR officer with 5,270 items" case);
- 300 equipment requests between directorates waiting at the IT directorate's desk;
- the rest decided (approved or rejected) over two years, a third of them by
  one agent (a requester with a long history).

Then asks each page through Django's test client in this process (server
time: from request to rendered response, no network), ``--repeat`` times, and
prints the median and maximum milliseconds and the number of SQL queries.
Finally times ``manage.py verify_timeline`` over every chain.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pgbench import create_database, database_url, drop_database, measure  # noqa: E402


def seed(total: int) -> dict:
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from collab.demo import seed_demo_ministry
    from requests.defaults import seed_requests_demo
    from requests.models import (
        CertificateRequest,
        InterServiceRequest,
        LeaveRequest,
        Request,
        RequestTransition,
        RequestType,
        TimelineEntry,
    )
    from requests.models_engine import chain_hash
    from requests.timeline import transition_payload

    User = get_user_model()
    seed_demo_ministry()
    seed_requests_demo()
    users = {u.username: u for u in User.objects.all()}
    types = {t.code: t for t in RequestType.objects.prefetch_related("steps")}
    steps = {code: list(t.steps.order_by("position")) for code, t in types.items()}
    director = users["dr-cas.directeur"]
    team = [u for u in users.values() if u.manager_id == director.pk]
    hr = users["drh.rh"]
    heavy = users["dr-cas.agent1"]
    staff = [u for u in users.values() if u.manager_id and u.role == "staff"]
    now = timezone.now()
    start_day = datetime.date(2025, 1, 6)

    plan = []  # (type code, requester, open?, approved?)
    plan += [("leave-annual", team[i % len(team)], True, False) for i in range(1200)]
    plan += [("certificate-work", staff[i % len(staff)], True, False) for i in range(5300)]
    plan += [("interservice-equipment", staff[i % len(staff)], True, False)
             for i in range(300)]
    rest = total - len(plan)
    for i in range(rest):
        requester = heavy if i % 3 == 0 else staff[i % len(staff)]
        code = ("leave-annual", "certificate-work", "social-services")[i % 3]
        plan.append((code, requester, False, i % 7 != 0))

    batch = 5000
    made = 0
    for offset in range(0, len(plan), batch):
        rows = []
        for index, (code, requester, open_, approved) in enumerate(plan[offset:offset + batch]):
            created = now - datetime.timedelta(minutes=7 * (offset + index) % 1_000_000)
            kind = types[code]
            request = Request(request_type=kind, requester=requester, created_at=created,
                              updated_at=created, comment="bench")
            if open_:
                step = steps[code][1 if code == "interservice-equipment" else 0]
                request.stage, request.step_position = step.stage, step.position
                request.current_step, request.decider = step, step.decider
                request.stage_entered_at = created
                request.due_at = created + datetime.timedelta(days=7)
                request.version = 1
                if code == "interservice-equipment":
                    request.applicant_kind = "directorate"
                    request.applicant_directorate_id = requester.directorate_id
                request.assignee = director if code == "leave-annual" else None
            else:
                request.stage = "completed" if approved else "rejected"
                request.decided_at = created + datetime.timedelta(hours=5 + index % 200)
                request.version = 2
            rows.append(request)
        Request.objects.bulk_create(rows)
        family, transitions = [], []
        for request in rows:
            code = request.request_type.code
            if code.startswith("leave"):
                day = start_day + datetime.timedelta(days=request.pk % 600)
                family.append(LeaveRequest(request=request, start_date=day, end_date=day,
                                           days=Decimal(1)))
            elif code.startswith("certificate"):
                family.append(CertificateRequest(request=request, language="fr"))
            elif code.startswith("interservice"):
                family.append(InterServiceRequest(request=request, subject="Laptop"))
            transitions.append(RequestTransition(
                request=request, action="submitted", from_stage="", to_stage="submitted",
                actor=request.requester, at=request.created_at))
            if request.decided_at:
                transitions.append(RequestTransition(
                    request=request, action="completed" if request.stage == "completed"
                    else "rejected", from_stage="manager_decision", to_stage=request.stage,
                    actor=director if code.startswith("leave") else hr,
                    at=request.decided_at))
        for model in (LeaveRequest, CertificateRequest, InterServiceRequest):
            model.objects.bulk_create([f for f in family if isinstance(f, model)])
        RequestTransition.objects.bulk_create(transitions)
        entries, previous, seq = [], {}, {}
        for transition in transitions:
            rid = transition.request_id
            seq[rid] = seq.get(rid, 0) + 1
            payload = transition_payload(transition)
            digest = chain_hash(previous.get(rid, ""), request_id=rid, seq=seq[rid],
                                kind="transition", public=True, actor_id=transition.actor_id,
                                at=transition.at, payload=payload)
            entries.append(TimelineEntry(
                request_id=rid, seq=seq[rid], kind="transition", public=True,
                actor_id=transition.actor_id, transition=transition, payload=payload,
                at=transition.at, prev_hash=previous.get(rid, ""), hash=digest))
            previous[rid] = digest
        TimelineEntry.objects.bulk_create(entries)
        made += len(rows)
        print(f"  seeded {made} applications", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"director": director, "hr": hr, "heavy": heavy,
            "dsi": users["dsi.agent1"], "agent": users["dr-cas.agent2"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", help="measure on a database kept by --keep")
    args = parser.parse_args()
    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = args.reuse or f"bench_procedures_{uuid.uuid4().hex[:8]}"
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
        # The demo's 65 passwords are not what is measured.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        if args.reuse:
            from django.contrib.auth import get_user_model

            users = {u.username: u for u in get_user_model().objects.all()}
            people = {"director": users["dr-cas.directeur"], "hr": users["drh.rh"],
                      "heavy": users["dr-cas.agent1"], "dsi": users["dsi.agent1"],
                      "agent": users["dr-cas.agent2"]}
        else:
            people = seed(args.applications)
            print(f"seeded in {time.perf_counter() - started:.0f} s")
        from requests.models import Request, TimelineEntry

        print(f"{Request.objects.count()} applications, "
              f"{TimelineEntry.objects.count()} timeline entries")
        waiting = Request.objects.filter(current_step__isnull=False).first()
        pages = [
            ("director", "/requests/"),
            ("director", "/requests/office/"),
            ("hr", "/requests/"),
            ("hr", "/requests/office/"),
            ("hr", "/requests/office/?page=40"),
            ("hr", "/requests/office/?stage=&overdue=on"),
            ("hr", f"/requests/office/?stage=open&type={waiting.request_type_id}"),
            ("hr", "/requests/office/?format=csv"),
            ("hr", "/requests/office/?format=xlsx"),
            ("hr", "/requests/office/statistics/"),
            ("dsi", "/requests/office/"),
            ("heavy", "/requests/"),
            ("agent", "/requests/"),
            ("hr", f"/requests/{waiting.pk}/"),
        ]
        clients = {}
        print(f"{'who':8} {'page':48} {'median ms':>9} {'max ms':>7} {'queries':>7} "
              f"{'bytes':>8}")
        if os.environ.get("BENCH_SHOW_QUERIES"):
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            client = Client()
            client.force_login(people[os.environ.get("BENCH_SHOW_WHO", "director")])
            with CaptureQueriesContext(connection) as captured:
                client.get(os.environ["BENCH_SHOW_QUERIES"])
            for query in captured.captured_queries:
                print(f"{query['time']:>6} {query['sql'][:300]}")
        for who, url in pages:
            if who not in clients:
                clients[who] = Client()
                clients[who].force_login(people[who])
            median, worst, queries, size = measure(clients[who], url, args.repeat)
            print(f"{who:8} {url:48} {median:9.1f} {worst:7.1f} {queries:7d} {size:8d}",
                  flush=True)
        started = time.perf_counter()
        call_command("verify_timeline", verbosity=0)
        print(f"verify_timeline over every chain: {time.perf_counter() - started:.1f} s")
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept database {name}")
        else:
            drop_database(server, name)


if __name__ == "__main__":
    main()
