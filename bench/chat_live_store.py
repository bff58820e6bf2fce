"""chat/live.py's Redis store against Django's cache framework (RedisCache) on
the same Redis, for the three operations the chat runs per action.

    REDIS_URL=redis://127.0.0.1:6379/11 .venv/bin/python bench/chat_live_store.py

- rate limit (every message): live.py pipelines INCR + EXPIRE NX (one round
  trip); the cache API needs add() then incr(), and Django's incr() checks
  EXISTS first: three round trips.
- typing throttle (every keystroke burst): SET NX PX vs cache.add() (one each).
- presence (every page with members, every heartbeat reply): MGET vs
  cache.get_many() (one each; values are pickled by the cache).
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collab.settings")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")

import django  # noqa: E402

django.setup()

from django.core.cache.backends.redis import RedisCache  # noqa: E402

from chat.live import RedisStore  # noqa: E402

URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")
N = 3000


def timed(call) -> float:
    call(0)
    start = time.perf_counter()
    for i in range(N):
        call(i)
    return (time.perf_counter() - start) / N * 1e6


def cache_incr(cache, key, ttl):
    cache.add(key, 0, ttl)
    return cache.incr(key)


def main():
    store = RedisStore(URL, "bench:live:")
    cache = RedisCache(URL, {"KEY_PREFIX": "bench:cache"})
    ids = list(range(50))
    for uid in ids:
        store.set(f"bench:live:presence:{uid}", "online", 60)
        cache.set(f"presence:{uid}", "online", 60)
    rows = [
        ("rate limit", timed(lambda i: store.incr("bench:live:rate", 11)),
         timed(lambda i: cache_incr(cache, "rate", 11))),
        ("typing throttle", timed(lambda i: store.set_once(f"bench:live:typing:{i}", 3)),
         timed(lambda i: cache.add(f"typing:{i}", 1, 3))),
        ("presence of 50", timed(lambda i: store.get_many(
            [f"bench:live:presence:{u}" for u in ids])),
         timed(lambda i: cache.get_many([f"presence:{u}" for u in ids]))),
    ]
    print("| operation | chat/live.py µs | Django RedisCache µs |")
    print("|---|---|---|")
    for name, ours, theirs in rows:
        print(f"| {name} | {ours:.0f} | {theirs:.0f} |")
    for key in store.client.scan_iter("*bench:*"):
        store.client.delete(key)


if __name__ == "__main__":
    main()
