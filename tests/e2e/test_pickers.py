"""People and directorate pickers by keyboard: in Arabic on a phone (a chat
group's members) and in French on a desktop (an announcement's audience).
Type part of a name, arrow to a suggestion, Enter adds a chip, Backspace or
Delete removes one, a shortcut adds a whole kind of directorate; submitted,
the choices arrive (or survive a refused form); axe finds nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import Conversation

from .helpers import login, off_browser_thread
from .test_accessibility import AXE, RUN_AXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_axe_violation(page):
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(RUN_AXE) == []


def test_pick_people_and_directorates_by_keyboard(live_url, new_context, user_factory,
                                                  directorate_factory):
    central = [directorate_factory(kind="central", code=f"c{n}", name_fr=f"Direction centrale {n}",
                                   name_ar=f"مديرية مركزية {n}") for n in (1, 2, 3)]
    rabat = directorate_factory(kind="regional", code="dr-rsk", name_fr="Direction régionale "
                                "de Rabat", name_ar="المديرية الجهوية للرباط")
    directorate_factory(kind="regional", code="dr-cas", name_fr="Direction régionale de "
                        "Casablanca", name_ar="المديرية الجهوية للدار البيضاء")
    def make(**fields):
        return off_browser_thread(user_factory, directorate=central[0], **fields)

    me = make(username="karim", preferred_language="ar", first_name="Karim",
              last_name="Tazi", full_name_ar="كريم التازي")
    make(username="amine", first_name="Amine", last_name="Alaoui", full_name_ar="أمين العلوي")
    make(username="amina", first_name="Amina", last_name="Idrissi",
         full_name_ar="أمينة الإدريسي")
    make(username="youssef", first_name="Youssef", last_name="Bennani",
         full_name_ar="يوسف بناني")
    make(username="claire", preferred_language="fr", role="communication_officer",
         first_name="Claire", last_name="Martin")

    # Arabic, phone: a new chat group's members.
    phone = new_context(viewport={"width": 390, "height": 844}, locale="ar").new_page()
    login(phone, live_url, me.username)
    phone.goto(live_url + "/chat/")
    phone.locator(".chat-new-group summary").click()
    phone.fill("#group-title", "فريق الميزانية")
    members = phone.locator("#group-members")
    options = phone.locator("#group-members-listbox [role=option]")
    chips = phone.locator(".chat-new-group .chip")
    members.press_sequentially("امين")  # no hamza: finds أمين and أمينة (folded)
    expect(options).to_have_count(2)
    expect(members).to_have_attribute("aria-expanded", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    members.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(members).to_have_attribute("aria-activedescendant", "group-members-listbox-1")
    members.press("Enter")
    expect(chips).to_have_count(1)
    expect(chips.nth(0)).to_contain_text("أمينة الإدريسي")
    expect(members).to_be_focused()
    members.press_sequentially("يوسف")
    expect(options).to_have_count(1)
    members.press("Enter")
    expect(chips).to_have_count(2)
    # Backspace in the empty field reaches the last chip; Backspace again removes it.
    members.press("Backspace")
    expect(phone.get_by_role("button", name="إزالة يوسف بناني")).to_be_focused()
    phone.keyboard.press("Backspace")
    expect(chips).to_have_count(1)
    members.press_sequentially("العلوي")
    expect(options).to_have_count(1)
    members.press("Enter")
    expect(chips).to_have_count(2)
    no_axe_violation(phone)
    phone.locator(".chat-new-group button[type=submit]").click()
    phone.wait_for_url("**/chat/*/")
    group = Conversation.objects.get(title="فريق الميزانية")
    assert set(group.memberships.values_list("user__username", flat=True)) == {
        "karim", "amina", "amine"}

    # French, desktop: an announcement's audience.
    desk = new_context(viewport={"width": 1280, "height": 800}, locale="fr").new_page()
    login(desk, live_url, "claire")
    desk.goto(live_url + "/announcements/new/")
    audience = desk.locator("#id_directorates")
    options = desk.locator("#id_directorates-listbox [role=option]")
    chosen = desk.locator('.chip input[name="directorates"]')
    audience.press_sequentially("rabat")
    expect(options).to_have_count(1)
    audience.press("Enter")
    expect(chosen).to_have_count(1)
    desk.get_by_role("button", name="Toutes les directions centrales").click()
    expect(chosen).to_have_count(4)
    remove = desk.get_by_role("button", name="Retirer Direction centrale 2")
    remove.focus()
    desk.keyboard.press("Delete")
    expect(chosen).to_have_count(3)
    expect(desk.locator(".picker-status")).to_contain_text("Direction centrale 2")
    no_axe_violation(desk)
    # No text yet: the form comes back with its message, and the audience chosen.
    desk.fill("#id_title_fr", "Réunion")
    desk.locator('button[name="action"][value="draft"]').click()
    expect(desk.locator(".has-error")).not_to_have_count(0)
    values = {chosen.nth(i).get_attribute("value") for i in range(chosen.count())}
    assert values == {str(rabat.pk), str(central[0].pk), str(central[2].pk)}
    expect(desk.get_by_role("button", name="Retirer Direction régionale de Rabat")).to_be_visible()
