"""Distance training: the catalogue and a learner's dashboard with 1,000 courses
and 100,000 enrolments.

    .venv/bin/python bench/training.py [--courses 1000] [--enrolments 100000] [--repeat 7]

Creates its own PostgreSQL database (dropped at the end) on the server of
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrates
it, seeds the demo ministry, 2,000 learners spread over the directorates and
1,000 published courses (a fifth addressed to one regional directorate only,
a tenth with seats), then bulk-inserts the enrolments: each learner in 50
courses, at every status, a tenth mandatory with a due date. Then asks each
page through Django's test client in this process (server time, no network)
and prints the median and maximum milliseconds and the number of SQL queries.
Target: under 100 ms for the catalogue and the dashboard (docs/benchmarks.md).
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

LEARNERS = 2000
STATUSES = ["enrolled", "in_progress", "completed", "in_progress", "enrolled",
            "waiting_list", "pending_approval", "completed", "withdrawn", "in_progress"]


def seed(courses_n: int, enrolments_n: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from collab.demo import seed_demo_ministry
    from collab.models import Directorate
    from training.models import Course, Domain, Enrolment

    User = get_user_model()
    seed_demo_ministry()
    directorates = list(Directorate.objects.all())
    regional = [d for d in directorates if d.kind == "regional"]
    users = User.objects.bulk_create([
        User(username=f"learner{n}", first_name=f"Prénom{n}", last_name=f"Nom{n}",
             full_name_ar=f"متكون {n}", directorate=directorates[n % len(directorates)],
             password="!")
        for n in range(LEARNERS)
    ])
    domains = [Domain.objects.create(code=f"domain-{n}", name_ar=f"مجال {n}",
                                     name_fr=f"Domaine {n}", name_en=f"Domain {n}")
               for n in range(12)]
    words_fr = ["communication", "droit", "presse", "gestion", "projet", "sécurité",
                "rédaction", "numérique", "audiovisuel", "éthique"]
    words_ar = ["التواصل", "القانون", "الصحافة", "التدبير", "المشاريع", "الأمن",
                "الكتابة", "الرقمي", "السمعي البصري", "الأخلاقيات"]
    rows = []
    for n in range(courses_n):
        course = Course(
            code=f"course-{n:04d}", domain=domains[n % len(domains)],
            title_ar=f"{words_ar[n % 10]} {words_ar[(n // 10) % 10]} {n}",
            title_fr=f"{words_fr[n % 10].capitalize()} et {words_fr[(n // 10) % 10]} {n}",
            description_fr="Une formation du ministère. " * 5,
            description_ar="دورة تكوينية للوزارة. " * 5,
            language=("ar", "fr", "en")[n % 3], duration_hours=1 + n % 30,
            format=("self_paced", "scheduled", "blended")[n % 3],
            enrolment_mode="manager_approval" if n % 4 == 0 else "open",
            seats=200 if n % 10 == 0 else None, published=n % 50 != 0,
            audience_grades=["A1", "B2"] if n % 7 == 0 else [],
        )
        course.refresh_search_text()
        rows.append(course)
    courses = Course.objects.bulk_create(rows)
    through = Course.audience_directorates.through
    through.objects.bulk_create([
        through(course_id=c.pk, directorate_id=regional[i % len(regional)].pk)
        for i, c in enumerate(courses) if i % 5 == 0
    ])
    today = timezone.localdate()
    now = timezone.now()
    per_learner = max(1, enrolments_n // LEARNERS)
    batch = []
    made = 0
    for u_index, user in enumerate(users):
        for k in range(per_learner):
            course = courses[(u_index * 7 + k * 19) % len(courses)]
            status = STATUSES[(u_index + k) % len(STATUSES)]
            mandatory = (u_index + k) % 10 == 0
            batch.append(Enrolment(
                course=course, user=user, status=status,
                source="assigned" if mandatory else "self",
                due_date=today + datetime.timedelta(days=(k % 60) - 20) if mandatory else None,
                progress_percent=100 if status == "completed" else (k * 13) % 100,
                requested_at=now - datetime.timedelta(hours=k),
                enrolled_at=now if status in ("enrolled", "in_progress", "completed") else None,
                completed_at=now if status == "completed" else None,
            ))
            if len(batch) >= 10_000:
                Enrolment.objects.bulk_create(batch, ignore_conflicts=True)
                made += len(batch)
                batch = []
                print(f"  seeded {made} enrolments", flush=True)
    Enrolment.objects.bulk_create(batch, ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    hr = User.objects.filter(role="hr_officer").first()
    learner = users[len(users) // 2]
    learner.refresh_from_db()
    return {"learner": learner, "hr": hr}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--courses", type=int, default=1000)
    parser.add_argument("--enrolments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()
    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_training_{uuid.uuid4().hex[:8]}"
    os.environ["DATABASE_URL"] = create_database(server, name)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collab.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    store = tempfile.mkdtemp(prefix="bench-training-store-")
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        settings.ALLOWED_HOSTS = ["testserver"]
        settings.FILE_STORE, settings.FILE_STORE_DIR = "local", Path(store)
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        people = seed(args.courses, args.enrolments)
        print(f"seeded in {time.perf_counter() - started:.0f} s")
        from training.models import Course, Enrolment

        print(f"{Course.objects.count()} courses, {Enrolment.objects.count()} enrolments")
        pages = [
            ("learner", "/"),  # the intranet's home: what every page costs anyway
            ("learner", "/training/"),
            ("learner", "/training/?page=20"),
            ("learner", "/training/?q=presse"),
            ("learner", "/training/?q=%D8%A7%D9%84%D8%B5%D8%AD%D8%A7%D9%81%D8%A9"),
            ("learner", "/training/?format=blended&language=fr&grade=A1"),
            ("learner", "/training/mine/"),
            ("learner", "/training/courses/course-0501/"),
            ("hr", "/training/"),
            ("hr", "/training/reports/"),
            ("hr", "/training/reports/learners/?page=100"),
        ]
        print_page_table(pages, people, args.repeat, width=58)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept database {name}")
        else:
            drop_database(server, name)


if __name__ == "__main__":
    main()
