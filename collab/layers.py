"""The channel layer: Redis pub/sub fan-out on redis-py's public asyncio API.

It implements Channels' channel-layer interface (``new_channel``, ``send``,
``receive``, ``group_add``, ``group_discard``, ``group_send``, ``flush``,
``close``) and nothing of channels-redis: each event loop (one per Daphne
process) keeps its members in memory and holds one pub/sub connection per
Redis host, on which it subscribes

- once to each group that has a member here: the first ``group_add`` waits
  for Redis to confirm the subscription, every later one for the same group
  costs no round trip (a reconnect storm joins the same groups again and
  again), and the last ``group_discard`` unsubscribes without waiting;
- once to its own inbox, where other processes send to its channels. A send
  to a channel of this event loop never leaves the process.

A group message is one PUBLISH; each process decodes it once for all its
members. Stock Channels then hands it to each member's queue, whose consumer
task wakes, dispatches it and writes the frame: about 130 µs of CPU per
socket and per message here (docs/benchmarks.md, "Chat fan-out"). An event
frame needs none of that: it is encoded once by ``collab.events.publish``.
So a consumer may register a *writer* for its channel (``set_writer``): when
its ``frame_of(message)`` returns a frame, one task per process writes it to
every such socket in turn. Anything else (group changes, closing events,
direct sends the writer does not take) queues for the consumer's handlers.

Delivery is at most once, as with any Channels layer: messages published
while a process is reconnecting to Redis are lost (it then subscribes to
everything again and says so in the log); clients resync from their last
sequence. While this process knows Redis is out of reach, ``group_add``
fails at once, so a new socket is turned away (collab.faults) rather than
opened deaf. Cancelling ``receive`` ends its channel (Channels does so when
a consumer stops): the channel leaves its groups.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
import zlib
from collections import deque
from collections.abc import Awaitable, Callable

import msgpack
import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel
from channels.layers import BaseChannelLayer
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

try:  # what Daphne's WebSocket protocol raises on a write to a socket that closed
    from autobahn.exception import Disconnected as SocketGone
except ImportError:  # another server
    SocketGone = ()

logger = logging.getLogger(__name__)

Send = Callable[[dict], Awaitable[None]]
FrameOf = Callable[[dict], "str | None"]

SPECIFIC = "specific."
RECONNECT_DELAYS = (0.1, 0.2, 0.5, 1.0, 2.0)  # seconds between attempts, the last repeated


def _retry(attempts: int) -> AsyncRetry:
    return AsyncRetry(NoBackoff(), attempts)


def host_entries(hosts) -> list[dict]:
    """The layer's ``hosts`` setting as dicts: ``{"address": URL, ...}``, a
    Sentinel set ``{"sentinels": [(host, port)...], "master_name": ..., ...}``,
    or redis-py connection keywords. A plain string is a URL."""
    entries = hosts or ["redis://127.0.0.1:6379/0"]
    return [{"address": host} if isinstance(host, str) else dict(host) for host in entries]


def _client(host: dict, module, **defaults):
    """A redis-py client (``module``: redis or redis.asyncio) for one host entry."""
    host = {**defaults, **host}
    if "address" in host:
        return module.Redis.from_url(host.pop("address"), **host)
    if "master_name" in host:
        sentinel_module = redis.asyncio.sentinel if module is redis.asyncio else redis.sentinel
        sentinels = sentinel_module.Sentinel(
            host.pop("sentinels"), sentinel_kwargs=host.pop("sentinel_kwargs", None)
        )
        # Asks the Sentinels for the current primary at each (re)connection.
        return sentinels.master_for(host.pop("master_name"), **host)
    return module.Redis(**host)


def blocking_client(host: dict, timeout: float = 2) -> redis.Redis:
    """A blocking client of one host entry: a URL or a Sentinel set.

    Bounded in time: a Redis that is down must not hold the committing thread
    for long, so no back-off, and one retry only (a pooled connection that a
    Redis restart closed).
    """
    host = dict(host)
    host.setdefault("socket_connect_timeout", timeout)
    host.setdefault("socket_timeout", timeout)
    host.setdefault("retry", Retry(NoBackoff(), 1))
    return _client(host, redis)


def shard_index(name: str, count: int) -> int:
    """The host (of ``count``) carrying the Redis channel ``name``, the same in every process."""
    return zlib.crc32(name.encode()) % count if count > 1 else 0


def pack(message) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def unpack(data: bytes):
    return msgpack.unpackb(data, raw=False)


class _Outbox:
    """Frames waiting to be written, drained by one task per event loop.

    One wake-up per group message instead of one per receiving socket; frames
    leave in the order they came, so each socket sees its events in order.
    Daphne's send never waits for the network (Twisted buffers the bytes), so
    a slow client does not hold up the others behind it.
    """

    def __init__(self):
        self.items: deque[tuple[Send, str]] = deque()
        self.task: asyncio.Task | None = None

    def put(self, send: Send, frame: str) -> None:
        self.items.append((send, frame))
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.items:
                send, frame = self.items.popleft()
                try:
                    await send({"type": "websocket.send", "text": frame})
                except SocketGone:
                    pass  # closed meanwhile: its consumer is leaving
                except Exception:  # one socket's failure must not stop the others
                    # A real loss (e.g. a frame over its size limit): say so loudly.
                    logger.error("could not write an event frame (%d bytes)",
                                 len(frame.encode()), exc_info=True)
        finally:
            self.task = None


class _Inbox:
    """One channel of this event loop: its queue, and its socket's writer if any."""

    __slots__ = ("queue", "send", "frame_of", "groups")

    def __init__(self):
        self.queue: asyncio.Queue = asyncio.Queue()
        self.send: Send | None = None
        self.frame_of: FrameOf | None = None
        self.groups: set[str] = set()  # Redis names of the groups it is in

    def put(self, data: bytes, message: dict | None, outbox: _Outbox) -> None:
        """Deliver one message: ``message`` is ``data`` decoded, shared by the
        members (read only), or None when not decoded yet."""
        if self.frame_of is not None:
            try:
                frame = self.frame_of(message if message is not None else unpack(data))
            except Exception:  # never let one odd message stop the group's other sockets
                logger.exception("could not read a channel-layer message")
                frame = None
            if frame is not None:
                outbox.put(self.send, frame)
                return
        # A handler may change what it receives: each gets its own copy.
        self.queue.put_nowait(unpack(data))


class _Shard:
    """The pub/sub connection of one event loop to one Redis host."""

    def __init__(self, local: _Local, host: dict):
        self.local = local
        # Publishing: one immediate retry (a connection a Redis restart closed).
        self.publisher = _client(host, redis.asyncio, retry=_retry(1))
        # Listening: no silent retry, so that a lost connection is seen here,
        # logged, and everything is subscribed again.
        self.listener = _client(host, redis.asyncio, retry=_retry(0))
        self.pubsub = None
        self.reader: asyncio.Task | None = None
        self.wanted: set[str] = set()  # what must be subscribed (again after a reconnect)
        self.subscribed: set[str] = set()  # confirmed by Redis on the current connection
        self.pending: dict[str, asyncio.Future] = {}
        self.batch: list[str] = []
        self.sending_batch = False
        self.down: Exception | None = None  # the error that cut the connection, until it is back
        self.lock = asyncio.Lock()

    async def subscribe(self, name: str) -> None:
        """Return once Redis confirmed the subscription; at once if it did before."""
        if self.down is not None:
            raise redis.ConnectionError(f"Redis out of reach: {self.down}") from self.down
        if name in self.subscribed:
            return
        future = self.pending.get(name)
        if future is None:
            future = self.pending[name] = asyncio.get_running_loop().create_future()
            self.wanted.add(name)
            # Subscriptions asked for in the same turn of the loop go as one
            # SUBSCRIBE command (a reconnect storm asks for hundreds at once).
            self.batch.append(name)
            if not self.sending_batch:
                self.sending_batch = True
                self.local.spawn(self._send_batch())
        # Several callers may wait for the same subscription: one leaving must
        # not cancel it for the others.
        await asyncio.shield(future)

    async def _send_batch(self) -> None:
        async with self.lock:
            names, self.batch, self.sending_batch = self.batch, [], False
            names = [name for name in names if name in self.wanted]
            if not names:
                return
            try:
                if self.down is not None:  # the reader is reconnecting
                    raise redis.ConnectionError(f"Redis out of reach: {self.down}")
                if self.pubsub is None:
                    await self._connect()
                else:
                    await self.pubsub.subscribe(*names)
            except Exception as exc:
                # Not subscribed: the callers fail, and a later call tries again.
                self.wanted.difference_update(names)
                self._fail_pending(names, exc)

    async def unsubscribe(self, name: str) -> None:
        self.wanted.discard(name)
        self.subscribed.discard(name)
        async with self.lock:
            if self.pubsub is not None and self.down is None and name not in self.wanted:
                try:
                    await self.pubsub.unsubscribe(name)
                except Exception:
                    # The connection is failing: the reader reconnects, without this name.
                    logger.debug("could not unsubscribe from %s", name, exc_info=True)

    async def _connect(self) -> int:
        """A new pub/sub connection subscribed to everything wanted (under the lock)."""
        names = sorted(self.wanted)
        pubsub = self.listener.pubsub()
        try:
            await pubsub.subscribe(*names)
        except BaseException:
            await pubsub.aclose()
            raise
        self.pubsub = pubsub
        self.subscribed.clear()  # the confirmations come through the reader
        if self.reader is None or self.reader.done():
            self.reader = asyncio.get_running_loop().create_task(self._read())
        return len(names)

    def _fail_pending(self, names, exc: Exception) -> None:
        for name in names:
            future = self.pending.pop(name, None)
            if future is not None and not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved here: its callers may all have left

    async def _read(self) -> None:
        attempt = 0
        while True:
            pubsub = self.pubsub
            try:
                if pubsub is None:
                    async with self.lock:
                        if not self.wanted:  # nothing left to listen to
                            self.down = self.reader = None
                            return
                        count = await self._connect()
                        self.down, attempt = None, 0
                    logger.warning("channel layer: Redis is back, %d subscriptions restored "
                                   "(messages published meanwhile are lost)", count)
                    continue
                response = await pubsub.get_message(timeout=None)
                if response is not None:
                    self._route(response)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if pubsub is not None:  # the connection was lost (not a failed reconnect)
                    self.pubsub = None
                    self.down = exc
                    self.subscribed.clear()
                    self._fail_pending(list(self.pending), redis.ConnectionError(str(exc)))
                    await pubsub.aclose()
                # Filtered to one line per outage (collab.faults.LayerOutageFilter).
                logger.error("channel layer: lost Redis, reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
                attempt += 1

    def _route(self, response: dict) -> None:
        kind = response["type"]
        if kind == "message":
            self.local.deliver(response["channel"].decode(), response["data"])
        elif kind == "subscribe":
            name = response["channel"].decode()
            if name in self.wanted:
                self.subscribed.add(name)
            future = self.pending.pop(name, None)
            if future is not None and not future.done():
                future.set_result(None)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            try:
                await self.reader
            except asyncio.CancelledError:
                pass
        if self.pubsub is not None:
            await self.pubsub.aclose()
        self._fail_pending(list(self.pending), redis.ConnectionError("channel layer closed"))
        await self.listener.aclose()
        await self.publisher.aclose()


class _Local:
    """What the layer holds for one event loop: its channels, groups and connections."""

    def __init__(self, layer: RedisPubSubLayer):
        self.layer = layer
        self.token = uuid.uuid4().hex
        self.inbox = f"{layer.prefix}:inbox:{self.token}"
        self.channels: dict[str, _Inbox] = {}
        self.groups: dict[str, set[str]] = {}  # Redis name of a group -> its channels here
        self.general: dict[str, str] = {}  # Redis name -> a channel without "!" received here
        self.shards = [_Shard(self, host) for host in layer.hosts]
        self.outbox = _Outbox()
        self.tasks: set[asyncio.Task] = set()

    def shard(self, name: str) -> _Shard:
        return self.shards[shard_index(name, len(self.shards))]

    def spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)  # a reference until it ends
        task.add_done_callback(self.tasks.discard)

    def deliver(self, name: str, data: bytes) -> None:
        members = self.groups.get(name)
        if members is not None:
            message = None  # decoded once for all the members that take frames
            for channel in members:
                inbox = self.channels.get(channel)
                if inbox is not None:
                    if message is None and inbox.frame_of is not None:
                        message = unpack(data)
                    inbox.put(data, message, self.outbox)
        elif name == self.inbox:
            channel, message = unpack(data)
            inbox = self.channels.get(channel)
            if inbox is not None:
                inbox.put(pack(message), message, self.outbox)
        elif name in self.general:
            inbox = self.channels.get(self.general[name])
            if inbox is not None:
                inbox.put(data, None, self.outbox)

    def drop(self, channel: str) -> None:
        """The channel's consumer stopped: forget it, and leave its groups."""
        inbox = self.channels.pop(channel, None)
        if inbox is None:
            return
        for name in inbox.groups:
            members = self.groups.get(name)
            if members is not None:
                members.discard(channel)
                if not members:
                    del self.groups[name]
                    self.spawn(self.shard(name).unsubscribe(name))
        for name, general in list(self.general.items()):
            if general == channel:
                del self.general[name]
                self.spawn(self.shard(name).unsubscribe(name))

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for shard in self.shards:
            await shard.close()
        self.channels.clear()
        self.groups.clear()
        self.general.clear()


class RedisPubSubLayer(BaseChannelLayer):
    """Channels' channel layer on Redis pub/sub; see the module's docstring.

    ``hosts``: Redis URLs or host entries (see ``host_entries``); with several,
    each group and inbox lives on one of them, chosen by hashing its name.
    ``prefix`` keeps deployments that share a Redis apart.
    """

    extensions = ["groups", "flush"]

    def __init__(self, hosts=None, prefix: str = "asgi", expiry: int = 60,
                 capacity: int = 100, channel_capacity=None):
        super().__init__(expiry=expiry, capacity=capacity, channel_capacity=channel_capacity)
        self.hosts = host_entries(hosts)
        self.prefix = prefix
        self._locals: dict[asyncio.AbstractEventLoop, _Local] = {}
        self._blocking: list[redis.Redis] | None = None
        self._blocking_lock = threading.Lock()

    def serialize(self, message: dict) -> bytes:
        return pack(message)

    def deserialize(self, data: bytes) -> dict:
        return unpack(data)

    def _local(self) -> _Local:
        loop = asyncio.get_running_loop()
        local = self._locals.get(loop)
        if local is None:
            # Threads that run a short-lived loop of their own (async_to_sync)
            # leave state behind: forget that of loops that are closed.
            for old in [old for old in self._locals if old.is_closed()]:
                del self._locals[old]
            local = self._locals[loop] = _Local(self)
        return local

    def group_channel(self, group: str) -> str:
        """The Redis channel a group's messages are published on."""
        return f"{self.prefix}:group:{group}"

    # Channels -----------------------------------------------------------------

    async def new_channel(self, prefix: str = SPECIFIC) -> str:
        local = self._local()
        channel = f"{prefix}{local.token}!{uuid.uuid4().hex}"
        local.channels[channel] = _Inbox()
        shard = local.shard(local.inbox)
        if local.inbox not in shard.wanted:  # once per event loop
            try:
                await shard.subscribe(local.inbox)
            except BaseException:
                local.channels.pop(channel, None)
                raise
        return channel

    async def send(self, channel: str, message: dict) -> None:
        self.require_valid_channel_name(channel)
        local = self._local()
        inbox = local.channels.get(channel)
        if "!" in channel:
            if inbox is not None:  # lives here: no need for Redis
                inbox.put(pack(message), None, local.outbox)
                return
            token = channel[: channel.index("!")].rsplit(".", 1)[-1]
            name, data = f"{self.prefix}:inbox:{token}", pack([channel, message])
        else:
            name, data = f"{self.prefix}:channel:{channel}", pack(message)
        await local.shard(name).publisher.publish(name, data)

    async def receive(self, channel: str) -> dict:
        self.require_valid_channel_name(channel)
        local = self._local()
        inbox = local.channels.get(channel)
        if inbox is None:
            inbox = local.channels[channel] = _Inbox()
            if "!" not in channel:
                name = f"{self.prefix}:channel:{channel}"
                local.general[name] = channel
                await local.shard(name).subscribe(name)
        try:
            return await inbox.queue.get()
        except asyncio.CancelledError:
            local.drop(channel)
            raise

    def set_writer(self, channel: str, send: Send, frame_of: FrameOf) -> None:
        """Write the frames ``frame_of`` picks from this channel's messages with ``send``."""
        inbox = self._local().channels.get(channel)
        if inbox is not None:
            inbox.send, inbox.frame_of = send, frame_of

    # Groups -------------------------------------------------------------------

    async def group_add(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        local = self._local()
        inbox = local.channels.get(channel)
        if inbox is None:
            raise RuntimeError("group_add() takes a channel of this process "
                               "(self.channel_name in a consumer).")
        name = self.group_channel(group)
        members = local.groups.setdefault(name, set())
        new_member = channel not in members
        members.add(channel)
        inbox.groups.add(name)
        try:
            await local.shard(name).subscribe(name)
        except BaseException:
            if new_member:
                await self.group_discard(group, channel)
            raise

    async def group_discard(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        local = self._local()
        name = self.group_channel(group)
        members = local.groups.get(name)
        inbox = local.channels.get(channel)
        if inbox is not None:
            inbox.groups.discard(name)
        if members is None or channel not in members:
            return
        members.discard(channel)
        if not members:
            del local.groups[name]
            await local.shard(name).unsubscribe(name)

    async def group_send(self, group: str, message: dict) -> None:
        self.require_valid_group_name(group)
        name = self.group_channel(group)
        await self._local().shard(name).publisher.publish(name, pack(message))

    def group_send_blocking(self, group: str, message: dict) -> None:
        """``group_send`` for synchronous code (the worker thread that committed).

        One PUBLISH on a blocking connection, where ``async_to_sync(group_send)``
        would hop into the event loop and wait there, behind the deliveries it
        is busy with. Same Redis channel, host and encoding as ``group_send``.
        """
        with self._blocking_lock:
            if self._blocking is None:
                self._blocking = [blocking_client(host) for host in self.hosts]
        name = self.group_channel(group)
        self._blocking[shard_index(name, len(self._blocking))].publish(name, pack(message))

    # Flush --------------------------------------------------------------------

    async def flush(self) -> None:
        """Forget this event loop's channels and groups and close its connections;
        the layer opens new ones when used again."""
        local = self._locals.pop(asyncio.get_running_loop(), None)
        if local is not None:
            await local.close()

    async def close(self) -> None:
        await self.flush()
        with self._blocking_lock:
            for client in self._blocking or ():
                client.close()
            self._blocking = None
