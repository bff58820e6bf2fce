"""collab.layers: the layer writes event frames itself; everything else reaches the consumer."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async

from collab import events, services
from collab.consumers import CollabConsumer
from tests.conftest import connect_socket, redis_channel_layers, redis_url_or_skip

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def writing_layer(settings):
    """The production layer on a real Redis, under a prefix of this test's own."""
    settings.CHANNEL_LAYERS = redis_channel_layers(
        redis_url_or_skip(), f"t-{uuid.uuid4().hex[:8]}"
    )


@pytest.fixture
def consumer_deliveries(monkeypatch):
    """Events that went through the consumer's own handler (not written by the layer)."""
    seen = []
    original = CollabConsumer.collab_event

    async def recording(self, message):
        seen.append(message["event"])
        await original(self, message)

    monkeypatch.setattr(CollabConsumer, "collab_event", recording)
    return seen


async def open_socket(user):
    communicator, connected, _ = await connect_socket(user)
    assert connected
    assert json.loads(await communicator.receive_from(timeout=3))["type"] == "hello"
    return communicator


async def frames(communicator, count):
    return [json.loads(await communicator.receive_from(timeout=3)) for _ in range(count)]


async def test_event_frames_reach_every_tab_in_order_without_the_consumer(
    writing_layer, consumer_deliveries, user_factory
):
    alice = await sync_to_async(user_factory)()
    tabs = [await open_socket(alice) for _ in range(3)]
    for n in range(30):
        await sync_to_async(services.notify)(alice, kind="test", title=f"n{n}")
    for tab in tabs:
        got = await frames(tab, 30)
        assert [f["data"]["title"] for f in got] == [f"n{n}" for n in range(30)]
        assert [f["data"]["unread"] for f in got] == list(range(1, 31))
        assert await tab.receive_nothing(timeout=0.2)
        await tab.disconnect()
    assert consumer_deliveries == []


async def test_group_changes_still_go_through_the_consumer(writing_layer, user_factory):
    alice = await sync_to_async(user_factory)()
    bob = await sync_to_async(user_factory)()
    alice_socket, bob_socket = await open_socket(alice), await open_socket(bob)
    group = events.group_name(events.Audience.USER, bob.pk)
    await sync_to_async(events.change_groups)(alice.pk, join=[group])
    # The join is handled by alice's consumer; after it, bob's events reach her too.
    await alice_socket.receive_nothing(timeout=0.3)
    await sync_to_async(services.notify)(bob, kind="test", title="for bob")
    for socket in (alice_socket, bob_socket):
        (frame,) = await frames(socket, 1)
        assert frame["data"]["title"] == "for bob"
    await sync_to_async(events.change_groups)(alice.pk, leave=[group])
    await alice_socket.receive_nothing(timeout=0.3)
    await sync_to_async(services.notify)(bob, kind="test", title="bob only")
    assert (await frames(bob_socket, 1))[0]["data"]["title"] == "bob only"
    assert await alice_socket.receive_nothing(timeout=0.3)
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_closing_events_are_left_to_the_consumer(
    writing_layer, consumer_deliveries, user_factory
):
    alice = await sync_to_async(user_factory)()
    socket = await open_socket(alice)
    await sync_to_async(services.disable_account_sockets)(alice)
    (frame,) = await frames(socket, 1)
    assert frame["event"] == events.ACCOUNT_DISABLED.name
    assert (await socket.receive_output(timeout=3))["code"] == 4003
    assert consumer_deliveries == [events.ACCOUNT_DISABLED.name]
