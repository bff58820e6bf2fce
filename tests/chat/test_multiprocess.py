"""Two Daphne processes sharing Redis; a Redis restart in the middle of a conversation."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
from websockets.asyncio.client import connect

from tests.conftest import session_cookie_for

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

_refs = itertools.count(1)


class Stage:
    """Two workers (tests.multiproc) sharing our own redis-server, and the people."""

    def __init__(self, redis, workers, data):
        self.redis, self.workers, self.data = redis, workers, data

    def ws_url(self, index: int) -> str:
        return self.workers[index].ws_url

    def origin(self, index: int) -> str:
        return self.workers[index].origin


@pytest.fixture
def stage(live_pair_own_redis, directorate_factory, user_factory):
    redis, workers = live_pair_own_redis
    d1, d2 = directorate_factory(code="mp1"), directorate_factory(code="mp2")
    users = {name: user_factory(username=name, directorate=d)
             for name, d in (("alice", d1), ("bob", d1), ("carol", d2))}
    data = {
        "users": {name: {"id": u.pk, "session": session_cookie_for(u)[0]}
                  for name, u in users.items()},
        "channels": {"d1": d1.chat_channel.pk, "d2": d2.chat_channel.pk},
    }
    return Stage(redis, workers, data)


class Client:
    """One browser tab: a socket on one Daphne, frames kept in arrival order."""

    def __init__(self, stage: Stage, user: str, daphne: int):
        self.stage, self.user, self.daphne = stage, user, daphne
        self.frames: list[dict] = []
        self.ws = None
        self.reader = None

    async def open(self):
        session = self.stage.data["users"][self.user]["session"]
        self.ws = await connect(
            self.stage.ws_url(self.daphne),
            additional_headers={"Cookie": f"sessionid={session}"},
            origin=self.stage.origin(self.daphne),
        )
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        assert hello["type"] == "hello"
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self):
        try:
            async for raw in self.ws:
                self.frames.append(json.loads(raw))
        except Exception:  # closed: a test reopens when it needs to
            pass

    async def close(self):
        await self.ws.close()
        await self.reader

    async def call(self, action, data, timeout=10):
        ref = str(next(_refs))
        await self.ws.send(json.dumps({"action": action, "ref": ref, "data": data}))
        return await self.wait(lambda f: f.get("ref") == ref, timeout)

    async def wait(self, predicate, timeout=10):
        for _ in range(int(timeout / 0.05)):
            for frame in self.frames:
                if predicate(frame):
                    return frame
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.user}: expected frame did not arrive")

    def messages(self, conversation):
        return [
            f["data"]["seq"] for f in self.frames
            if f.get("event") == "chat.message" and f["data"]["conversation"] == conversation
        ]


def is_message(conversation, seq):
    return lambda f: (
        f.get("event") == "chat.message"
        and f["data"]["conversation"] == conversation
        and f["data"]["seq"] == seq
    )


async def test_two_daphne_processes_deliver_to_members_on_both(stage):
    d1, d2 = stage.data["channels"]["d1"], stage.data["channels"]["d2"]
    alice = await Client(stage, "alice", 0).open()
    bob = await Client(stage, "bob", 1).open()
    carol = await Client(stage, "carol", 1).open()
    sent = await alice.call("chat.send", {"conversation": d1, "body": "من الخادم الأول"})
    assert sent["type"] == "reply"
    seq = sent["data"]["seq"]
    got = await bob.wait(is_message(d1, seq))
    assert "من الخادم الأول" in got["data"]["html"]["ar"]
    reply = await bob.call("chat.send", {"conversation": d1, "body": "du second serveur"})
    await alice.wait(is_message(d1, reply["data"]["seq"]))
    await carol.call("chat.send", {"conversation": d2, "body": "ailleurs"})
    await asyncio.sleep(0.5)
    assert carol.messages(d1) == []  # another directorate: nothing, on either process
    assert d2 not in {f["data"]["conversation"] for f in alice.frames if f.get("event")}
    for c in (alice, bob, carol):
        await c.close()


async def test_redis_restart_loses_no_message_and_clients_resync(stage):
    d1 = stage.data["channels"]["d1"]
    alice = await Client(stage, "alice", 0).open()
    bob = await Client(stage, "bob", 1).open()
    first = await alice.call("chat.send", {"conversation": d1, "body": "avant la coupure"})
    last_seen = first["data"]["seq"]
    await bob.wait(is_message(d1, last_seen))

    stage.redis.stop()  # our own redis-server, never the shared one
    during = []
    for i in range(3):
        reply = await alice.call("chat.send", {"conversation": d1, "body": f"pendant {i}"})
        assert reply["type"] == "reply", reply  # persisted even with Redis down
        during.append(reply["data"]["seq"])
    stage.redis.start()

    # Bob's tab reconnects (or keeps its socket) and resyncs from what it saw.
    await bob.close()
    bob = None
    for _ in range(50):  # the Daphne's layer needs Redis back before a socket is accepted
        try:
            bob = await Client(stage, "bob", 1).open()
            break
        except Exception:
            await asyncio.sleep(0.2)
    assert bob is not None
    resync = await bob.call("chat.resync", {"conversations": {str(d1): [last_seen, 0]}})
    missed = resync["data"]["conversations"][str(d1)]["messages"]
    assert [m["seq"] for m in missed] == during
    assert [f"pendant {i}" in m["html"] for i, m in enumerate(missed)] == [True] * 3

    # Live delivery works again once the layer is back.
    after = None
    for _ in range(20):
        if alice.ws.close_code is not None:
            alice = await Client(stage, "alice", 0).open()
        reply = await alice.call("chat.send", {"conversation": d1, "body": "après"})
        after = reply["data"]["seq"]
        try:
            await bob.wait(is_message(d1, after), timeout=2)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError("live delivery did not come back after the Redis restart")
    # Whatever bob got live is a subset of persisted seqs, each once.
    seqs = bob.messages(d1)
    assert len(seqs) == len(set(seqs))
    await alice.close()
    await bob.close()
