"""collab.layers: Channels' channel-layer interface on Redis pub/sub, and its
writer path (the layer writes event frames itself; everything else reaches
the consumer).

Two layer instances in one event loop stand for two worker processes: each has
its own inbox, members and connections. The interface tests run on a
redis-server of their own (stopped, restarted, and its clients killed here).
"""

import asyncio
import json
import logging
import shutil
import uuid

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from collab import events, services
from collab.consumers import CollabConsumer
from collab.layers import RedisPubSubLayer
from tests import multiproc
from tests.conftest import IN_CI, connect_socket, redis_channel_layers, redis_url_or_skip


@pytest.fixture
async def writing_layer(settings, transactional_db):
    """The production layer on a real Redis, under a prefix of this test's own."""
    settings.CHANNEL_LAYERS = redis_channel_layers(
        redis_url_or_skip(), f"t-{uuid.uuid4().hex[:8]}"
    )
    yield
    await get_channel_layer().close()  # its connections belong to this test's loop


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (needed for a private Redis)")
        pytest.skip("needs the redis-server binary for a private Redis")
    server = multiproc.RedisServer(tmp_path_factory.mktemp("layer-redis")).start()
    yield server
    server.stop()


@pytest.fixture
async def workers(own_redis):
    from collab import faults

    """Two layers on the same Redis and prefix, as two worker processes."""
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    made = [RedisPubSubLayer(hosts=[own_redis.url], prefix=prefix) for _ in range(2)]
    yield made
    for task in _waiting.values():
        task.cancel()
    _waiting.clear()
    for layer in made:
        await layer.close()
    faults.CHANNEL_LAYER.ok()  # this process's outage state, for the next tests


def admin(server) -> redis.Redis:
    return redis.Redis.from_url(server.url)


def calls(server, command: str) -> int:
    """How many times the server ran ``command`` so far."""
    return admin(server).info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


_waiting: dict = {}


async def receive(layer, channel, timeout=3):
    """The channel's next message. Cancelling ``receive`` would end the channel
    (as when its consumer stops), so a wait that times out keeps it pending."""
    task = _waiting.pop((layer, channel), None) or asyncio.ensure_future(layer.receive(channel))
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        _waiting[(layer, channel)] = task
        raise TimeoutError(f"nothing for {channel} within {timeout} s")
    return task.result()


async def test_send_and_receive_here_and_in_another_process(workers, own_redis):
    first, second = workers
    here, there = await first.new_channel(), await second.new_channel()
    publishes = calls(own_redis, "publish")
    await first.send(here, {"type": "test.local", "n": 1})
    assert await receive(first, here) == {"type": "test.local", "n": 1}
    assert calls(own_redis, "publish") == publishes  # never left the process
    await first.send(there, {"type": "test.remote", "text": "مرحبا", "raw": b"\x00"})
    assert await receive(second, there) == {"type": "test.remote", "text": "مرحبا", "raw": b"\x00"}
    # A general channel name (no "!"): received wherever someone listens.
    listening = asyncio.ensure_future(second.receive("jobs.render"))
    while "jobs.render" not in second._local().channels or not calls(own_redis, "subscribe"):
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    await first.send("jobs.render", {"type": "render", "id": 7})
    assert await asyncio.wait_for(listening, 3) == {"type": "render", "id": 7}


async def test_groups_span_processes_and_one_subscription_serves_a_group(workers, own_redis):
    first, second = workers
    mine = [await first.new_channel() for _ in range(50)]
    theirs = await second.new_channel()
    subscribes = calls(own_redis, "subscribe")
    await asyncio.gather(*(first.group_add("room", c) for c in mine))  # at once, as a storm
    await second.group_add("room", theirs)
    assert calls(own_redis, "subscribe") - subscribes <= 2  # one command per process
    name = first.group_channel("room")
    assert admin(own_redis).pubsub_numsub(name) == [(name.encode(), 2)]
    # Joining a group this process already listens to costs no round trip.
    later = await first.new_channel()
    subscribes = calls(own_redis, "subscribe")
    await first.group_add("room", later)
    assert calls(own_redis, "subscribe") == subscribes

    await second.group_send("room", {"type": "room.said", "text": "bonjour"})
    got = [await receive(first, channel) for channel in [*mine, later]]
    assert got == [{"type": "room.said", "text": "bonjour"}] * 51
    assert got[0] is not got[1]  # each handler may change its own copy
    assert await receive(second, theirs) == {"type": "room.said", "text": "bonjour"}

    for channel in [*mine, later]:
        await first.group_discard("room", channel)
    await first.group_discard("room", mine[0])  # not a member any more: nothing happens
    second.group_send_blocking("room", {"type": "room.said", "text": "only them"})
    assert await receive(second, theirs) == {"type": "room.said", "text": "only them"}
    with pytest.raises(TimeoutError):
        await receive(first, later, timeout=0.3)
    for _ in range(50):  # the last member left: unsubscribed without waiting for it
        if admin(own_redis).pubsub_numsub(name) == [(name.encode(), 1)]:
            break
        await asyncio.sleep(0.02)
    assert admin(own_redis).pubsub_numsub(name) == [(name.encode(), 1)]


async def test_a_stopped_consumer_leaves_its_groups(workers, own_redis):
    first, second = workers
    channel, theirs = await first.new_channel(), await second.new_channel()
    await first.group_add("room", channel)
    await second.group_add("room", theirs)
    # Channels cancels receive() when a consumer stops.
    waiting = asyncio.ensure_future(first.receive(channel))
    await asyncio.sleep(0.05)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert first.group_channel("room") not in first._local().groups
    name = first.group_channel("room")
    for _ in range(50):
        if admin(own_redis).pubsub_numsub(name) == [(name.encode(), 1)]:
            break
        await asyncio.sleep(0.02)
    assert admin(own_redis).pubsub_numsub(name) == [(name.encode(), 1)]


async def test_flush_forgets_channels_and_groups(workers):
    first, second = workers
    channel, theirs = await first.new_channel(), await second.new_channel()
    await first.group_add("room", channel)
    await second.group_add("room", theirs)
    await first.flush()
    await second.group_send("room", {"type": "room.said"})
    assert await receive(second, theirs) == {"type": "room.said"}
    # Usable again after a flush, as if new.
    again = await first.new_channel()
    await first.group_add("room", again)
    await second.group_send("room", {"type": "room.again"})
    assert await receive(first, again) == {"type": "room.again"}


async def test_subscriptions_come_back_after_redis_drops_the_connection(
    workers, own_redis, caplog
):
    first, second = workers
    channel, theirs = await first.new_channel(), await second.new_channel()
    await first.group_add("room", channel)
    await second.group_add("room", theirs)
    caplog.set_level(logging.WARNING, logger="collab.layers")
    assert admin(own_redis).client_kill_filter(_type="pubsub") >= 2
    # Messages published meanwhile may be lost (at most once): publish until
    # one arrives, then the connection is back with both subscriptions.
    for _ in range(50):
        await second.group_send("room", {"type": "room.said"})
        try:
            assert await receive(first, channel, timeout=0.2) == {"type": "room.said"}
            break
        except TimeoutError:
            pass
    else:
        raise AssertionError("the group did not come back after the connection was killed")
    await second.send(channel, {"type": "direct"})  # the inbox came back too
    while (message := await receive(first, channel)) != {"type": "direct"}:
        assert message == {"type": "room.said"}
    assert "Redis is back, 2 subscriptions restored" in caplog.text
    # The loss itself is one line for the whole outage (collab.faults).
    assert "channel layer (Redis) unavailable" in caplog.text


async def test_joining_fails_at_once_while_redis_is_down_and_works_once_back(workers, own_redis):
    first, second = workers
    channel, theirs = await first.new_channel(), await second.new_channel()
    await first.group_add("room", channel)
    own_redis.stop()
    try:
        while first._local().shards[0].down is None:  # the reader saw the connection close
            await asyncio.sleep(0.02)
        # Even a group this process listens to: a socket must not open deaf.
        with pytest.raises(redis.ConnectionError):
            await first.group_add("room", await first.new_channel())
        with pytest.raises(redis.ConnectionError):
            await second.group_send("room", {"type": "lost"})
    finally:
        own_redis.start()
    # Each process reconnects on its own (with back-off): joining works again then.
    for layer, member in ((first, channel), (second, theirs)):
        for _ in range(100):
            try:
                await layer.group_add("room", member)
                break
            except redis.ConnectionError:
                await asyncio.sleep(0.1)
    await second.group_send("room", {"type": "room.back"})
    assert await receive(first, channel, timeout=5) == {"type": "room.back"}


async def test_groups_are_spread_over_several_hosts(own_redis, tmp_path):
    other = multiproc.RedisServer(tmp_path).start()
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    hosts = [own_redis.url, {"address": other.url}]
    first, second = (RedisPubSubLayer(hosts=hosts, prefix=prefix) for _ in range(2))
    try:
        here, there = await first.new_channel(), await second.new_channel()
        groups = [f"g{n}" for n in range(20)]
        for group in groups:
            await first.group_add(group, here)
        for server in (own_redis, other):  # each host carries some of the groups
            assert any(name.startswith(f"{prefix}:group:".encode())
                       for name in admin(server).pubsub_channels())
        for group in groups:
            await second.group_send(group, {"type": "g", "group": group})
            second.group_send_blocking(group, {"type": "b", "group": group})
        got = [await receive(first, here) for _ in range(40)]
        assert sorted(m["group"] for m in got) == sorted(groups * 2)
        await second.send(here, {"type": "direct"})
        assert await receive(first, here) == {"type": "direct"}
        await first.send(there, {"type": "back"})
        assert await receive(second, there) == {"type": "back"}
    finally:
        await first.close()
        await second.close()
        other.stop()


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


@pytest.mark.django_db(transaction=True)
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


async def _members_become(group: str, count: int) -> None:
    """Wait until this process's layer holds ``count`` sockets in ``group``: group
    changes are handled by the consumers, not ordered with directly written frames."""
    layer = get_channel_layer()
    name = layer.group_channel(group)
    for _ in range(1000):
        if len(layer._local().groups.get(name, ())) == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{group} never had {count} local members")


@pytest.mark.django_db(transaction=True)
async def test_group_changes_still_go_through_the_consumer(writing_layer, user_factory):
    alice = await sync_to_async(user_factory)()
    bob = await sync_to_async(user_factory)()
    alice_socket, bob_socket = await open_socket(alice), await open_socket(bob)
    group = events.group_name(events.Audience.USER, bob.pk)
    await sync_to_async(events.change_groups)(alice.pk, join=[group])
    # The join is handled by alice's consumer; after it, bob's events reach her too.
    await _members_become(group, 2)
    await sync_to_async(services.notify)(bob, kind="test", title="for bob")
    for socket in (alice_socket, bob_socket):
        (frame,) = await frames(socket, 1)
        assert frame["data"]["title"] == "for bob"
    await sync_to_async(events.change_groups)(alice.pk, leave=[group])
    await _members_become(group, 1)
    await sync_to_async(services.notify)(bob, kind="test", title="bob only")
    assert (await frames(bob_socket, 1))[0]["data"]["title"] == "bob only"
    assert await alice_socket.receive_nothing(timeout=0.3)
    await alice_socket.disconnect()
    await bob_socket.disconnect()


@pytest.mark.django_db(transaction=True)
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
