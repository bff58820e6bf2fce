"""channels-redis's pub/sub layer, with event frames written straight to sockets.

Stock Channels hands every group message to each member channel's queue; the
consumer's task then wakes, decodes the message, dispatches it and writes the
frame: about 130 µs of CPU per socket and per message here, so a 100-member
conversation at 100 messages/s needed more than both cores for delivery alone
(docs/benchmarks.md, "Chat fan-out"). An event frame needs none of that: it is
encoded once by ``collab.events.publish`` and every socket sends it as is.

So a consumer may register a *writer* for its channel: the layer decodes a
group message once for all its local members, and when the consumer's
``frame_of(message)`` returns a frame, one task per process writes it to every
such socket in turn. Anything else (group changes, closing events, direct
sends) still queues for the consumer's own handlers, as in stock Channels.
Delivery stays at most once, as before: clients resync from their last
sequence.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable

import redis
import redis.sentinel
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer
from channels_redis.utils import _consistent_hash, _wrap_close, decode_hosts

logger = logging.getLogger(__name__)

Send = Callable[[dict], Awaitable[None]]
FrameOf = Callable[[dict], "str | None"]


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
                except Exception:  # one socket's failure must not stop the others
                    # Daphne ignores writes to a closed socket, so this is a real
                    # loss (e.g. a frame over its size limit): say so loudly.
                    logger.error("could not write an event frame (%d bytes)",
                                 len(frame.encode()), exc_info=True)
        finally:
            self.task = None


class _Inbox(asyncio.Queue):
    """A channel's queue: frames its socket's writer takes go straight out."""

    def __init__(self, layer: WritingLoopLayer):
        super().__init__()
        self.layer = layer
        self.send: Send | None = None
        self.frame_of: FrameOf | None = None

    def put_nowait(self, data):
        if self.frame_of is not None:
            try:
                frame = self.frame_of(self.layer.decode(data))
            except Exception:  # never let one odd message stop the group's other sockets
                logger.exception("could not read a channel-layer message")
                frame = None
            if frame is not None:
                self.layer.outbox.put(self.send, frame)
                return
        super().put_nowait(data)


class WritingLoopLayer(RedisPubSubLoopLayer):
    """The per-event-loop layer of channels-redis, with writable inboxes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outbox = _Outbox()
        # A group message reaches every local member as the same bytes object:
        # decode it once, not once per socket.
        self._last: tuple[bytes | None, dict | None] = (None, None)

    def decode(self, data: bytes) -> dict:
        if data is not self._last[0]:
            self._last = (data, self.channel_layer.deserialize(data))
        return self._last[1]

    async def _subscribe_to_channel(self, channel):
        self.channels[channel] = _Inbox(self)
        await self._get_shard(channel).subscribe(channel)

    def set_writer(self, channel: str, send: Send, frame_of: FrameOf) -> None:
        """Write the frames ``frame_of`` picks from this channel's messages with ``send``."""
        inbox = self.channels.get(channel)
        if isinstance(inbox, _Inbox):
            inbox.send, inbox.frame_of = send, frame_of


def blocking_client(host: dict, timeout: float = 2) -> redis.Redis:
    """A blocking client of one channels-redis host entry: a URL or a Sentinel set.

    The same entries channels-redis's own ``create_pool`` reads, so a blocking
    PUBLISH reaches the server (the Sentinels' current primary) the layer uses.
    """
    host = dict(host)
    # A Redis that is down must not hold the committing thread for long.
    host.setdefault("socket_connect_timeout", timeout)
    host.setdefault("socket_timeout", timeout)
    if "address" in host:
        return redis.Redis.from_url(host.pop("address"), **host)
    if "master_name" in host:
        sentinels = redis.sentinel.Sentinel(
            host.pop("sentinels"), sentinel_kwargs=host.pop("sentinel_kwargs", None)
        )
        return sentinels.master_for(host.pop("master_name"), **host)
    return redis.Redis(**host)


class WritingPubSubChannelLayer(RedisPubSubChannelLayer):
    """``RedisPubSubChannelLayer`` whose consumers may write event frames directly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What RedisPubSubLoopLayer names group channels with (its default prefix).
        self.prefix = self._kwargs.get("prefix", "asgi")
        self._blocking: list[redis.Redis] | None = None
        self._blocking_lock = threading.Lock()

    def group_send_blocking(self, group: str, message: dict) -> None:
        """``group_send`` for synchronous code (the worker thread that committed).

        One PUBLISH on a blocking connection, where ``async_to_sync(group_send)``
        would hop into the event loop and wait there, behind the deliveries it
        is busy with. Same channel name, shard and encoding as ``group_send``.
        """
        with self._blocking_lock:
            if self._blocking is None:
                hosts = decode_hosts(self._kwargs.get("hosts"))
                self._blocking = [self._blocking_client(host) for host in hosts]
        channel = RedisPubSubLoopLayer._get_group_channel_name(self, group)
        client = self._blocking[_consistent_hash(channel, len(self._blocking))]
        client.publish(channel, self.serialize(message))

    @staticmethod
    def _blocking_client(host: dict) -> redis.Redis:
        return blocking_client(host)

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = WritingLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
            return layer
