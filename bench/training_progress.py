"""Distance training: video progress reported by 1,000 learners at once.

    .venv/bin/python bench/training_progress.py [--learners 1000] [--reports 6] [--threads 16]

Creates its own PostgreSQL database (dropped at the end) on the server of
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrates
it, creates the learners, one course with a one-minute video lesson and a
text page, and an enrolment each. Then every learner posts ``--reports``
positions to the progress endpoint (the player's POST, through Django's test
client in ``--threads`` threads at once, as many as a worker's connection pool
holds (16): server time, no network), the last one past 90 % so every learner's lesson and
enrolment row change too. Prints reports per second and the median, p99 and
maximum milliseconds per report, then checks every row is right.

Each report is one UPSERT of the learner's own ``LessonProgress`` row; the
learner's own ``Enrolment`` row is locked only when a lesson completes: no
two learners share a row, so none waits for another.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pgbench import create_database, drop_database  # noqa: E402

# A one-minute video: reports 10 s apart (what a player sends while playing; a
# jump further than the time elapsed allows is not counted as watched).
DURATION = 60


def seed(learners_n: int):
    from django.contrib.auth import get_user_model

    from collab.demo import seed_demo_ministry
    from collab.models import Directorate
    from training.models import Course, Domain, Enrolment
    from training.models_content import Lesson, Module

    User = get_user_model()
    seed_demo_ministry()
    directorates = list(Directorate.objects.all())
    users = User.objects.bulk_create([
        User(username=f"learner{n}", first_name=f"Prénom{n}", last_name=f"Nom{n}",
             directorate=directorates[n % len(directorates)], password="!")
        for n in range(learners_n)
    ])
    domain = Domain.objects.create(code="com", name_ar="التواصل", name_fr="Communication")
    course = Course.objects.create(code="bench-video", title_fr="Vidéo", domain=domain,
                                   published=True)
    module = Module.objects.create(course=course, title="M", position=1)
    video = Lesson.objects.create(module=module, kind="video", title="V", position=1,
                                  duration_seconds=DURATION)
    Lesson.objects.create(module=module, kind="text", title="T", position=2)
    Enrolment.objects.bulk_create([
        Enrolment(course=course, user=user, status="enrolled") for user in users
    ])
    return users, video


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=6)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_progress_{uuid.uuid4().hex[:8]}"
    os.environ["DATABASE_URL"] = create_database(server, name)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collab.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections
        from django.test import Client
        from django.urls import reverse

        settings.ALLOWED_HOSTS = ["testserver"]
        call_command("migrate", verbosity=0)
        users, video = seed(args.learners)
        url = reverse("training:lesson_progress", args=[video.pk])
        clients = []
        for user in users:
            client = Client()
            client.force_login(user)
            clients.append(client)
        connections.close_all()
        # Positions as a player sends them, the last at 95 %.
        positions = [min(10.0 * (n + 1), DURATION * 0.95) for n in range(args.reports)]
        positions[-1] = DURATION * 0.95
        plan = [(client, positions[n]) for n in range(args.reports) for client in clients]
        # Reports of one learner in order (a later one may not overtake an
        # earlier one), learners interleaved: round by round.
        rounds = [plan[n * len(clients):(n + 1) * len(clients)] for n in range(args.reports)]
        times: list[float] = []
        lock = threading.Lock()
        failures = []

        def send(item):
            client, position = item
            started = time.perf_counter()
            response = client.post(url, {"position": position})
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                times.append(elapsed)
                if response.status_code != 200:
                    failures.append((response.status_code, response.content[:200]))

        def close(_):
            connections.close_all()

        # Evidence that nobody waits for anybody: sessions of this database
        # waiting for a lock (pg_locks not granted), sampled every 20 ms.
        waiting = {"samples": 0, "max": 0, "seen": 0}
        running = threading.Event()
        running.set()

        def watch_locks():
            import psycopg

            with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
                while running.is_set():
                    (n,) = conn.execute(
                        "SELECT count(*) FROM pg_locks l JOIN pg_database d "
                        "ON d.oid = l.database WHERE NOT l.granted AND d.datname = %s",
                        [name],
                    ).fetchone()
                    waiting["samples"] += 1
                    waiting["max"] = max(waiting["max"], n)
                    waiting["seen"] += bool(n)
                    time.sleep(0.02)

        watcher = threading.Thread(target=watch_locks)
        watcher.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            for batch in rounds:
                list(pool.map(send, batch))
            list(pool.map(close, range(args.threads)))
        wall = time.perf_counter() - started
        running.clear()
        watcher.join()
        times.sort()
        print(f"{args.learners} learners x {args.reports} reports, {args.threads} threads: "
              f"{len(times) / wall:.0f} reports/s; per report median "
              f"{statistics.median(times):.1f} ms, p99 {times[int(len(times) * 0.99) - 1]:.1f} "
              f"ms, max {times[-1]:.1f} ms; refused {len(failures)}")
        from training.models import Enrolment
        from training.models_content import LessonProgress

        done = LessonProgress.objects.filter(lesson=video, completed_at__isnull=False).count()
        halfway = Enrolment.objects.filter(status="in_progress", progress_percent=50).count()
        print(f"lock waits: {waiting['seen']} of {waiting['samples']} samples saw a session "
              f"waiting for a lock (at most {waiting['max']} at once)")
        print(f"rows: {LessonProgress.objects.filter(lesson=video).count()} progress, "
              f"{done} completed, {halfway} enrolments at 50 %")
        if failures:
            print("first refusal:", failures[0])
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server, name)


if __name__ == "__main__":
    main()
