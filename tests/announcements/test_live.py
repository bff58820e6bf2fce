"""Announcements arriving live over the one socket: targeting, withdraw, acknowledgement counts."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connections
from django.utils import timezone

from announcements import selectors, services
from announcements.models import Announcement
from collab.models import Notification
from tests.conftest import connect_socket

from .conftest import data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def close_worker_connections():
    yield
    # database_sync_to_async ran in asgiref's worker thread: close its connection
    # so the test database can be dropped at the end of the session.
    await sync_to_async(connections.close_all)()


async def open_socket(user):
    communicator, connected, _code = await connect_socket(user)
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    return communicator


async def next_event(communicator, name, timeout=3):
    """The next event called ``name``; other events on the way are skipped."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"no {name} event")
        frame = await communicator.receive_json_from(timeout=remaining)
        if frame.get("type") == "event" and frame["event"] == name:
            return frame["data"]


async def no_event(communicator, name, wait=0.5):
    # receive_nothing() does not cancel the application on timeout (receive_* does).
    while not await communicator.receive_nothing(timeout=wait):
        frame = await communicator.receive_json_from(timeout=1)
        assert not (frame.get("type") == "event" and frame["event"] == name), frame
    return True


@database_sync_to_async
def publish(user, action=services.PUBLISH, **overrides):
    return services.save_announcement(user, data(**overrides), action)


async def test_regional_staff_receives_only_its_own_and_all_staff_announcements(ministry):
    casa = await open_socket(ministry["casa_staff"])
    fes = await open_socket(ministry["fes_staff"])
    try:
        to_casa = await publish(ministry["officer"], directorate_ids=[ministry["casa"].pk],
                                priority="urgent")
        got = await next_event(casa, "announcement.published")
        assert got["id"] == to_casa.pk
        assert got["priority"] == "urgent"
        # Rendered once per UI language; the client picks its own.
        assert set(got["render"]) == {"ar", "fr", "en"}
        assert f'id="ann-banner-{to_casa.pk}"' in got["render"]["ar"]["banner"]
        assert "اطلعت على هذا" in got["render"]["ar"]["banner"]
        assert "J'en ai pris connaissance" in got["render"]["fr"]["banner"]
        assert f'id="ann-{to_casa.pk}"' in got["render"]["fr"]["item"]
        assert "Annonce urgente" in got["render"]["fr"]["toast"]
        assert await no_event(fes, "announcement.published")

        to_all = await publish(ministry["officer"], to_all_staff=True)
        assert (await next_event(casa, "announcement.published"))["id"] == to_all.pk
        assert (await next_event(fes, "announcement.published"))["id"] == to_all.pk
    finally:
        await casa.disconnect()
        await fes.disconnect()


async def test_subdirectorates_receive_when_included(ministry):
    sub = await open_socket(ministry["sub_staff"])
    casa = await open_socket(ministry["casa_staff"])
    try:
        a = await publish(ministry["manager"], directorate_ids=[ministry["central"].pk],
                          include_subdirectorates=True)
        assert (await next_event(sub, "announcement.published"))["id"] == a.pk
        assert await no_event(casa, "announcement.published")
    finally:
        await sub.disconnect()
        await casa.disconnect()


async def test_one_event_per_group_and_one_bulk_insert_for_the_bell(ministry):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @database_sync_to_async
    def run():
        with CaptureQueriesContext(connection) as queries:
            a = services.save_announcement(ministry["officer"], data(to_all_staff=True),
                                           services.PUBLISH)
        inserts = [q["sql"] for q in queries.captured_queries
                   if q["sql"].startswith('INSERT INTO "collab_notification"')]
        return a, inserts

    a, inserts = await run()
    assert len(inserts) == 1
    count = await database_sync_to_async(
        Notification.objects.filter(link=a.get_absolute_url()).count)()
    assert count == 8  # everyone in the ministry fixture


async def test_withdrawing_removes_it_live(ministry):
    casa = await open_socket(ministry["casa_staff"])
    try:
        a = await publish(ministry["officer"], directorate_ids=[ministry["casa"].pk])
        await next_event(casa, "announcement.published")
        await database_sync_to_async(services.withdraw)(ministry["officer"], a)
        assert (await next_event(casa, "announcement.withdrawn"))["id"] == a.pk
    finally:
        await casa.disconnect()


async def test_expiry_takes_it_off_open_pages_once(ministry):
    casa = await open_socket(ministry["casa_staff"])
    try:
        a = await publish(ministry["officer"], directorate_ids=[ministry["casa"].pk])
        await next_event(casa, "announcement.published")
        assert await database_sync_to_async(services.expire_due)() == []  # not yet
        await database_sync_to_async(
            Announcement.objects.filter(pk=a.pk).update
        )(expires_at=timezone.now() - timedelta(seconds=1))
        assert await database_sync_to_async(services.expire_due)() == [a.pk]
        assert (await next_event(casa, "announcement.withdrawn"))["id"] == a.pk
        assert await database_sync_to_async(services.expire_due)() == []
        assert await no_event(casa, "announcement.withdrawn")
    finally:
        await casa.disconnect()


async def test_editing_a_published_one_updates_it_live_with_the_mark(ministry):
    casa = await open_socket(ministry["casa_staff"])
    try:
        a = await publish(ministry["officer"], directorate_ids=[ministry["casa"].pk])
        await next_event(casa, "announcement.published")
        await database_sync_to_async(services.save_announcement)(
            ministry["officer"],
            data(directorate_ids=[ministry["casa"].pk], title_fr="Corrigée"),
            services.PUBLISH,
            announcement=a,
        )
        updated = await next_event(casa, "announcement.updated")
        assert "Corrigée" in updated["render"]["fr"]["item"]
        assert "Mise à jour" in updated["render"]["fr"]["item"]
    finally:
        await casa.disconnect()


async def test_acknowledgement_counts_reach_the_author_live(ministry):
    author = await open_socket(ministry["officer"])
    reader = await open_socket(ministry["casa_staff"])
    try:
        a = await publish(ministry["officer"], priority="urgent",
                          directorate_ids=[ministry["casa"].pk, ministry["fes"].pk])
        await next_event(reader, "announcement.published")

        await database_sync_to_async(services.mark_read)(ministry["casa_staff"], a)
        counts = await next_event(author, "announcement.receipts")
        assert counts["id"] == a.pk
        html = counts["render"]["ar"]
        assert 'data-stat="read">1<' in html
        assert 'data-stat="acknowledged">0<' in html

        await database_sync_to_async(services.acknowledge)(ministry["casa_staff"], a)
        # The reader's other tabs drop the banner.
        assert (await next_event(reader, "announcement.acknowledged"))["id"] == a.pk
        counts = await next_event(author, "announcement.receipts")
        assert 'data-stat="acknowledged">1<' in counts["render"]["ar"]
    finally:
        await author.disconnect()
        await reader.disconnect()


def test_acknowledgement_counts_per_directorate(ministry, user_factory, client_for):
    casa2 = user_factory(directorate=ministry["casa"])
    a = services.save_announcement(
        ministry["officer"],
        data(priority="urgent", directorate_ids=[ministry["casa"].pk, ministry["fes"].pk]),
        services.PUBLISH,
    )
    services.mark_read(ministry["casa_staff"], a)
    services.acknowledge(ministry["casa_staff"], a)
    services.mark_read(casa2, a)
    services.acknowledge(ministry["fes_staff"], a)
    services.acknowledge(ministry["fes_staff"], a)  # twice counts once
    stats = selectors.receipt_stats(a)
    rows = {r["directorate_id"]: r for r in stats["rows"]}
    casa = rows[ministry["casa"].pk]
    assert (casa["total"], casa["read"], casa["acknowledged"]) == (3, 2, 1)
    fes = rows[ministry["fes"].pk]
    assert (fes["total"], fes["read"], fes["acknowledged"]) == (1, 1, 1)
    pending = {p.pk for p in stats["pending"]}
    assert pending == {casa2.pk, ministry["casa_manager"].pk}

    # The author sees it and can export the pending list; a reader cannot.
    author = client_for(ministry["officer"])
    page = author.get(f"/announcements/{a.pk}/stats/")
    assert page.status_code == 200
    csv_text = b"".join(author.get(f"/announcements/{a.pk}/stats.csv").streaming_content)
    csv_text = csv_text.decode("utf-8")
    assert casa2.username in csv_text and ministry["casa_manager"].username in csv_text
    assert ministry["casa_staff"].username not in csv_text
    assert client_for(ministry["casa_staff"]).get(
        f"/announcements/{a.pk}/stats/").status_code == 404
    # An administrator sees it too.
    assert client_for(ministry["admin"]).get(f"/announcements/{a.pk}/stats/").status_code == 200


def test_opening_marks_read_and_urgent_needs_explicit_acknowledgement(ministry, client_for):
    a = services.save_announcement(ministry["officer"],
                                   data(priority="urgent", to_all_staff=True), services.PUBLISH)
    reader = client_for(ministry["casa_staff"])
    home = reader.get("/").content.decode()
    assert f'id="ann-banner-{a.pk}"' in home  # banner on every page until acknowledged
    reader.get(a.get_absolute_url())
    receipt = a.receipts.get(user=ministry["casa_staff"])
    assert receipt.read_at is not None and receipt.acknowledged_at is None
    assert f'id="ann-banner-{a.pk}"' in reader.get("/").content.decode()
    response = reader.post(f"/announcements/{a.pk}/acknowledge/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    receipt.refresh_from_db()
    assert receipt.acknowledged_at is not None
    assert f'id="ann-banner-{a.pk}"' not in reader.get("/").content.decode()
    # Someone outside the audience cannot acknowledge a foreign one either.
    b = services.save_announcement(
        ministry["officer"], data(priority="urgent", directorate_ids=[ministry["fes"].pk]),
        services.PUBLISH,
    )
    assert reader.post(f"/announcements/{b.pk}/acknowledge/").status_code == 404
    assert not b.receipts.exists()
    assert Announcement.objects.count() == 2


async def test_narrowing_the_audience_of_a_published_one_removes_it_live(ministry):
    casa = await open_socket(ministry["casa_staff"])
    fes = await open_socket(ministry["fes_staff"])
    try:
        a = await publish(ministry["officer"],
                          directorate_ids=[ministry["casa"].pk, ministry["fes"].pk])
        await next_event(casa, "announcement.published")
        await next_event(fes, "announcement.published")
        await database_sync_to_async(services.save_announcement)(
            ministry["officer"], data(directorate_ids=[ministry["casa"].pk]), services.PUBLISH,
            announcement=a,
        )
        assert (await next_event(fes, "announcement.withdrawn"))["id"] == a.pk
        assert (await next_event(casa, "announcement.updated"))["id"] == a.pk
        assert not await database_sync_to_async(
            selectors.feed(ministry["fes_staff"]).filter(pk=a.pk).exists)()
    finally:
        await casa.disconnect()
        await fes.disconnect()
