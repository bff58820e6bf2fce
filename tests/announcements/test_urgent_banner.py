"""The urgent banners every page shows, read through a cache of the live urgent
announcements' audiences (announcements/urgent.py): every change shows on the
next page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from announcements import selectors, services, urgent

from .conftest import data, future


@pytest.fixture(autouse=True)
def fresh_list():
    # Lists read by earlier tests on this database (rolled back since) are left behind.
    urgent._next_version()


def banner(client, announcement) -> bool:
    return f'id="ann-banner-{announcement.pk}"' in client.get("/").content.decode()


def test_a_newly_published_urgent_announcement_shows_on_the_next_page(ministry, client_for):
    reader = client_for(ministry["casa_staff"])
    assert "ann-banner-" not in reader.get("/").content.decode()  # the empty list is kept
    a = services.save_announcement(ministry["officer"],
                                   data(priority="urgent", to_all_staff=True), services.PUBLISH)
    assert banner(reader, a)
    # Scheduled, then published by the scheduler (a conditional update, no signal).
    b = services.save_announcement(
        ministry["officer"],
        data(priority="urgent", directorate_ids=[ministry["casa"].pk], publish_at=future(5)),
        services.SCHEDULE)
    assert not banner(reader, b)
    type(b).objects.filter(pk=b.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert services.publish_due() == [b.pk]
    assert banner(reader, b)
    # The audience is checked: another directorate's staff do not see it.
    assert not banner(client_for(ministry["fes_staff"]), b)


def test_an_expired_withdrawn_or_narrowed_urgent_announcement_disappears(
        ministry, client_for, monkeypatch):
    reader = client_for(ministry["casa_staff"])
    expiring = services.save_announcement(
        ministry["officer"], data(priority="urgent", to_all_staff=True, expires_at=future(5)),
        services.PUBLISH)
    withdrawn = services.save_announcement(
        ministry["officer"], data(priority="urgent", to_all_staff=True), services.PUBLISH)
    narrowed = services.save_announcement(
        ministry["officer"],
        data(priority="urgent", directorate_ids=[ministry["casa"].pk, ministry["fes"].pk]),
        services.PUBLISH)
    assert banner(reader, expiring) and banner(reader, withdrawn) and banner(reader, narrowed)
    services.withdraw(ministry["officer"], withdrawn)
    services.save_announcement(ministry["officer"],
                               data(priority="urgent", directorate_ids=[ministry["fes"].pk]),
                               services.PUBLISH, announcement=narrowed)
    assert not banner(reader, withdrawn) and not banner(reader, narrowed)
    assert banner(reader, expiring)
    # Ten minutes later, with no write at all: the expiry kept in the list.
    later = timezone.now() + timedelta(minutes=10)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert not banner(reader, expiring)


def test_banners_cost_no_query_unless_one_is_addressed_to_the_reader(ministry):
    reader = ministry["casa_staff"]
    selectors.unacknowledged_urgent(reader)
    with CaptureQueriesContext(connection) as none_live:
        assert selectors.unacknowledged_urgent(reader) == []
    a = services.save_announcement(ministry["officer"],
                                   data(priority="urgent", directorate_ids=[ministry["fes"].pk]),
                                   services.PUBLISH)
    selectors.unacknowledged_urgent(reader)
    with CaptureQueriesContext(connection) as not_mine:
        assert selectors.unacknowledged_urgent(reader) == []
    assert [x.pk for x in selectors.unacknowledged_urgent(ministry["fes_staff"])] == [a.pk]
    services.acknowledge(ministry["fes_staff"], a)
    with CaptureQueriesContext(connection) as acknowledged:
        assert selectors.unacknowledged_urgent(ministry["fes_staff"]) == []
    assert (len(none_live), len(not_mine), len(acknowledged)) == (0, 0, 1)


@pytest.mark.django_db(transaction=True)
def test_the_list_is_forgotten_again_when_the_change_commits(ministry):
    """Another process may read the list between the change and its commit:
    the list is dropped again on commit."""
    from django.core.cache import caches
    from django.db import transaction

    reader = ministry["casa_staff"]
    with transaction.atomic():
        a = services.save_announcement(ministry["officer"],
                                       data(priority="urgent", to_all_staff=True),
                                       services.PUBLISH)
        # What another process would store, reading before the commit.
        version = caches["announcements"].get(urgent._version_key())
        caches["announcements"].set(urgent._list_key(version), [], 60)
    assert [x.pk for x in selectors.unacknowledged_urgent(reader)] == [a.pk]
