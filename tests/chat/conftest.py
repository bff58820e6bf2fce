"""Chat fixtures: a clean short-lived store, people in directorates, socket helpers."""

from __future__ import annotations

import asyncio
import json

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Users are made by the dozen here; the real hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def clean_live_store():
    # Rate-limit windows and presence live in Redis when REDIS_URL is set:
    # user ids repeat across test databases, so start each test empty.
    from chat import live

    live.store().clear()
    yield
    live.store().clear()


@pytest.fixture
def two_directorates(directorate_factory, user_factory):
    """Two directorates with two members each: (channel_a, channel_b, [a1, a2], [b1, b2])."""
    from chat.models import Conversation

    da, db_ = directorate_factory(), directorate_factory()
    a = [user_factory(directorate=da), user_factory(directorate=da)]
    b = [user_factory(directorate=db_), user_factory(directorate=db_)]
    channel_a = Conversation.objects.get(directorate=da)
    channel_b = Conversation.objects.get(directorate=db_)
    return channel_a, channel_b, a, b


def _backlog(communicator) -> list[dict]:
    # Frames call() read past while waiting for its reply: events may arrive
    # before the reply (collab.layers writes them without waiting for the
    # socket's action to finish), and the next reads must still see them.
    return communicator.__dict__.setdefault("backlog", [])


async def frames_until(communicator, predicate, timeout=5.0):
    """Read frames until one matches ``predicate``; return it (fail on timeout)."""
    backlog = _backlog(communicator)
    while backlog:
        frame = backlog.pop(0)
        if predicate(frame):
            return frame
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError("expected frame did not arrive")
        frame = json.loads(await communicator.receive_from(timeout=remaining))
        if predicate(frame):
            return frame


async def collect_until(communicator, predicate, timeout=5.0) -> list[dict]:
    """Every frame up to and including the first that matches ``predicate``."""
    frames = []

    def keep(frame):
        frames.append(frame)
        return predicate(frame)

    await frames_until(communicator, keep, timeout)
    return frames


async def drain(communicator, wait=0.3) -> list[dict]:
    """Every frame that arrives within ``wait`` seconds."""
    frames = _backlog(communicator)[:]
    _backlog(communicator).clear()
    # receive_nothing() waits without cancelling the application (a timed-out
    # receive_from() would cancel it and close the socket).
    while not await communicator.receive_nothing(timeout=wait):
        frames.append(json.loads(await communicator.receive_from()))
    return frames


def is_event(name, **fields):
    def check(frame):
        return (
            frame.get("type") == "event"
            and frame.get("event") == name
            and all(frame["data"].get(k) == v for k, v in fields.items())
        )

    return check


def is_reply(ref):
    return lambda frame: frame.get("ref") == ref and frame.get("type") in ("reply", "error")


async def call(communicator, action, data, ref="r1"):
    await communicator.send_json_to({"action": action, "ref": ref, "data": data})
    skipped = []

    def reply(frame):
        if is_reply(ref)(frame):
            return True
        skipped.append(frame)
        return False

    try:
        return await frames_until(communicator, reply)
    finally:
        _backlog(communicator)[:0] = skipped


@pytest.fixture(autouse=True)
def no_lingering_connections():
    # Socket actions run on a thread pool; with CONN_MAX_AGE > 0 those threads
    # keep PostgreSQL connections open after the test, and the test database
    # cannot be dropped at the end. Closing them after each use avoids that.
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    previous = settings_dict.get("CONN_MAX_AGE", 0)
    settings_dict["CONN_MAX_AGE"] = 0
    yield
    settings_dict["CONN_MAX_AGE"] = previous
