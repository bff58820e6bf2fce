"""Press space: a company's dashboard and a dossier's page with 100,000 dossiers.

    .venv/bin/python bench/press.py [--dossiers 100000] [--repeat 7]

Creates its own PostgreSQL database (dropped at the end) on the server of
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrates
it, seeds the press demo (three companies, the press office) and bulk-inserts
press card and train card dossiers with their family rows, transitions and
hash-chained timeline entries: half of them for one company (the worst
dashboard), the rest spread over 200 other companies; a tenth still in
review. Then asks each page through Django's test client in this process
(server time, no network) and prints the median and maximum milliseconds and
the number of SQL queries. Target: under 100 ms (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pgbench import create_database, drop_database, print_page_table  # noqa: E402


def seed(total: int) -> dict:
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from collab.demo import seed_demo_ministry
    from press.demo import seed_press_demo
    from press.models import Company, Journalist
    from press.models_dossiers import PressCardDossier, TrainCardDossier
    from requests.models import Organisation, Request, RequestTransition, RequestType, TimelineEntry
    from requests.models_engine import chain_hash
    from requests.timeline import transition_payload

    User = get_user_model()
    seed_demo_ministry()
    seed_press_demo()
    big = Company.objects.get(organisation__code="akhbar")
    companies = [big]
    for n in range(200):
        organisation = Organisation.objects.create(code=f"bench-{n}", name_ar=f"شركة {n}",
                                                   name_fr=f"Société {n}")
        companies.append(Company.objects.create(
            organisation=organisation, name_ar=f"شركة {n}", name_latin=f"Société {n}",
            legal_form="sarl", rc_number=str(n), ice=f"{900000000000000 + n}", tax_id=str(n),
            cnss_number=str(n), address="x", city="Rabat", region="04",
            medium=("print", "electronic", "audiovisual", "agency")[n % 4],
            legal_representative="x", email=f"c{n}@bench.ma", phone="+212612345678",
            status="verified"))
    journalists = {}
    for company in companies:
        journalists[company.pk] = list(Journalist.objects.filter(company=company)) or [
            Journalist.objects.create(company=company, name_ar="ص", name_latin=f"J {company.pk}",
                                      cin=f"ZZ{company.pk}", position="x",
                                      hire_date=datetime.date(2020, 1, 1), cnss_number="1")]
    by_organisation = {c.organisation_id: c.pk for c in companies}
    big_member = big.organisation.members.values_list("pk", flat=True).first()
    card = RequestType.objects.get(family="press_card")
    train = RequestType.objects.get(family="train_card")
    card_step = card.steps.order_by("position").first()
    train_step = train.steps.order_by("position").first()
    officer = User.objects.get(username="press.officer")
    now = timezone.now()
    batch, made = 5000, 0
    for offset in range(0, total, batch):
        rows, family = [], []
        for index in range(offset, min(total, offset + batch)):
            company = big if index % 2 == 0 else companies[1 + index % 200]
            member_id = big_member if company is big else officer.pk
            kind, step = (card, card_step) if index % 3 else (train, train_step)
            created = now - datetime.timedelta(minutes=11 * index)
            request = Request(request_type=kind, requester_id=member_id or officer.pk,
                              applicant_kind="organisation",
                              applicant_organisation_id=company.organisation_id,
                              created_at=created, updated_at=created, comment="bench")
            if index % 10 == 0:
                request.stage, request.step_position = step.stage, step.position
                request.current_step, request.decider = step, step.decider
                request.stage_entered_at = created
                request.due_at = created + datetime.timedelta(days=14)
                request.version = 1
            else:
                request.stage = "completed" if index % 7 else "rejected"
                request.decided_at = created + datetime.timedelta(days=3)
                request.version = 2
            rows.append(request)
        Request.objects.bulk_create(rows)
        transitions = []
        for request in rows:
            people = journalists[by_organisation[request.applicant_organisation_id]]
            journalist = people[request.pk % len(people)]
            year = 2000 + request.pk % 27
            if request.request_type_id == card.pk:
                family.append(PressCardDossier(
                    request=request, company_id=journalist.company_id, journalist=journalist,
                    year=year, position="Journaliste", monthly_salary=Decimal(7000),
                    card_number=f"PC-{year}-{request.pk:06d}" if request.stage == "completed"
                    else ""))
            else:
                family.append(TrainCardDossier(
                    request=request, company_id=journalist.company_id, journalist=journalist,
                    year=year, card_number=f"TC-{year}-{request.pk:06d}"
                    if request.stage == "completed" else ""))
            transitions.append(RequestTransition(
                request=request, action="submitted", from_stage="", to_stage="submitted",
                actor_id=request.requester_id, at=request.created_at))
            if request.decided_at:
                transitions.append(RequestTransition(
                    request=request, action="completed" if request.stage == "completed"
                    else "rejected", from_stage="review", to_stage=request.stage,
                    actor=officer, at=request.decided_at))
        PressCardDossier.objects.bulk_create([f for f in family
                                              if isinstance(f, PressCardDossier)])
        TrainCardDossier.objects.bulk_create([f for f in family
                                              if isinstance(f, TrainCardDossier)])
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
        print(f"  seeded {made} dossiers", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    member = User.objects.get(username="akhbar")
    return {"member": member, "officer": officer, "big": big}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()
    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_press_{uuid.uuid4().hex[:8]}"
    os.environ["DATABASE_URL"] = create_database(server, name)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collab.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    store = tempfile.mkdtemp(prefix="bench-press-store-")
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        settings.ALLOWED_HOSTS = ["testserver"]
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        # force_login gives no second factor; press officers would be asked for one.
        settings.OTP_REQUIRED_ROLES = []
        settings.FILE_STORE, settings.FILE_STORE_DIR = "local", Path(store)
        settings.COLLAB_PUBLIC_URL = settings.COLLAB_PUBLIC_URL or "http://127.0.0.1:8000"
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        people = seed(args.dossiers)
        print(f"seeded in {time.perf_counter() - started:.0f} s")
        from requests.models import Request

        print(f"{Request.objects.count()} applications")
        organisation = people["big"].organisation_id
        mine = Request.objects.filter(applicant_organisation_id=organisation)
        recent = mine.order_by("-created_at").first()
        old = mine.order_by("created_at").first()
        pages = [
            ("member", "/press/dossiers/"),
            ("member", "/press/dossiers/?page=200"),
            ("member", f"/press/dossiers/{recent.pk}/"),
            ("member", f"/press/dossiers/{old.pk}/"),
            ("officer", f"/requests/{recent.pk}/"),
            ("officer", "/press/office/statistics/"),
        ]
        print_page_table(pages, people, args.repeat)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept database {name}")
        else:
            drop_database(server, name)


if __name__ == "__main__":
    main()
