"""Chat habits in the browser: Arabic on a phone (menu button, list and
conversation as separate screens, composer in sight, @mention autocomplete by
Arabic name), French on a desktop (keyboard reaches a message's toolbar and the
attach button, search highlights and opens the message in context, the tab
title and the Chat tab count a direct message live and it alerts)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chat import services as chat

from .helpers import login, off_browser_thread, wait_for_socket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IN_VIEW = """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight; }"""


def test_chat_habits_on_phone_in_arabic_and_desktop_in_french(live_url, new_context,
                                                               directorate_factory,
                                                               user_factory):
    d = directorate_factory()
    amal = user_factory(username="amal", directorate=d, preferred_language="ar",
                        full_name_ar="أمال العلوي", first_name="Amal", last_name="Alaoui")
    fatima = user_factory(username="fatima", directorate=d, preferred_language="fr",
                          full_name_ar="فاطمة الزهراء", first_name="Fatima",
                          last_name="Zahra")
    dm = off_browser_thread(chat.start_direct, fatima, amal)
    off_browser_thread(chat.send_message, fatima, dm.pk, "La réunion est reportée à jeudi")

    # ---- Phone, Arabic -------------------------------------------------------
    phone = new_context(viewport={"width": 390, "height": 844}, locale="ar").new_page()
    login(phone, live_url, amal.username)
    expect(phone.locator("#mainnav")).to_be_hidden()
    phone.locator("#nav-toggle").click()
    expect(phone.locator("#mainnav")).to_be_visible()
    expect(phone.locator("#chat-unread-total")).to_have_text(re.compile("1"))
    assert phone.evaluate("document.documentElement.scrollWidth - innerWidth") <= 1
    phone.locator("#mainnav a[href='/chat/']").click()
    expect(phone.locator(".chat-sidebar")).to_be_visible()
    expect(phone.locator(".chat-main")).to_be_hidden()
    phone.locator(f"#conv-{dm.pk} a").click()
    expect(phone.locator(".chat-sidebar")).to_be_hidden()
    expect(phone.locator(".chat-back")).to_be_visible()
    assert phone.evaluate(IN_VIEW, "#composer-body"), "composer out of sight"
    # The French message carries its language on the Arabic page.
    expect(phone.locator(".msg-body").first).to_have_attribute("lang", "fr")
    box = phone.locator("#composer-body")
    box.click()
    box.type("موعد @فاطمه")
    option = phone.locator("#mention-list [role=option]")
    expect(option).to_have_count(1)
    expect(option.locator("bdi")).to_have_text("فاطمة الزهراء")
    box.press("Enter")
    expect(box).to_have_value("موعد @fatima ")
    box.press("Enter")
    mention = phone.locator(".msg .mention bdi", has_text="فاطمة الزهراء")
    expect(mention).to_have_count(1, timeout=10000)
    assert phone.evaluate(IN_VIEW, "#composer-body"), "composer out of sight after sending"

    # ---- Desktop, French -----------------------------------------------------
    desk = new_context(viewport={"width": 1280, "height": 800}, locale="fr").new_page()
    login(desk, live_url, fatima.username)
    expect(desk.locator("#nav-toggle")).to_be_hidden()
    expect(desk.locator("#chat-unread-total")).to_have_text(re.compile("1"))
    # A direct message arrives while she is elsewhere: title, Chat tab and an alert.
    off_browser_thread(chat.send_message, amal, dm.pk, "سؤال سريع")
    expect(desk).to_have_title(re.compile(r"^\(2\) "), timeout=10000)
    expect(desk.locator("body")).to_have_attribute("data-chat-alerts", "1")
    # Muted: the next one still counts but does not alert.
    desk.goto(f"{live_url}/chat/{dm.pk}/")
    # Opening the conversation reads it: the count leaves the title.
    expect(desk).not_to_have_title(re.compile(r"^\("), timeout=10000)
    desk.locator("#mute-form button").press("Enter")
    expect(desk.locator("#mute-form button")).to_have_attribute("aria-pressed", "true")
    desk.goto(f"{live_url}/")
    wait_for_socket(desk)
    off_browser_thread(chat.send_message, amal, dm.pk, "encore une question")
    expect(desk).to_have_title(re.compile(r"^\(1\) "), timeout=10000)
    assert desk.locator("body").get_attribute("data-chat-alerts") is None

    # Search: conversation, date, folded highlight; the result opens in context.
    desk.goto(f"{live_url}/chat/search/?q=reunion")
    hit = desk.locator(".search-hit").first
    expect(hit.locator("mark.hit")).to_have_text("réunion")
    expect(hit.locator(".hit-conversation")).to_have_text("Amal Alaoui")
    expect(hit.locator("time")).to_have_count(1)
    hit.locator("a").click()
    found = desk.locator(".msg.is-found")
    expect(found).to_contain_text("réunion")

    # Keyboard: a plain message's toolbar and the attach button are reachable.
    found.focus()
    desk.keyboard.press("Tab")
    expect(found.locator(".msg-tools")).to_be_visible()
    expect(found.locator(".msg-tools [data-tool=reply]")).to_be_focused()
    attach = desk.locator(".chat-attach-button")
    attach.focus()
    expect(attach).to_be_focused()
    with desk.expect_file_chooser() as chooser:
        desk.keyboard.press("Enter")
    assert chooser.value.is_multiple()
