"""axe-core (vendored: tests/e2e/vendor/axe.min.js) on the main pages, in Arabic
and French, on a desktop and a phone: WCAG 2.2 A/AA rules plus AAA text
contrast (color-contrast-enhanced), at zero violations; then the header's
actions walked with Tab and Enter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from announcements import services as announcements
from announcements.services import AnnouncementInput
from chat import services as chat

from .helpers import ARTIFACTS, login, off_browser_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
PAGES = ["/", "/directory/", "/notifications/", "/chat/", "/files/", "/announcements/",
         "/requests/", "/training/"]

RUN_AXE = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
  const rules = axe.getRules(tags).map((r) => r.ruleId).concat(['color-contrast-enhanced']);
  const report = (violations) => violations.map((v) => ({
    id: v.id, nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' :: ' +
                                                     n.failureSummary.slice(0, 240))}));
  const first = await axe.run(document, {runOnly: {type: 'rule', values: rules},
                                         resultTypes: ['violations']});
  // axe takes joined Arabic letters for an icon font's ligature and leaves
  // such text out of its contrast checks. Colours and sizes come from the
  // styles, not the letters: Latin letters stand in for Arabic ones and the
  // contrast rules run again (after every other rule saw the real page).
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (/[\u0600-\u06FF]/.test(node.data)) node.data = node.data.replace(/[\u0600-\u06FF]/g, 'x');
  }
  const second = await axe.run(document, {
    runOnly: {type: 'rule', values: ['color-contrast', 'color-contrast-enhanced']},
    resultTypes: ['violations']});
  return report(first.violations).concat(report(second.violations).map(
    (v) => ({...v, id: v.id + ' (Arabic text)'})));
}"""


def seed(user_factory, directorate_factory, language):
    central = directorate_factory(kind="central", code=f"a11y-{language}")
    officer = user_factory(directorate=central, role="communication_officer",
                           first_name="Nadia", last_name="Bennani", full_name_ar="نادية بناني")
    reader = user_factory(directorate=central, preferred_language=language,
                          username=f"a11y-{language}", first_name="Khadija",
                          last_name="Alaoui", full_name_ar="خديجة العلوي")
    off_browser_thread(
        announcements.save_announcement, officer,
        AnnouncementInput(title_ar="اجتماع المديرين", title_fr="Réunion des directeurs",
                          body_ar="<p>يوم الخميس</p>", body_fr="<p>Jeudi</p>",
                          to_all_staff=True),
        announcements.PUBLISH)
    direct = off_browser_thread(chat.start_direct, officer, reader)
    off_browser_thread(chat.send_message, officer, direct.pk, "Bonjour Khadija")
    return reader


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_main_pages_have_no_axe_violation(language, live_url, new_context, user_factory,
                                          directorate_factory):
    reader = seed(user_factory, directorate_factory, language)
    page = new_context().new_page()
    login(page, live_url, reader.username)
    found = {}
    for device, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for path in PAGES:
            page.goto(live_url + path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(RUN_AXE)
            if violations:
                found[f"{device} {path}"] = violations
    if found:
        out = ARTIFACTS / f"axe-{language}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(found, indent=1, ensure_ascii=False))
    assert found == {}


def test_header_actions_by_keyboard(live_url, page, user_factory):
    """Tab reaches every header action in order and Enter works them; the
    language changes only when its button is pressed (no change on input)."""
    user = user_factory(preferred_language="fr")
    login(page, live_url, user.username)
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".brand")).to_be_focused()
    for _ in range(20):  # the main navigation's links, however many apps are on
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.lang-menu summary')"):
            break
    expect(page.locator(".lang-menu summary")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".lang-menu button[value=ar]")).to_be_visible()
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.value") == "ar":
            break
    expect(page.locator(".lang-menu button[value=ar]")).to_be_focused()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(".brand")).to_be_focused()
