"""A message sent while the socket is down, or whose reply is lost, shows as
pending and reaches the conversation exactly once; one the server fails
shows as failed, with Retry."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.conftest import session_cookie_for

from .helpers import off_browser_thread

pytestmark = [pytest.mark.browser, pytest.mark.multiprocess,
              pytest.mark.django_db(transaction=True)]


@pytest.fixture
def room(live_worker, second_live_worker, directorate_factory, user_factory):
    directorate = directorate_factory(code="obx")
    alice = user_factory(username="alice", directorate=directorate)
    bob = user_factory(username="bob", directorate=directorate)
    return {
        "workers": [live_worker, second_live_worker],
        "sessions": {"alice": session_cookie_for(alice)[0], "bob": session_cookie_for(bob)[0]},
        "channel": directorate.chat_channel.pk,
    }


def open_tab(new_context, room, user, worker, route=None):
    origin = room["workers"][worker].origin
    context = new_context(locale="ar")
    context.add_cookies([{"name": "sessionid", "value": room["sessions"][user], "url": origin}])
    if route is not None:
        context.route_web_socket("**/ws/", route)
    page = context.new_page()
    page.goto(f"{origin}/chat/{room['channel']}/")
    expect(page.locator("body")).to_have_attribute("data-socket-state", "open", timeout=15000)
    return context, page


def type_and_send(page, text):
    box = page.locator("#composer-body")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def stored(body: str) -> int:
    from chat.models import Message

    return Message.objects.filter(body=body).count()


def test_sent_while_disconnected_it_is_pending_then_delivered_once(room, new_context):
    alice_ctx, alice = open_tab(new_context, room, "alice", 1)
    _bob_ctx, bob = open_tab(new_context, room, "bob", 0)
    worker = room["workers"][1]
    text = "رسالة أثناء الانقطاع"
    # The network goes (no HTTP fallback either) and alice's worker with it.
    alice_ctx.set_offline(True)
    worker.stop()
    try:
        expect(alice.locator("body")).to_have_attribute("data-socket-state", "reconnecting")
        type_and_send(alice, text)
        pending = alice.locator(".msg-outbox", has_text=text)
        expect(pending).to_have_attribute("data-state", "pending")
        expect(pending.locator(".msg-state")).to_have_text("لم تُرسل بعد: في انتظار الاتصال…")
        expect(alice.locator(".msg", has_text=text)).to_have_count(0)
        assert off_browser_thread(stored, text) == 0
    finally:
        worker.restart()
        alice_ctx.set_offline(False)
    # On reconnect the outbox goes out: once, acknowledged, seen by bob once.
    expect(alice.locator(".msg", has_text=text)).to_have_count(1, timeout=20000)
    expect(alice.locator(".msg-outbox")).to_have_count(0)
    expect(bob.locator(".msg", has_text=text)).to_have_count(1)
    assert off_browser_thread(stored, text) == 1


def test_a_lost_reply_is_retried_and_stored_once(room, new_context):
    dropped = []

    def lose_first_send_reply(ws):
        server = ws.connect_to_server()

        def to_page(message):
            frame = json.loads(message)
            if frame.get("type") == "reply" and frame.get("action") == "chat.send" and not dropped:
                dropped.append(frame)
                return
            ws.send(message)

        server.on_message(to_page)

    _ctx, alice = open_tab(new_context, room, "alice", 0, route=lose_first_send_reply)
    text = "رد ضائع"
    type_and_send(alice, text)
    # No reply: still not acknowledged (the broadcast event may show it meanwhile),
    # then the retry with the same client_id gets the stored message back.
    expect(alice.locator(".msg-outbox")).to_have_count(0, timeout=20000)
    assert len(dropped) == 1
    expect(alice.locator(".msg", has_text=text)).to_have_count(1)
    assert off_browser_thread(stored, text) == 1


def test_a_failed_send_offers_retry_and_discard(room, new_context):
    failing = [True]

    def server_fails_sends(ws):
        server = ws.connect_to_server()

        def from_page(message):
            frame = json.loads(message)
            if frame.get("action") == "chat.send" and failing[0]:
                ws.send(json.dumps({"type": "error", "code": "server_error",
                                    "message": "تعذر على الخادم معالجة هذا الإجراء.",
                                    "ref": frame.get("ref")}))
                return
            server.send(message)

        ws.on_message(from_page)

    _ctx, alice = open_tab(new_context, room, "alice", 0, route=server_fails_sends)
    _bob_ctx, bob = open_tab(new_context, room, "bob", 0)
    type_and_send(alice, "ستفشل ثم تنجح")
    failed = alice.locator(".msg-outbox", has_text="ستفشل ثم تنجح")
    expect(failed).to_have_attribute("data-state", "failed")
    expect(failed.locator(".msg-state")).to_have_text("تعذر على الخادم معالجة هذا الإجراء.")
    expect(alice.locator(".msg", has_text="ستفشل ثم تنجح")).to_have_count(0)
    failing[0] = False
    failed.locator("[data-outbox=retry]").click()
    expect(alice.locator(".msg", has_text="ستفشل ثم تنجح")).to_have_count(1)
    expect(alice.locator(".msg-outbox")).to_have_count(0)
    expect(bob.locator(".msg", has_text="ستفشل ثم تنجح")).to_have_count(1)

    failing[0] = True
    type_and_send(alice, "سأتخلى عنها")
    gone = alice.locator(".msg-outbox", has_text="سأتخلى عنها")
    expect(gone).to_have_attribute("data-state", "failed")
    gone.locator("[data-outbox=discard]").click()
    expect(gone).to_have_count(0)
    assert off_browser_thread(stored, "ستفشل ثم تنجح") == 1
    assert off_browser_thread(stored, "سأتخلى عنها") == 0
