"""The longest legal message, in a conversation read in three languages: its
event is larger than a socket frame, so it arrives as a reference and chat.js
fetches it. Both the sender's tab and another member's tab show it once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import MAX_MESSAGE_LENGTH
from tests.conftest import session_cookie_for

pytestmark = [pytest.mark.browser, pytest.mark.multiprocess,
              pytest.mark.django_db(transaction=True)]


@pytest.fixture
def room(live_worker, second_live_worker, directorate_factory, user_factory):
    directorate = directorate_factory(code="big")
    people = {name: user_factory(username=name, directorate=directorate, preferred_language=lang)
              for name, lang in (("amal", "ar"), ("fanny", "fr"), ("eric", "en"))}
    return {
        "workers": [live_worker, second_live_worker],
        "sessions": {name: session_cookie_for(u)[0] for name, u in people.items()},
        "channel": directorate.chat_channel.pk,
    }


def open_tab(new_context, room, user, worker):
    origin = room["workers"][worker].origin
    context = new_context(locale="ar")
    context.add_cookies([{"name": "sessionid", "value": room["sessions"][user], "url": origin}])
    page = context.new_page()
    page.goto(f"{origin}/chat/{room['channel']}/")
    expect(page.locator("body")).to_have_attribute("data-socket-state", "open", timeout=15000)
    return page


def test_a_message_too_large_for_a_frame_is_shown_to_sender_and_reader(room, new_context):
    sender = open_tab(new_context, room, "fanny", 0)
    reader = open_tab(new_context, room, "amal", 1)
    box = sender.locator("#composer-body")
    box.fill("&" * MAX_MESSAGE_LENGTH)
    box.press("Enter")
    expect(box).to_have_value("", timeout=10000)
    for page in (sender, reader):
        body = page.locator(".msg .msg-body")
        expect(body).to_have_count(1, timeout=15000)
        assert body.inner_text().strip() == "&" * MAX_MESSAGE_LENGTH
    # And the conversation goes on live.
    box.fill("next")
    box.press("Enter")
    expect(reader.locator(".msg", has_text="next")).to_have_count(1, timeout=10000)
    seqs = reader.locator(".msg").evaluate_all("els => els.map(e => +e.dataset.seq)")
    assert seqs == [1, 2]
