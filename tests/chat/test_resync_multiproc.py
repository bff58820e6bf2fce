"""A client that missed thousands of messages catches up, against real Daphne
workers started with the production frame limits (tests.multiproc.DAPHNE_ARGS):
every reply fits a frame, and every message arrives exactly once, in order."""

from __future__ import annotations

import asyncio
import itertools
import json
import re

import httpx
import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect

from chat import services
from chat.models import Conversation, Message
from chat.text import render_body
from collab.models import Notification
from tests.conftest import session_cookie_for
from tests.multiproc import DAPHNE_ARGS

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

FRAME_LIMIT = int(DAPHNE_ARGS[DAPHNE_ARGS.index("--websocket-max-message-size") + 1])
MISSED = 5000
_refs = itertools.count(1)


class Tab:
    """A browser tab's socket on one worker, keeping the size of every frame."""

    def __init__(self, worker, session: str):
        self.worker, self.session = worker, session
        self.sizes: list[int] = []

    async def __aenter__(self):
        self.ws = await connect(
            self.worker.ws_url, origin=self.worker.origin, max_size=None,
            additional_headers={"Cookie": f"sessionid={self.session}"},
        )
        hello = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        assert hello["type"] == "hello"
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def call(self, action: str, data: dict) -> dict:
        ref = str(next(_refs))
        await self.ws.send(json.dumps({"action": action, "ref": ref, "data": data}))
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), 60)
            self.sizes.append(len(raw.encode()))
            frame = json.loads(raw)
            if frame.get("ref") == ref:
                assert frame["type"] == "reply", frame
                return frame["data"]


def fetch_over_http(worker, session: str, conversation: int, seq: int) -> str:
    """What chat.js does with a `fetch` reference: one message over HTTP."""
    response = httpx.get(
        f"{worker.http_url}/chat/{conversation}/history/",
        params={"before": seq + 1, "limit": 1}, cookies={"sessionid": session}, timeout=30,
    )
    assert response.status_code == 200
    found = re.findall(r'<article class="msg[^"]*" id="msg-\d+-(\d+)"', response.text)
    assert found == [str(seq)]
    return response.text


def body_of(seq: int) -> str:
    if seq % 500 == 0:
        return "&" * 4000  # the longest legal message, its html past any page budget
    if seq % 50 == 0:
        return ("رسالة طويلة " * 400)[:4000]  # long, two bytes a character
    return f"message {seq} <b>"


def store_missed_messages(conversation: Conversation, author, count: int = MISSED) -> None:
    rows = []
    for seq in range(1, count + 1):
        body = body_of(seq)
        rows.append(Message(conversation=conversation, seq=seq, author=author, body=body,
                            body_html=render_body(body)))
    Message.objects.bulk_create(rows, batch_size=1000)
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=count)


@pytest.fixture
def people(live_daphne_pair, directorate_factory, user_factory):
    directorate = directorate_factory()
    writer = user_factory(directorate=directorate, preferred_language="fr")
    reader = user_factory(directorate=directorate, preferred_language="ar")
    channel = Conversation.objects.get(directorate=directorate)
    return live_daphne_pair, channel, writer, reader


async def test_a_client_that_missed_5000_messages_catches_up_exactly_once(people):
    workers, channel, writer, reader = people
    await sync_to_async(store_missed_messages)(channel, writer)
    # Edits while the reader was away: they come as changes of seen messages too.
    for seq in (3, 4):
        await sync_to_async(services.edit_message)(writer, channel.pk, seq, f"edited {seq}")
    session = (await sync_to_async(session_cookie_for)(reader))[0]
    seen: list[int] = []
    changed: list[int] = []
    fetched: list[int] = []
    pages = 0
    cursor = [2, 0]  # the reader's tab held messages 1 and 2
    async with Tab(workers[1], session) as tab:
        while True:
            reply = await tab.call("chat.resync", {"conversations": {str(channel.pk): cursor}})
            page = reply["conversations"][str(channel.pk)]
            pages += 1
            for item in page["changes"]:
                changed.append(item["seq"])
            for item in page["messages"]:
                if item.get("fetch"):
                    assert "html" not in item
                    html = await sync_to_async(fetch_over_http)(
                        workers[0], session, channel.pk, item["seq"])
                    assert "&amp;" * 100 in html
                    fetched.append(item["seq"])
                else:
                    assert f'data-seq="{item["seq"]}"' in item["html"]
                    if item["seq"] in (3, 4):  # edited while away: the current version
                        assert f'edited {item["seq"]}' in item["html"]
                seen.append(item["seq"])
            assert page["cursor"][0] >= cursor[0]
            cursor = page["cursor"]
            if not page["more"]:
                break
    assert seen == list(range(3, MISSED + 1))  # every one, once, in order
    assert changed == []  # messages 3 and 4 were edited, but the tab never had them
    assert fetched == list(range(500, MISSED + 1, 500))
    assert max(tab.sizes) <= FRAME_LIMIT  # each page fits a frame (Daphne sends no larger)
    assert pages > 30  # paged by size: 5000 short messages alone would fit in far fewer rows


async def test_changes_of_seen_messages_come_in_pages_too(people):
    workers, channel, writer, reader = people
    # The reader saw everything, then 300 long messages were edited (the only
    # messages here: older ones would add nothing to the pages of changes).
    await sync_to_async(store_missed_messages)(channel, writer, 300)
    session = (await sync_to_async(session_cookie_for)(reader))[0]
    for seq in range(1, 301):
        await sync_to_async(services.edit_message)(writer, channel.pk, seq, "تعديل " * 600)
    edited = list(range(1, 301))
    got: list[int] = []
    cursor = [300, 0]
    async with Tab(workers[0], session) as tab:
        while True:
            reply = await tab.call("chat.resync", {"conversations": {str(channel.pk): cursor}})
            page = reply["conversations"][str(channel.pk)]
            assert page["messages"] == []
            got.extend(c["seq"] for c in page["changes"])
            cursor = page["cursor"]
            if not page["more"]:
                break
    assert got == edited  # change order, each once
    assert max(tab.sizes) <= FRAME_LIMIT


def make_notifications(user, count: int) -> list[int]:
    rows = Notification.objects.bulk_create(
        Notification(recipient=user, kind="t", title="&" * 200, body='"' * 240, link="/x/")
        for _ in range(count)
    )
    return [n.pk for n in rows]


async def test_notification_sync_pages_fit_a_frame(people):
    workers, _channel, _writer, reader = people
    ids = await sync_to_async(make_notifications)(reader, 130)
    session = (await sync_to_async(session_cookie_for)(reader))[0]
    got: list[int] = []
    after = 0
    async with Tab(workers[1], session) as tab:
        while True:
            reply = await tab.call("sync", {"notifications_after": after})
            got.extend(n["id"] for n in reply["notifications"])
            if not reply["more"]:
                break
            after = got[-1]
    assert got == ids
    assert reply["unread"] == 130
    assert max(tab.sizes) < FRAME_LIMIT * 0.75
