"""Every foundation page in Arabic, French and English, on a desktop and a phone.

Each view is screenshotted to artifacts/e2e/look/ (to look at) and checked for
what a person would notice: the direction of the page, no sideways scrolling
on a phone, every control named (label, text or aria-label), and the bell
dropdown and user menu opening inside the screen.
"""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import expect

from collab.models import Notification

from .helpers import COLOUR_FUNCTIONS, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": 1280, "phone": 390}

UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href], summary')]
  .filter(el => el.getClientRects().length > 0)
  .filter(el => !((el.getAttribute('aria-label') ||
                   (el.labels ? [...el.labels].map(l => l.textContent).join('') : '') ||
                   el.textContent || el.getAttribute('title') || '').trim()))
  .map(el => el.outerHTML.slice(0, 160))"""

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"

# WCAG AA for every visible text: 4.5:1, or 3:1 for large text, against the
# background it sits on (backgrounds are flat colours here; translucent ones
# are composited over their ancestors').
LOW_CONTRAST = "() => {" + COLOUR_FUNCTIONS + """
  const failures = [];
  for (const el of document.querySelectorAll("body *")) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width <= 1 || box.height <= 1 || style.visibility === "hidden") continue;
    const back = background(el);
    const ratio = contrast(over(parse(style.color), back), back);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      failures.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 40)}" `
                    + ratio.toFixed(2));
    }
  }
  return failures;
}"""

OUTSIDE_VIEWPORT = """(selector) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return r.left < -1 || r.right > window.innerWidth + 1; }"""


def check_view(page, name: str) -> None:
    assert page.evaluate(OVERFLOW) <= 1, f"{name}: the page scrolls sideways"
    assert page.evaluate(UNNAMED_CONTROLS) == [], f"{name}: controls without a name"
    assert page.evaluate(LOW_CONTRAST) == [], f"{name}: text below WCAG AA contrast"
    screenshot(page, f"look/{name}")


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_foundation_pages_look_right(language, live_url, new_context, user_factory):
    user = user_factory(username=f"look-{language}", preferred_language=language,
                        first_name="Khadija", last_name="Alaoui", full_name_ar="خديجة العلوي",
                        job_title="Cadre administratif", email="k.alaoui@example.org")
    Notification.objects.create(recipient=user, kind="info", title="Note de service",
                                body="La réunion hebdomadaire aura lieu jeudi à 10h.")
    Notification.objects.create(
        recipient=user, kind="leave.request", title="طلب إجازة سنوية",
        body="من 2 إلى 6 ديسمبر", link="/",
        actions=[
            {"label": "Approve", "url": "/", "style": "primary", "comment": True},
            {"label": "Reject", "url": "/", "style": "danger", "comment": False},
        ],
    )
    direction = "rtl" if language == "ar" else "ltr"
    page = new_context().new_page()
    for device, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_url}/login/")
        page.click(".lang-menu summary")
        page.click(f".lang-menu button[value={language}]")
        expect(page.locator("html")).to_have_attribute("lang", language)
        check_view(page, f"{language}-{device}-login")
    login(page, live_url, user.username)
    expect(page.locator("html")).to_have_attribute("dir", direction)

    for device, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 800})
        for view, path in [("home", "/"), ("profile", f"/people/{user.username}/"),
                           ("profile-edit", "/profile/edit/"), ("password", "/password/"),
                           ("notifications", "/notifications/")]:
            page.goto(live_url + path)
            check_view(page, f"{language}-{device}-{view}")

        page.goto(f"{live_url}/directory/")
        page.fill("input[name=q]", "Alaoui")
        expect(page.locator("#directory-results tbody tr")).to_have_count(1)
        check_view(page, f"{language}-{device}-directory")

        page.goto(f"{live_url}/")
        page.click("#bell-button")
        expect(page.locator("#notif-panel .notif-actions button")).to_have_count(2)
        assert not page.evaluate(OUTSIDE_VIEWPORT, "#notif-panel"), "bell dropdown off screen"
        check_view(page, f"{language}-{device}-bell")
        page.keyboard.press("Escape")
        page.click(".usermenu summary")
        expect(page.locator(".usermenu ul")).to_be_visible()
        assert not page.evaluate(OUTSIDE_VIEWPORT, ".usermenu ul"), "user menu off screen"
        check_view(page, f"{language}-{device}-usermenu")


def test_skip_link_and_focus_ring_show_for_keyboard_users(live_url, page, user_factory):
    user = user_factory(preferred_language="ar")
    login(page, live_url, user.username)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and 0 <= box["x"] <= page.viewport_size["width"], "skip link stays off screen"
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_chromium_has_an_arabic_font():
    # Without fonts-noto-core (installed by `make test`) Arabic shows as empty boxes.
    families = subprocess.run(["fc-list", ":lang=ar", "family"], capture_output=True,
                              text=True, check=True).stdout
    assert "Noto Sans Arabic" in families or "Noto Naskh Arabic" in families, families
