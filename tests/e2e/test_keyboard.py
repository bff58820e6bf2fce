"""Every page by keyboard alone, in French on a desktop and in Arabic on a phone.

On each main page of the intranet and of the press space, Tab is pressed from
the top until focus leaves the page: every interactive element (links,
buttons, fields, summaries, [tabindex]) must be reached, and each one shows a
focus ring of at least 3:1 against what surrounds it. Nothing looks clickable
without being focusable, and nothing shows on hover only. Key actions then
work with Enter, Space and Escape (menus, the bell's decision, a message's
toolbar: react, reply, edit; sending), with a few words in the polite region
for a reaction or an edit; arrowing through a filter's list sends nothing
until its button is pressed (no change of context on input). In Arabic,
every Arabic text also meets WCAG AAA contrast by our own computation (axe
skips Arabic text, taking it for an icon ligature). The press space's pages are
walked too, by a company's representative writing in the same language."""

from __future__ import annotations

import datetime
import importlib
import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import session_cookie_for
from tests.press.dossier_fixtures import campaign, checklist, dossier_env, space  # noqa: F401

from .helpers import ARTIFACTS, COLOUR_FUNCTIONS, login, off_browser_thread, wait_for_socket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"fr": {"width": 1280, "height": 800}, "ar": {"width": 390, "height": 844}}

# What a keyboard user can reach: the same list the walk compares against.
FOCUSABLE = ("a[href], button, input:not([type=hidden]), select, textarea, summary, "
             "iframe, [tabindex], [contenteditable=''], [contenteditable=true]")

DESCRIBE = """const describe = (el) => {
  const text = (el.getAttribute('aria-label') || el.textContent || el.value || el.name || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 40);
  const id = el.id ? '#' + el.id : '';
  const cls = typeof el.className === 'string' && el.className
    ? '.' + el.className.split(' ')[0] : '';
  return `${el.tagName.toLowerCase()}${id}${cls} "${text}"`;
};"""

# After each Tab: what has focus, whether it was reached before (the walk has
# gone round), and whether its focus ring shows (an outline of 2px or more at
# 3:1 against the background around it, or a box shadow).
FOCUS_STEP = "() => {" + DESCRIBE + COLOUR_FUNCTIONS + """
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {done: true};
  const order = window.__kbOrder;
  // A date field's parts and a frame's inside keep focus on one element.
  if (el === order[order.length - 1]) return {same: true};
  // Round to the first element: the whole page was walked (from a frame,
  // Chromium goes back to the top without passing through the page).
  if (el === order[0]) return {done: true};
  const again = window.__kbSeen.has(el);
  window.__kbSeen.add(el);
  order.push(el);
  if (el.tagName === 'IFRAME') return {same: true};
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  let problem = '';
  if (box.width < 2 || box.height < 2) problem = 'focused but not visible';
  else if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) {
    const ring = over(parse(style.outlineColor), [255, 255, 255, 1]);
    const around = parseFloat(style.outlineOffset) >= 0 ? background(el.parentElement)
                                                       : background(el);
    const ratio = contrast(ring, around);
    if (ratio < 3) problem = 'focus ring contrast ' + ratio.toFixed(2);
  } else if (style.boxShadow === 'none') problem = 'no focus ring';
  return {name: describe(el), again, problem};
}"""

# What the walk did not reach: visible, enabled, focusable elements, and
# elements that look clickable (pointer cursor) with nothing focusable to
# click; a radio group counts once (arrows move inside it). Also what only
# hovering shows.
UNREACHED = "() => {" + DESCRIBE + """
  const seen = window.__kbSeen || new Set();
  // checkVisibility: also false inside a closed <details> (content-visibility).
  const shown = (el) => el.checkVisibility({visibilityProperty: true});
  const missed = [];
  for (const el of document.querySelectorAll(`""" + FOCUSABLE + """`)) {
    if (seen.has(el) || el.disabled || el.tabIndex < 0 || el.closest('[inert]')) continue;
    if (el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS') continue;
    if (el.closest('iframe') || !shown(el)) continue;
    if (el.type === 'radio' && [...seen].some((s) => s.type === 'radio' && s.name === el.name &&
                                                     s.form === el.form)) continue;
    missed.push('not reached: ' + describe(el));
  }
  const focusable = 'a[href], button, input, select, textarea, summary, [tabindex], label';
  for (const el of document.querySelectorAll('body *')) {
    if (getComputedStyle(el).cursor !== 'pointer' || !shown(el)) continue;
    if (!el.closest(focusable)) missed.push('clickable, not focusable: ' + describe(el));
  }
  // A visible label working a control the keyboard cannot reach (a hidden
  // file input behind a styled label, say).
  for (const label of document.querySelectorAll('label')) {
    const target = label.control;
    if (!target || target.disabled || !shown(label)) continue;
    // A rich-text editor stands in for its hidden field and takes the label's name.
    if (label.id && [...seen].some((s) => (s.getAttribute('aria-labelledby') || '')
                                          .split(' ').includes(label.id))) continue;
    const inGroup = [...seen].some((s) => s.type === 'radio' && s.name === target.name);
    if (target.tabIndex < 0 || !(seen.has(target) || shown(target) || inGroup)) {
      missed.push('label of a control out of the tab order: ' + describe(label));
    }
  }
  // Controls that only hover shows: a style rule showing something on
  // :hover must show it on :focus or :focus-within in the same rule.
  const reveals = /(^|;)\\s*(display|visibility|opacity)\\s*:/;
  const rules = (list) => [...list].flatMap((r) => r.cssRules ? [r, ...rules(r.cssRules)] : [r]);
  for (const sheet of document.styleSheets) {
    let list;
    try { list = sheet.cssRules; } catch (e) { continue; }
    for (const rule of rules(list)) {
      if (!rule.selectorText || !rule.selectorText.includes(':hover')) continue;
      if (reveals.test(rule.style.cssText) && !/:focus/.test(rule.selectorText)) {
        missed.push('shown on hover only: ' + rule.selectorText);
      }
    }
  }
  return [...new Set(missed)];
}"""

# Arabic text at WCAG AAA: 7:1, or 4.5:1 for large text (24px, or bold 18.66px),
# against the background it sits on (flat colours; translucent ones composited).
ARABIC_LOW_CONTRAST = "() => {" + COLOUR_FUNCTIONS + """
  const failures = [];
  for (const el of document.querySelectorAll('body *')) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && /[\\u0600-\\u06FF]/.test(n.data)))
      continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width <= 1 || box.height <= 1 || style.visibility === 'hidden' ||
        el.closest('.visually-hidden')) continue;
    const back = background(el);
    const ratio = contrast(over(parse(style.color), back), back);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
    if (ratio < (large ? 4.5 : 7)) {
      failures.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim()
        .slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
  }
  return failures;
}"""

START_AT_TOP = """() => { const b = document.body; b.tabIndex = -1; b.focus();
  b.removeAttribute('tabindex'); window.__kbSeen = new Set(); window.__kbOrder = []; }"""


def walk(page) -> list[str]:
    """Tab from the top until focus leaves the page; what went wrong."""
    page.evaluate(START_AT_TOP)
    problems, limit = [], 400
    for _ in range(limit):
        page.keyboard.press("Tab")
        step = page.evaluate(FOCUS_STEP)
        if step.get("done"):
            break
        if step.get("same"):
            continue
        if step["again"]:
            problems.append("focus went round without leaving the page at " + step["name"])
            break
        if step["problem"]:
            problems.append(f"{step['problem']}: {step['name']}")
    else:
        problems.append(f"still inside the page after {limit} Tabs")
    if page.evaluate("window.__kbOrder.length") < 5:
        problems.append("Tab reached almost nothing: is the page there?")
    return problems + page.evaluate(UNREACHED)


def office_world(language: str, directorate_factory, user_factory, live_env, monkeypatch):
    """A manager's working day: a team member's leave request waiting for
    them, a conversation, an announcement of theirs, a file, a course with a
    lesson, and a press company with a dossier."""
    from django.apps import apps

    from announcements import services as announcements
    from chat import services as chat
    from files import services as files
    from files import storage
    from requests import services as procedures
    from requests.defaults import seed_requests_demo
    from requests.models import RequestType
    from training import services as training
    from training import services_content as content
    from training.models import Course, Domain

    # Bytes stored here must be where the server reads them: its own store.
    store = storage.LocalFileStore(Path(live_env["COLLAB_VAR_DIR"]) / "files")

    def server_store():
        return store

    server_store.cache_clear = lambda: None  # as the cached original has
    monkeypatch.setattr(storage, "get_file_store", server_store)
    seed_requests_demo()
    importlib.import_module("training.migrations.0002_enrolment_procedure").forwards(apps, None)

    unit = directorate_factory(kind="central", code=f"kb-{language}",
                               name_ar="مديرية نظم المعلومات",
                               name_fr="Direction des systèmes d'information")
    walker = user_factory(username=f"kb-{language}", directorate=unit, role="manager",
                          preferred_language=language, first_name="Nadia", last_name="Tazi",
                          full_name_ar="نادية التازي", job_title="Cheffe de service")
    karim = user_factory(username=f"kb-karim-{language}", directorate=unit, manager=walker,
                         preferred_language=language, first_name="Karim",
                         last_name="Benali", full_name_ar="كريم بنعلي")

    direct = off_browser_thread(chat.start_direct, karim, walker)
    off_browser_thread(chat.send_message, karim, direct.pk, "صباح الخير، هل الملف جاهز؟")
    off_browser_thread(chat.send_message, walker, direct.pk, "Oui, je l'envoie ce matin.")

    announcement = off_browser_thread(
        announcements.save_announcement, walker,
        announcements.AnnouncementInput(
            title_ar="اجتماع المصلحة", title_fr="Réunion de service",
            body_ar="<p>يوم الخميس على الساعة العاشرة</p>", body_fr="<p>Jeudi à 10 h</p>",
            directorate_ids=[unit.pk]),
        announcements.PUBLISH)

    file = files.upload_file(walker, io.BytesIO(b"Ordre du jour\n"), "ordre-du-jour.txt").file

    today = datetime.date.today()
    monday = today + datetime.timedelta(days=(7 - today.weekday()) + 21)
    leave = off_browser_thread(
        procedures.submit_leave, karim, RequestType.objects.get(code="leave-annual"),
        start=monday, end=monday)

    domain = Domain.objects.create(code=f"kb-{language}", name_ar="التواصل",
                                   name_fr="Communication")
    course = Course.objects.create(code=f"kb-{language}", title_ar="الكتابة الإدارية",
                                   title_fr="Écrire pour l'administration", domain=domain,
                                   duration_hours=2, published=True)
    module = content.create_module(course, "Module 1")
    lesson = content.save_lesson(walker, module, {
        "kind": "text", "title": "La note de service", "required": True,
        "body": "<p>Une note tient sur une page.</p>"})
    off_browser_thread(training.enrol, walker, course)

    return {"walker": walker, "karim": karim, "direct": direct, "announcement": announcement,
            "file": file, "leave": leave, "course": course, "lesson": lesson}


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until ``selector`` has focus (and fail if it never does)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    expect(page.locator(selector).first).to_be_focused()


def choices_wait_for_their_button(page, live_url) -> None:
    """No change of context on input: arrowing through a filter's list sends
    nothing; its button applies the choice, in place."""
    page.goto(live_url + "/directory/")
    choice = page.locator("form.filters select").first
    choice.focus()
    before = choice.input_value()
    page.keyboard.press("ArrowDown")
    assert choice.input_value() != before, "the arrow did not move in the list"
    # htmx marks the form the moment it sends: nothing went, the address stays.
    assert not page.evaluate("document.querySelector('form.filters').matches('.htmx-request')")
    assert "?" not in page.url
    tab_to(page, "form.filters button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]" + re.escape(choice.get_attribute("name")) + "="))
    expect(page.locator("form.filters")).to_be_visible()  # the same page, results in place


def menu_by_keyboard(page, button: str, menu: str, key: str, first: str | None) -> None:
    """``key`` on the focused ``button`` opens ``menu``; Tab reaches ``first`` in it
    (if given); Escape closes it and puts focus back on the button."""
    tab_to(page, button)
    page.keyboard.press(key)
    expect(page.locator(menu)).to_be_visible()
    if first:
        page.keyboard.press("Tab")
        expect(page.locator(first).first).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(menu)).to_be_hidden()
    expect(page.locator(button)).to_be_focused()


def header_by_keyboard(page, live_url, phone: bool) -> None:
    """Menus open with Enter or Space and close with Escape, focus back on their button."""
    page.goto(live_url + "/")
    wait_for_socket(page)
    page.evaluate(START_AT_TOP)
    if phone:
        menu_by_keyboard(page, "#nav-toggle", "#mainnav", "Enter", "#mainnav a")
    menu_by_keyboard(page, ".lang-menu summary", ".lang-menu ul", "Space", None)
    menu_by_keyboard(page, ".usermenu summary", ".usermenu ul", "Enter", ".usermenu ul a")


def decide_from_the_bell(page, live_url, language: str) -> None:
    """The manager approves the leave request from the bell, by keyboard; focus
    stays on the decided notification, which says the outcome."""
    page.goto(live_url + "/")
    wait_for_socket(page)
    page.evaluate(START_AT_TOP)
    tab_to(page, "#bell-button")
    page.keyboard.press("Enter")
    approve = page.locator("#notif-panel form[hx-post*='decision=approve']")
    expect(approve).to_have_count(1)
    tab_to(page, "#notif-panel form[hx-post*='decision=approve'] input[name=comment]")
    page.keyboard.type("Bon congé" if language == "fr" else "عطلة سعيدة")
    page.keyboard.press("Tab")
    expect(approve.locator("button")).to_be_focused()
    page.keyboard.press("Enter")
    outcome = page.locator("#notif-panel").get_by_test_id("decision-outcome")
    expect(outcome).to_be_visible()
    expect(page.locator("#notif-panel .notif:focus")).to_contain_text(outcome.inner_text())
    page.keyboard.press("Escape")
    expect(page.locator("#notif-panel")).to_be_hidden()
    expect(page.locator("#bell-button")).to_be_focused()


def chat_by_keyboard(page, live_url, world, language: str) -> None:
    """On a conversation: react, reply and edit from a message's toolbar with
    the keyboard; the polite region says "Reaction added" or who edited, in a
    few words, never the message again."""
    from django.utils import translation

    page.goto(f"{live_url}/chat/{world['direct'].pk}/")
    wait_for_socket(page)
    said = page.locator("#chat-announce")
    theirs = page.locator(".msg:not(.is-mine)").first
    mine = page.locator(".msg.is-mine").last

    theirs.focus()
    page.keyboard.press("Tab")
    expect(theirs.locator(".msg-tools [data-tool=reply]")).to_be_focused()
    page.keyboard.press("Tab")
    expect(theirs.locator(".msg-react-menu summary")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    emoji = theirs.locator("[data-tool=react]").first
    expect(emoji).to_be_focused()
    page.keyboard.press("Space")
    expect(theirs.locator(".msg-reactions .reaction")).to_have_count(1)
    with translation.override(language):
        expect(said).to_have_text(translation.gettext("Reaction added"))
    expect(theirs).to_be_focused()  # the re-rendered message keeps the focus

    page.keyboard.press("Tab")
    expect(theirs.locator(".msg-reactions .reaction")).to_be_focused()
    page.keyboard.press("Tab")
    expect(theirs.locator("[data-tool=reply]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#reply-preview")).to_be_visible()
    expect(page.locator("#composer-body")).to_be_focused()
    page.keyboard.type("Merci" if language == "fr" else "شكرا")
    page.keyboard.press("Enter")
    expect(page.locator(".msg.is-mine .msg-quote")).to_have_count(1)

    mine.focus()
    tab_to(page, f"#{mine.get_attribute('id')} [data-tool=edit]")
    page.keyboard.press("Enter")
    box = mine.locator("form.msg-edit textarea")
    expect(box).to_be_focused()
    page.keyboard.press("Escape")
    expect(mine.locator("form.msg-edit")).to_have_count(0)
    expect(mine.locator("[data-tool=edit]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(box).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.type(" (2)")
    page.keyboard.press("Enter")
    expect(mine.locator(".msg-body")).to_contain_text("(2)")
    author = mine.locator(".msg-author").inner_text()
    with translation.override(language):
        # As the template's {% translate %} asks for it: with its % doubled.
        expect(said).to_have_text(translation.gettext("%%(name)s edited a message")
                                  .replace("%%(name)s", author))


def intranet_pages(world) -> list[str]:
    walker = world["walker"]
    return [
        "/", "/chat/", f"/chat/{world['direct'].pk}/", "/files/", f"/files/{world['file'].pk}/",
        "/announcements/", f"/announcements/{world['announcement'].pk}/",
        "/announcements/new/", "/requests/", "/requests/new/", "/requests/new/leave-annual/",
        f"/requests/{world['leave'].pk}/", "/directory/", "/notifications/", "/training/",
        f"/training/courses/{world['course'].code}/", f"/training/lessons/{world['lesson'].pk}/",
        f"/people/{walker.username}/", "/profile/edit/", "/password/", "/chat/search/?q=dossier",
    ]


def press_dossier(press, side: str):
    """A press card filed by the company on ``side`` of the press fixtures."""
    from press import dossiers

    documents, issued = checklist(press["types"]["press_card"])
    return off_browser_thread(
        dossiers.file_press_card, press[side]["member"], press[side]["company"],
        journalist_id=press[side]["journalist"].pk, position="Rédacteur en chef",
        monthly_salary="8000", documents=documents, issued_on=issued)


def walk_pages(page, live_url, paths, language: str, found: dict) -> None:
    for path in paths:
        page.goto(live_url + path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        problems = walk(page)
        if language == "ar":
            problems += [f"Arabic text below AAA: {f}"
                         for f in page.evaluate(ARABIC_LOW_CONTRAST)]
        if problems:
            found[path] = problems


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_every_page_by_keyboard(language, live_url, new_context, directorate_factory,
                                user_factory, live_env, space, monkeypatch):  # noqa: F811
    world = office_world(language, directorate_factory, user_factory, live_env, monkeypatch)
    page = new_context(viewport=SIZES[language], locale=language).new_page()
    login(page, live_url, world["walker"].username)
    found = {}
    walk_pages(page, live_url, intranet_pages(world), language, found)

    # The press space, as the representative of a company writing in this language.
    side = "a" if language == "fr" else "b"
    dossier = press_dossier(space, side)
    press = new_context(viewport=SIZES[language], locale=language)
    press.add_cookies([{"name": "sessionid", "url": live_url,
                        "value": session_cookie_for(space[side]["member"])[0]}])
    walk_pages(press.new_page(), live_url,
               ["/press/", "/press/dossiers/", f"/press/dossiers/{dossier.pk}/",
                "/press/dossiers/new/", "/press/company/"], language, found)
    choices_wait_for_their_button(page, live_url)
    header_by_keyboard(page, live_url, phone=language == "ar")
    decide_from_the_bell(page, live_url, language)
    chat_by_keyboard(page, live_url, world, language)
    out = ARTIFACTS / f"keyboard-{language}.json"
    out.unlink(missing_ok=True)
    if found:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(found, indent=1, ensure_ascii=False))
    assert found == {}
