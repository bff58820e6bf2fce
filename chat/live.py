"""Short-lived state: rate limits, typing throttle, presence.

Kept in Redis with expiry when REDIS_URL is set, so every Daphne process sees
the same values; in process memory otherwise (one process, development).
Nothing here is ever the only copy of something that matters.
Not Django's cache framework: it needs three round trips for a rate limit, pickles
values and does not fail open (docs/benchmarks.md, bench/chat_live_store.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

PRESENCE_TTL = 75  # seconds; clients send a heartbeat every 30 s
PRESENCE_STATES = ("online", "away")


class MemoryStore:
    def __init__(self):
        self._lock = threading.Lock()
        self._data: dict[str, tuple[float, str | int]] = {}

    def _live(self, key):
        item = self._data.get(key)
        if item and item[0] < time.monotonic():
            del self._data[key]
            return None
        return item

    def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            item = self._live(key)
            value = (item[1] if item else 0) + 1
            expires = item[0] if item else time.monotonic() + ttl
            self._data[key] = (expires, value)
            return value

    def set_once(self, key: str, ttl: float) -> bool:
        """True if the key was absent (and is now set for ``ttl`` seconds)."""
        with self._lock:
            if self._live(key):
                return False
            self._data[key] = (time.monotonic() + ttl, 1)
            return True

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + ttl, value)

    def get_many(self, keys: list[str]) -> list:
        with self._lock:
            return [(self._live(k) or (0, None))[1] for k in keys]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def _fail_open(default):
    """Redis down must not stop the chat: messages are stored in the database
    and resynced; only these helpers (limits, typing, presence) degrade."""

    def wrap(method):
        def wrapped(self, *args, **kwargs):
            import redis

            try:
                return method(self, *args, **kwargs)
            except redis.RedisError:
                logger.warning("chat live store unavailable: %s", method.__name__)
                return default(*args) if callable(default) else default

        return wrapped

    return wrap


class RedisStore:
    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(
            url, socket_timeout=1, socket_connect_timeout=1, decode_responses=True
        )
        self.prefix = prefix

    @_fail_open(0)
    def incr(self, key: str, ttl: float) -> int:
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, int(ttl) or 1, nx=True)
        return pipe.execute()[0]

    @_fail_open(False)
    def set_once(self, key: str, ttl: float) -> bool:
        return bool(self.client.set(key, 1, nx=True, px=int(ttl * 1000)))

    @_fail_open(None)
    def set(self, key: str, value: str, ttl: float) -> None:
        self.client.set(key, value, px=int(ttl * 1000))

    @_fail_open(lambda keys: [None] * len(keys))
    def get_many(self, keys: list[str]) -> list:
        return self.client.mget(keys) if keys else []

    def clear(self) -> None:
        for key in self.client.scan_iter(f"{self.prefix}*"):
            self.client.delete(key)


_store = None
_store_lock = threading.Lock()


def prefix() -> str:
    return f"{os.environ.get('CHANNEL_LAYER_PREFIX', 'collab')}:chat:"


def store():
    global _store
    with _store_lock:
        if _store is None:
            url = settings.REDIS_URL
            _store = RedisStore(url, prefix()) if url else MemoryStore()
        return _store


def _env_rate_limit() -> tuple[int, int]:
    """CHAT_RATE_LIMIT="count/seconds" in the environment (default 20 per 10 s)."""
    count, _, window = os.environ.get("CHAT_RATE_LIMIT", "20/10").partition("/")
    return int(count), int(window or 10)


def allow_message(user_id: int) -> bool:
    """Per-user rate limit on sending: a fixed window of CHAT_RATE_LIMIT."""
    count, window = getattr(settings, "CHAT_RATE_LIMIT", None) or _env_rate_limit()
    bucket = int(time.time() // window)
    return store().incr(f"{prefix()}rate:{user_id}:{bucket}", window + 1) <= count


def allow_typing(user_id: int, conversation_id: int) -> bool:
    return store().set_once(f"{prefix()}typing:{user_id}:{conversation_id}", 3)


def set_presence(user_id: int, state: str) -> None:
    store().set(f"{prefix()}presence:{user_id}", state, PRESENCE_TTL)


def presence_of(user_ids: list[int]) -> dict[int, str]:
    values = store().get_many([f"{prefix()}presence:{uid}" for uid in user_ids])
    return {uid: (value if value in PRESENCE_STATES else "offline")
            for uid, value in zip(user_ids, values, strict=True)}
