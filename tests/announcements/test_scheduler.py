"""Scheduled publication: on time, and exactly once with several schedulers running."""

import io
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from announcements import services
from announcements.models import Announcement
from collab.models import Notification

from .conftest import data

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def schedule(user, n, seconds=60, **overrides):
    made = []
    for i in range(n):
        made.append(
            services.save_announcement(
                user,
                data(title_fr=f"Programmée {i}", publish_at=timezone.now()
                     + timedelta(seconds=seconds), **overrides),
                services.SCHEDULE,
            )
        )
    return made


def make_due(announcements):
    Announcement.objects.filter(pk__in=[a.pk for a in announcements]).update(
        publish_at=timezone.now() - timedelta(seconds=1)
    )


def bell_rows_per_announcement(announcements):
    return {
        a.pk: Notification.objects.filter(link=a.get_absolute_url()).count()
        for a in announcements
    }


def test_not_published_before_its_time_then_published_by_the_command(ministry):
    (a,) = schedule(ministry["officer"], 1, directorate_ids=[ministry["casa"].pk])
    call_command("publish_scheduled", "--once")
    a.refresh_from_db()
    assert a.state == Announcement.State.SCHEDULED
    make_due([a])
    call_command("publish_scheduled", "--once")
    a.refresh_from_db()
    assert a.state == Announcement.State.PUBLISHED and a.published_at is not None
    assert bell_rows_per_announcement([a]) == {a.pk: 2}  # casa staff and casa manager
    call_command("publish_scheduled", "--once")
    assert bell_rows_per_announcement([a]) == {a.pk: 2}


def test_two_schedulers_in_threads_publish_each_exactly_once(ministry):
    due = schedule(ministry["officer"], 12, directorate_ids=[ministry["casa"].pk])
    make_due(due)
    start = threading.Barrier(2)
    results, failures = [], []

    def scheduler():
        try:
            start.wait()
            results.append(services.publish_due())
        except Exception as exc:  # surfaced below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not failures, failures
    published = [pk for batch in results for pk in batch]
    assert sorted(published) == sorted(a.pk for a in due)  # all, none twice
    assert set(bell_rows_per_announcement(due).values()) == {2}
    assert set(Announcement.objects.values_list("state", flat=True)) == {"published"}


@pytest.mark.multiprocess
@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql"},
    reason="two scheduler processes need a shared server database (set DATABASE_URL to "
    "PostgreSQL); the thread test above covers SQLite",
)
def test_two_scheduler_processes_publish_each_exactly_once(ministry):
    due = schedule(ministry["officer"], 25, seconds=3, to_all_staff=True)
    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
        f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
        f"{settings_dict['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)  # delivery is not under test here
    env["SCHEDULER_IN_PROCESS"] = "0"  # the separate processes are what is tested
    schedulers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "publish_scheduled", "--interval", "0.05"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not Announcement.objects.filter(state="scheduled").exists():
                break
            time.sleep(0.2)
        time.sleep(1)  # let a late duplicate show up, if there were one
    finally:
        for p in schedulers:
            p.send_signal(signal.SIGTERM)
        outputs = [p.communicate(timeout=30) for p in schedulers]
    for p, (_out, err) in zip(schedulers, outputs, strict=True):
        assert p.returncode == 0, err.decode()
    audience = 8  # everyone in the ministry fixture
    assert bell_rows_per_announcement(due) == {a.pk: audience for a in due}
    assert set(Announcement.objects.values_list("state", flat=True)) == {"published"}


def test_withdrawn_before_its_time_is_never_published(ministry):
    (a,) = schedule(ministry["officer"], 1, to_all_staff=True)
    services.withdraw(ministry["officer"], a)
    make_due([a])
    call_command("publish_scheduled", "--once")
    a.refresh_from_db()
    assert a.state == Announcement.State.WITHDRAWN
    assert bell_rows_per_announcement([a]) == {a.pk: 0}


def test_publish_now_and_scheduler_racing_publish_once(ministry):
    (a,) = schedule(ministry["officer"], 1, to_all_staff=True)
    make_due([a])
    services.publish_now(ministry["officer"], a)
    assert services.publish_due() == []
    stale = Announcement.objects.get(pk=a.pk)
    stale.state = Announcement.State.SCHEDULED  # a caller holding an old copy
    services.publish_now(ministry["officer"], stale)
    assert bell_rows_per_announcement([a]) == {a.pk: 8}


def test_the_command_announces_each_expiry_once_and_a_new_expiry_again(ministry):
    (a,) = schedule(ministry["officer"], 1, directorate_ids=[ministry["casa"].pk])
    make_due([a])
    out = io.StringIO()
    call_command("publish_scheduled", "--once", stdout=out)
    assert out.getvalue().strip() == "published 1, expired 0"
    Announcement.objects.filter(pk=a.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    out = io.StringIO()
    call_command("publish_scheduled", "--once", stdout=out)
    assert out.getvalue().strip() == "published 0, expired 1"
    assert services.expire_due() == []
    # The author sets a later expiry: when it comes, it is announced in its turn.
    a.refresh_from_db()
    later = data(
        title_fr=a.title_fr, directorate_ids=[ministry["casa"].pk],
        expires_at=timezone.now() + timedelta(hours=1),
    )
    services.save_announcement(ministry["officer"], later, services.PUBLISH, announcement=a)
    a.refresh_from_db()
    assert a.expiry_announced_at is None
    Announcement.objects.filter(pk=a.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.expire_due() == [a.pk]
