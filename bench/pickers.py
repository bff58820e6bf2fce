"""People and directorate pickers: the search endpoints with a large staff.

    .venv/bin/python bench/pickers.py [--staff 20000] [--repeat 9]

Creates its own PostgreSQL database (dropped at the end) on the server of
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrates
it, seeds the demo ministry and ``--staff`` more people with Arabic and Latin
names, then asks each URL through Django's test client in this process
(server time, no network) and prints the median and maximum milliseconds and
the SQL queries. The people picker narrows rows in SQL on the folded names
(a regex per term), then checks the candidates in Python (collab.selectors.
pick_people); a word that starts many names in the middle ("ssef") is the
worst case.
Baselines in the same run: the home page, and the directory's search (SQL
``icontains``, no folding) for the same words.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pgbench import create_database, drop_database, print_page_table  # noqa: E402

FIRST = [("Amina", "أمينة"), ("Youssef", "يوسف"), ("Fatima", "فاطمة"), ("Karim", "كريم"),
         ("Hélène", "هيلين"), ("Omar", "عمر"), ("Salma", "سلمى"), ("Idriss", "إدريس")]
LAST = [("El Idrissi", "الإدريسي"), ("Bennani", "بناني"), ("Alaoui", "العلوي"),
        ("Tazi", "التازي"), ("Lefèvre", "لوفيفر"), ("Berrada", "برادة"), ("Chraibi", "الشرايبي")]


def seed(staff: int) -> dict:
    from django.contrib.auth import get_user_model

    from chat.text import index_text
    from collab.demo import seed_demo_ministry
    from collab.models import Directorate

    User = get_user_model()
    seed_demo_ministry()
    directorates = list(Directorate.objects.all())
    rows = []
    for n in range(staff):
        first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
        names = [f"agent{n}", first[0], f"{last[0]} {n}", f"{first[1]} {last[1]} {n}"]
        # bulk_create skips User.save: the folded names are filled here.
        rows.append(User(username=names[0], first_name=names[1], last_name=names[2],
                         full_name_ar=names[3], search_name=index_text(" ".join(names)),
                         directorate=directorates[n % len(directorates)], password="!"))
        if len(rows) >= 5000:
            User.objects.bulk_create(rows)
            rows = []
    User.objects.bulk_create(rows)
    return {"staff": User.objects.get(username="dsi.agent1")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_pickers_{uuid.uuid4().hex[:8]}"
    os.environ["DATABASE_URL"] = create_database(server, name)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collab.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        settings.ALLOWED_HOSTS = ["testserver"]
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        people = seed(args.staff)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        from collab.models import User

        print(f"seeded {User.objects.count()} people in {time.perf_counter() - started:.0f} s")
        ar = quote("امينه")  # folded: finds أمينة
        nobody = quote("zzz")
        pages = [
            ("staff", "/"),
            ("staff", "/directory/?q=amina"),
            ("staff", f"/directory/?q={ar}"),
            ("staff", "/pickers/people/?q=amina"),
            ("staff", f"/pickers/people/?q={ar}"),
            ("staff", "/pickers/people/?q=amina+idrissi+77"),
            ("staff", f"/pickers/people/?q={nobody}"),
            ("staff", "/pickers/people/?q=ssef"),
            ("staff", "/pickers/directorates/?q=rabat"),
            ("staff", "/pickers/directorates/?kind=regional"),
        ]
        print_page_table(pages, people, args.repeat, width=48)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server, name)


if __name__ == "__main__":
    main()
