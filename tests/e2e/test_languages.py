"""Language done right, in the browser: a notification received on a French
desktop reads in Arabic once its reader switches on her phone, and mixed Arabic
and Latin text is isolated and says its language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chat import services as chat

from .helpers import login, off_browser_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The direction the browser resolved for an element (dir="auto" included).
DIRECTION = "(el) => getComputedStyle(el).direction"


def test_a_notification_follows_its_reader_into_arabic(live_url, live_redis, new_context,
                                                       directorate_factory, user_factory):
    d = directorate_factory()
    nadia = user_factory(username="nadia", directorate=d, preferred_language="fr",
                         first_name="Nadia", last_name="Chraibi", full_name_ar="نادية الشرايبي",
                         job_title="Cheffe de division", job_title_ar="رئيسة قسم")
    karim = user_factory(username="karim", directorate=d, preferred_language="ar",
                         first_name="Karim", last_name="Benali", full_name_ar="كريم بنعلي")
    # Salma has no Arabic name: she shows in Latin script on Arabic pages.
    salma = user_factory(username="salma", directorate=d, preferred_language="fr",
                         first_name="Salma", last_name="Idrissi", full_name_ar="")
    group = off_browser_thread(chat.create_group, karim, "Comité", [nadia.pk, salma.pk])

    # ---- Desktop, French: the mention arrives live, in French -------------------
    desk = new_context(viewport={"width": 1280, "height": 800}, locale="fr").new_page()
    login(desk, live_url, nadia.username)
    off_browser_thread(chat.send_message, karim, group.pk,
                       "@nadia @salma الاجتماع غدا على الساعة العاشرة")
    expect(desk.locator("#bell-count")).to_have_text("1")
    desk.locator("#bell-button").click()
    item = desk.locator("#notif-panel .notif").first
    expect(item.locator(".notif-title")).to_have_text("Karim Benali vous a mentionné")
    # The Arabic excerpt on the French page: its language said, read right to left
    # although it starts with Latin @mentions (isolated, so dir="auto" skips them).
    body = item.locator(".notif-body")
    expect(body).to_have_attribute("lang", "ar")
    expect(body.locator("bdi").first).to_have_text("@nadia")
    assert body.evaluate(DIRECTION) == "rtl"

    # ---- Phone, Arabic: she switches, the same notification reads in Arabic ------
    phone = new_context(viewport={"width": 390, "height": 844}, locale="ar").new_page()
    login(phone, live_url, nadia.username)
    expect(phone.locator("html")).to_have_attribute("lang", "fr")  # her account says French
    phone.goto(f"{live_url}/notifications/")
    phone.locator(".lang-menu summary").click()
    phone.locator(".lang-switch button[value=ar]").click()
    expect(phone.locator("html")).to_have_attribute("lang", "ar")
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    title = phone.locator("#main .notif .notif-title").first
    expect(title).to_have_text("أشار إليك كريم بنعلي")
    expect(phone.locator("#main .notif-body").first).not_to_have_attribute("lang", re.compile("."))

    # Her profile: job title in Arabic; Salma's Latin name marked French in the chat.
    phone.goto(f"{live_url}/people/nadia/")
    expect(phone.locator(".profile .facts bdi").first).to_have_text("رئيسة قسم")
    expect(phone.locator(".profile .muted bdi")).to_have_attribute("lang", "fr")
    phone.goto(f"{live_url}/chat/{group.pk}/")
    message = phone.locator(".msg-body").last
    expect(message).to_have_attribute("lang", "ar")
    expect(message.locator(".mention bdi").nth(1)).to_have_text("Salma Idrissi")
    assert message.evaluate(DIRECTION) == "rtl"
    member = phone.locator(".chat-members li", has_text="Salma Idrissi").locator("bdi").first
    expect(member).to_have_attribute("lang", "fr")

    # Back on the desktop, a new page is in Arabic too: the account remembers.
    desk.goto(f"{live_url}/notifications/")
    expect(desk.locator("html")).to_have_attribute("lang", "ar")
    expect(desk.locator("#main .notif .notif-title").first).to_have_text("أشار إليك كريم بنعلي")
