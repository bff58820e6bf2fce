"""Chat end to end: two people, two browsers on two Daphne workers sharing Redis,
Arabic messages live; one worker goes away, messages arrive meanwhile, the tab
comes back and sees each of them once. Then direct messages, the POST fallback
and older history loaded on scroll."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import session_cookie_for

from .helpers import off_browser_thread

pytestmark = [pytest.mark.browser, pytest.mark.multiprocess,
              pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chat(live_worker, second_live_worker, directorate_factory, user_factory):
    """alice and bob in one directorate, carol in another; worker 0 and worker 1."""
    d1, d2 = directorate_factory(code="mp1"), directorate_factory(code="mp2")
    users = {name: user_factory(username=name, directorate=d)
             for name, d in (("alice", d1), ("bob", d1), ("carol", d2))}
    return {
        "workers": [live_worker, second_live_worker],
        "users": {name: {"id": u.pk, "session": session_cookie_for(u)[0]}
                  for name, u in users.items()},
        "channels": {"d1": d1.chat_channel.pk, "d2": d2.chat_channel.pk},
    }


def open_tab(new_context, chat, user, worker, conversation):
    origin = chat["workers"][worker].origin
    context = new_context(locale="ar")
    context.add_cookies([{"name": "sessionid", "value": chat["users"][user]["session"],
                          "url": origin}])
    page = context.new_page()
    page.goto(f"{origin}/chat/{conversation}/" if conversation else f"{origin}/chat/")
    expect(page.locator("body")).to_have_attribute("data-socket-state", "open", timeout=15000)
    return context, page


def send(page, text):
    box = page.locator("#composer-body")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("", timeout=10000)


def test_two_people_chat_live_in_arabic_and_nothing_is_lost_offline(chat, new_context):
    d1 = chat["channels"]["d1"]
    _alice_ctx, alice = open_tab(new_context, chat, "alice", 0, d1)
    _bob_ctx, bob = open_tab(new_context, chat, "bob", 1, d1)

    send(alice, "السلام عليكم، هل الاجتماع **غدا**؟")
    got = bob.locator(".msg", has_text="السلام عليكم")
    expect(got).to_have_count(1, timeout=10000)
    expect(got.locator("strong")).to_have_text("غدا")
    direction = got.locator(".msg-body").evaluate("e => getComputedStyle(e).direction")
    assert direction == "rtl"

    # Shift+Enter makes a new line instead of sending.
    box = bob.locator("#composer-body")
    box.fill("نعم")
    box.press("Shift+Enter")
    box.type("في العاشرة")
    assert box.input_value() == "نعم\nفي العاشرة"
    box.press("Enter")
    expect(alice.locator(".msg", has_text="في العاشرة")).to_have_count(1, timeout=10000)

    # Bob's Daphne process goes away: his tab loses its socket.
    chat["workers"][1].stop()
    expect(bob.locator("body")).to_have_attribute(
        "data-socket-state", "reconnecting", timeout=10000
    )
    expect(bob.locator("#socket-status")).to_be_visible()
    missed = ["الرسالة الأولى أثناء الانقطاع", "الرسالة الثانية", "Troisième message"]
    for text in missed:
        send(alice, text)

    chat["workers"][1].restart()  # back; collab.js reconnects and chat.js resyncs
    # The "reconnected" notice shows for a moment only: wait on the lasting state.
    expect(bob.locator("body")).to_have_attribute("data-socket-state", "open",
                                                  timeout=45000)
    for text in missed:
        expect(bob.locator(".msg", has_text=text)).to_have_count(1, timeout=10000)
    ids = bob.locator(".msg").evaluate_all("els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)) == 5
    seqs = bob.locator(".msg").evaluate_all("els => els.map(e => +e.dataset.seq)")
    assert seqs == sorted(seqs) == list(range(1, 6))

    # And live again after the reconnect, both ways.
    send(bob, "وصلت كل الرسائل")
    expect(alice.locator(".msg", has_text="وصلت كل الرسائل")).to_have_count(1,
                                                                           timeout=10000)


def test_direct_message_features_and_post_fallback(chat, new_context):
    d1 = chat["channels"]["d1"]
    _bob_ctx, bob = open_tab(new_context, chat, "bob", 1, "")  # the chat index
    _alice_ctx, alice = open_tab(new_context, chat, "alice", 0, d1)
    # Alice starts a direct conversation from Bob's profile.
    alice.goto(f"{chat['workers'][0].origin}/people/bob/")
    alice.get_by_role("button", name="إرسال رسالة").click()
    expect(alice.locator("#chat-room[data-kind='direct']")).to_be_visible()
    expect(alice.locator("body")).to_have_attribute("data-socket-state", "open",
                                                    timeout=15000)
    dm = int(alice.locator("#chat-room").get_attribute("data-conversation"))
    # Presence: Bob's open tab makes him online (heartbeat, Redis with expiry).
    bob_id = chat["users"]["bob"]["id"]
    expect(alice.locator(f"#chat-title [data-presence-user='{bob_id}']")) \
        .to_have_attribute("data-state", "online", timeout=10000)
    # The new conversation appears live in Bob's sidebar.
    item = bob.locator(f"#conv-{dm}")
    expect(item).to_be_visible(timeout=10000)

    alice.locator("#composer-body").press_sequentially("مرح")
    send(alice, "مرحبا يا بوب")
    # Unread count and latest-first order, live.
    expect(item.locator(".conv-unread")).to_have_text("1", timeout=10000)
    expect(bob.locator("#conv-list > li").first).to_have_id(f"conv-{dm}")

    item.locator("a").click()
    expect(bob.locator(".msg", has_text="مرحبا يا بوب")).to_have_count(1)
    expect(bob.locator("body")).to_have_attribute("data-socket-state", "open",
                                                  timeout=15000)
    # Seen by: Alice's message shows that Bob read it.
    expect(alice.locator(".msg.is-mine .msg-seen")).to_contain_text("شاهدها",
                                                                   timeout=10000)
    # Typing indicator.
    bob.locator("#composer-body").press_sequentially("أنا")
    expect(alice.locator("#typing")).to_contain_text("يكتب", timeout=10000)
    bob.locator("#composer-body").fill("")
    # Reaction from Bob reaches Alice.
    first = bob.locator(".msg", has_text="مرحبا يا بوب")
    first.hover()
    first.locator(".msg-react-menu summary").click()
    first.locator("[data-tool='react'][data-emoji='👍']").click()
    expect(alice.locator(".msg", has_text="مرحبا يا بوب").locator(".reaction")) \
        .to_contain_text("👍", timeout=10000)
    # Reply with a quote.
    first.hover()
    first.locator("[data-tool='reply']").click()
    send(bob, "أهلا أليس")
    quoted = alice.locator(".msg", has_text="أهلا أليس").locator(".msg-quote")
    expect(quoted).to_contain_text("مرحبا يا بوب", timeout=10000)
    # Alice edits her message in place: Bob sees the new text and the edited mark.
    mine = alice.locator(".msg", has_text="مرحبا يا بوب").first
    mine.hover()
    mine.locator("[data-tool='edit']").click()
    editor = mine.locator("form.msg-edit textarea")
    expect(editor).to_have_value("مرحبا يا بوب")
    editor.fill("مرحبا يا بوب، كيف حالك؟")
    editor.press("Enter")
    edited = bob.locator(".msg", has_text="كيف حالك")
    expect(edited.locator(".msg-edited")).to_be_visible(timeout=10000)
    expect(alice.locator("form.msg-edit")).to_have_count(0)
    # Deleting asks first, in the page; cancelling keeps the message.
    answer = alice.locator(".msg", has_text="رسالة للحذف")
    send(alice, "رسالة للحذف")
    expect(bob.locator(".msg", has_text="رسالة للحذف")).to_be_visible(timeout=10000)
    answer.hover()
    answer.locator("[data-tool='delete']").click()
    answer.locator("[data-confirm='no']").click()
    expect(answer.locator(".msg-confirm")).to_have_count(0)
    answer.hover()
    answer.locator("[data-tool='delete']").click()
    answer.locator("[data-confirm='yes']").click()
    expect(bob.locator(".msg.is-deleted")).to_have_count(1, timeout=10000)

    # A tab whose socket cannot open still sends, by the htmx POST fallback.
    origin = chat["workers"][0].origin
    cut_ctx = new_context(locale="ar")
    cut_ctx.add_cookies([{"name": "sessionid", "url": origin,
                          "value": chat["users"]["alice"]["session"]}])
    cut_ctx.route_web_socket("**/ws/", lambda ws: ws.close())
    cut = cut_ctx.new_page()
    cut.goto(f"{origin}/chat/{dm}/")
    expect(cut.locator("body")).to_have_attribute("data-socket-state", "reconnecting",
                                                  timeout=10000)
    send(cut, "أرسلت بدون مقبس")
    expect(cut.locator(".msg", has_text="أرسلت بدون مقبس")).to_have_count(1)
    expect(bob.locator(".msg", has_text="أرسلت بدون مقبس")).to_have_count(1,
                                                                       timeout=10000)


def make_history(username: str) -> int:
    from chat.models import Conversation, Message
    from collab.models import User

    alice = User.objects.get(username=username)
    group = Conversation.objects.create(kind="group", title="archives", created_by=alice)
    group.memberships.create(user=alice)
    Message.objects.bulk_create(
        Message(conversation=group, seq=i, author=alice, body=f"ancien message {i}",
                body_html=f"ancien message {i}") for i in range(1, 71)
    )
    Conversation.objects.filter(pk=group.pk).update(last_seq=70)
    return group.pk


def test_scrolling_up_loads_older_messages(chat, new_context):
    group = off_browser_thread(make_history, "alice")
    _ctx, page = open_tab(new_context, chat, "alice", 0, group)
    messages = page.locator("#history .msg")
    expect(messages).to_have_count(30)
    expect(page.locator(f"#msg-{group}-41")).to_be_attached()
    page.wait_for_timeout(1500)  # nothing older is loaded until the reader scrolls up
    expect(messages).to_have_count(30)
    # One page per scroll to the top: the reader keeps their place, so the
    # next page's marker stays out of view until they scroll up again.
    page.locator("#history").evaluate("h => { h.scrollTop = 0; }")
    expect(messages).to_have_count(60)
    page.wait_for_timeout(1500)
    expect(messages).to_have_count(60)
    assert page.locator("#history").evaluate("h => h.scrollTop") > 0
    page.locator("#history").evaluate("h => { h.scrollTop = 0; }")
    expect(messages).to_have_count(70, timeout=10000)
    seqs = messages.evaluate_all("els => els.map(e => +e.dataset.seq)")
    assert seqs == list(range(1, 71))
    expect(page.locator(".history-more")).to_have_count(0)
