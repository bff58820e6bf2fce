"""The foundation seen through a real browser: language, live bell, several tabs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from collab.models import Notification
from collab.services import notify

from .helpers import login, off_browser_thread, screenshot, wait_for_socket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_arabic_user_sees_bell_rise_live_and_read_in_every_tab(live_url, live_redis,
                                                                 new_context, user_factory):
    user = user_factory(username="amina", preferred_language="ar")
    context = new_context(locale="fr-FR")  # the account's language wins over the browser's
    tab = context.new_page()
    login(tab, live_url, user.username)

    html = tab.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    bell_count = tab.locator("#bell-count")
    expect(bell_count).to_be_hidden()

    other_tab = context.new_page()
    other_tab.goto(f"{live_url}/directory/")
    wait_for_socket(other_tab)
    # A marker that a reload would wipe: the count must change in place.
    tab.evaluate("window.__noReload = true")

    notification = off_browser_thread(
        notify,
        user,
        kind="leave.request",
        title="طلب إجازة سنوية",
        body="من 2 إلى 6 ديسمبر",
        actions=[{"label": "موافقة", "url": "/", "style": "primary", "comment": True}],
    )

    expect(bell_count).to_have_text("1")
    expect(bell_count).to_be_visible()
    expect(other_tab.locator("#bell-count")).to_have_text("1")
    assert tab.evaluate("window.__noReload") is True
    expect(tab.locator(".toast")).to_contain_text("طلب إجازة سنوية")

    tab.click("#bell-button")
    item = tab.locator(f"#notif-panel #notif-{notification.pk}")
    expect(item).to_be_visible()
    expect(item.locator(".notif-actions button")).to_have_text("موافقة")
    screenshot(tab, "foundation-ar-bell-open", full_page=False)

    item.locator(".notif-mark").click()
    expect(tab.locator(f"#notif-panel #notif-{notification.pk}")).to_have_class(
        "notif is-read"
    )
    expect(bell_count).to_be_hidden()
    expect(other_tab.locator("#bell-count")).to_be_hidden()
    expect(other_tab.locator("#bell-count")).to_have_attribute("data-count", "0")
    assert tab.evaluate("window.__noReload") is True
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 0


def test_bell_and_user_menu_work_from_the_keyboard(live_url, page, user_factory):
    user = user_factory(username="youssef", preferred_language="fr")
    off_browser_thread(notify, user, kind="info", title="Note de service")
    login(page, live_url, user.username)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")

    page.focus(".lang-menu summary")
    page.keyboard.press("Tab")
    expect(page.locator("#bell-button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#bell-button")).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#notif-panel .notif-mark")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator("#notif-panel :focus")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator("#notif-panel")).to_be_hidden()
    expect(page.locator("#bell-button")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.locator(".usermenu summary")).to_be_focused()
    page.keyboard.press("Enter")
    profile_link = page.locator(".usermenu a").first
    expect(profile_link).to_be_visible()
    page.keyboard.press("Tab")
    expect(profile_link).to_be_focused()
    page.keyboard.press("Escape")
    expect(profile_link).to_be_hidden()
    expect(page.locator(".usermenu summary")).to_be_focused()
