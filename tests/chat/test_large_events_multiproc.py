"""The longest legal message reaches every member, against real Daphne workers
with the production frame limits: its event, rendered in the three languages
the members read, is larger than a frame, so it goes as a reference the
client fetches (docs/protocol.md, "Frame sizes")."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect

from chat import services
from chat.models import MAX_MESSAGE_LENGTH, Conversation, Message
from collab import events
from tests.conftest import session_cookie_for
from tests.multiproc import DAPHNE_ARGS

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

FRAME_LIMIT = int(DAPHNE_ARGS[DAPHNE_ARGS.index("--websocket-max-message-size") + 1])


class Tab:
    def __init__(self, worker, session):
        self.worker, self.session, self.frames, self.sizes = worker, session, [], []

    async def open(self):
        self.ws = await connect(self.worker.ws_url, origin=self.worker.origin, max_size=None,
                                additional_headers={"Cookie": f"sessionid={self.session}"})
        assert json.loads(await asyncio.wait_for(self.ws.recv(), 10))["type"] == "hello"
        return self

    async def next(self, predicate, timeout=15):
        async def read():
            while True:
                raw = await self.ws.recv()
                self.sizes.append(len(raw.encode()))
                frame = json.loads(raw)
                self.frames.append(frame)
                if predicate(frame):
                    return frame
        return await asyncio.wait_for(read(), timeout)

    async def call(self, action, data, ref):
        await self.ws.send(json.dumps({"action": action, "ref": ref, "data": data}))
        return await self.next(lambda f: f.get("ref") == ref)


def fetch(worker, session, conversation, seq):
    response = httpx.get(f"{worker.http_url}/chat/{conversation}/history/",
                         params={"before": seq + 1, "limit": 1},
                         cookies={"sessionid": session}, timeout=30)
    assert response.status_code == 200
    return response.text


@pytest.fixture
def trio(live_daphne_pair, directorate_factory, user_factory):
    directorate = directorate_factory()
    people = [user_factory(directorate=directorate, preferred_language=lang)
              for lang in ("fr", "ar", "en")]
    channel = Conversation.objects.get(directorate=directorate)
    sessions = [session_cookie_for(p)[0] for p in people]
    return live_daphne_pair, channel, people, sessions


@pytest.mark.parametrize("char", ["&", '"'])
async def test_the_longest_message_reaches_another_members_socket(trio, char):
    workers, channel, people, sessions = trio
    body = char * MAX_MESSAGE_LENGTH
    sender = await Tab(workers[0], sessions[0]).open()
    reader = await Tab(workers[1], sessions[1]).open()

    reply = await sender.call("chat.send", {"conversation": channel.pk, "body": body}, "s1")
    assert reply["type"] == "reply", reply
    seq = reply["data"]["seq"]
    # What the full event would have been: more than Daphne sends in a frame.
    message = await sync_to_async(
        lambda: Message.objects.select_related("conversation", "author").get(
            conversation=channel, seq=seq))()
    full = await sync_to_async(services.render_message_all)(message)
    assert set(full) == {"ar", "fr", "en"}
    assert events.encoded_size(full) > FRAME_LIMIT

    event = await reader.next(lambda f: f.get("event") == "chat.message")
    data = event["data"]
    assert data["seq"] == seq and data["fetch"] is True and "html" not in data
    assert data["conversation"] == channel.pk and data["author_id"] == people[0].pk
    # The client resyncs. In one language the message may fit a page, or be a
    # reference again, which the client loads over HTTP (as chat.js does).
    resync = await reader.call("chat.resync",
                               {"conversations": {str(channel.pk): [seq - 1, 0]}}, "r1")
    items = resync["data"]["conversations"][str(channel.pk)]["messages"]
    assert [i["seq"] for i in items] == [seq]
    if items[0].get("fetch"):
        html = await sync_to_async(fetch)(workers[1], sessions[1], channel.pk, seq)
    else:
        html = items[0]["html"]
    escaped = {"&": "&amp;", '"': '(?:"|&quot;)'}[char]
    assert re.search(f"msg-body[^>]*>(?:{escaped}){{{MAX_MESSAGE_LENGTH}}}<", html)
    assert max(reader.sizes + sender.sizes) < FRAME_LIMIT
    # Live delivery goes on after it.
    await sender.call("chat.send", {"conversation": channel.pk, "body": "بعدها"}, "s2")
    after = await reader.next(lambda f: f.get("event") == "chat.message"
                              and f["data"]["seq"] == seq + 1)
    assert "بعدها" in after["data"]["html"]["ar"]
    for worker in workers:
        assert "could not write" not in worker.log()
    for tab in (sender, reader):
        await tab.ws.close()
