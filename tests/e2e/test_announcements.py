"""Announcements in headless Chromium against the live server.

A communication officer publishes an urgent announcement to one regional
directorate; a staff member there sees the banner arrive live and acknowledges
it; a staff member elsewhere sees nothing; the author's counts update live.

The editor: an officer writes in Arabic on a desktop (heading, bold, a list,
an image with its description), previews, goes back to editing without
losing anything, publishes; another writes in French on a phone. Readers see
the formatted text and the image; axe finds nothing on the editor, the
preview and the published page.
"""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from .helpers import login, screenshot, wait_for_socket
from .test_accessibility import AXE, RUN_AXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_urgent_announcement_reaches_only_its_directorate_live(
    live_url, new_context, directorate_factory, user_factory
):
    central = directorate_factory(kind="central", code="dcom")
    casa_directorate = directorate_factory(kind="regional", code="cas")
    fes_directorate = directorate_factory(kind="regional", code="fme")
    user_factory(username="officer", directorate=central, role="communication_officer")
    user_factory(username="casa", directorate=casa_directorate)
    user_factory(username="fes", directorate=fes_directorate)

    def signed_in(username):
        page = new_context(locale="ar").new_page()
        login(page, live_url, username)
        return page

    officer, casa, fes = signed_in("officer"), signed_in("casa"), signed_in("fes")
    for page in (casa, fes):
        page.goto(live_url + "/announcements/")
        wait_for_socket(page)

    officer.goto(live_url + "/announcements/new/")
    officer.fill("#id_title_fr", "Coupure d'électricité")
    officer.locator(".prose-editor:has(textarea[name=body_fr]) .ProseMirror").click()
    officer.keyboard.type("Le bâtiment sera fermé demain.")
    officer.select_option("#id_priority", "urgent")
    # The audience picker: type part of the directorate's code, Enter adds it as a chip.
    officer.fill("#id_directorates", "cas")
    officer.locator("#id_directorates-listbox [role=option]").first.wait_for()
    officer.press("#id_directorates", "Enter")
    chip = f'.chip input[name="directorates"][value="{casa_directorate.pk}"]'
    officer.locator(chip).wait_for(state="attached")
    officer.click('button[name="action"][value="publish"]')
    officer.wait_for_url("**/announcements/*/")
    announcement_id = officer.url.rstrip("/").split("/")[-1]

    # Casablanca: banner, feed item and toast arrive without a reload.
    banner = casa.wait_for_selector(f"#ann-banner-{announcement_id}")
    assert "Coupure" in banner.inner_text()
    casa.wait_for_selector(f"#ann-{announcement_id}")
    casa.wait_for_selector(".toast")
    assert casa.inner_text("#bell-count") == "1"

    # The author opens the counts, live.
    officer.goto(live_url + f"/announcements/{announcement_id}/stats/")
    wait_for_socket(officer)
    stats = f"#ann-stats-{announcement_id}"
    assert officer.inner_text(f'{stats} .ann-totals [data-stat="acknowledged"]') == "0"

    casa.click(f"#ann-banner-{announcement_id} .ann-ack-button")
    casa.wait_for_selector(f"#ann-banner-{announcement_id}", state="detached")
    officer.wait_for_function(
        "sel => document.querySelector(sel + ' .ann-totals [data-stat=acknowledged]')"
        ".textContent.trim() === '1'",
        arg=stats,
    )
    assert officer.inner_text(f'{stats} [data-stat="pending"]') == "0"

    # Fès saw nothing, live or on reload.
    assert fes.query_selector(".ann-banner") is None
    assert fes.query_selector(f"#ann-{announcement_id}") is None
    assert fes.query_selector(".toast") is None
    fes.reload()
    assert fes.query_selector(f"#ann-{announcement_id}") is None
    assert fes.query_selector(".ann-banner") is None
    # ... nor by URL.
    response = fes.goto(live_url + f"/announcements/{announcement_id}/")
    assert response.status == 404
    # The acknowledged banner does not come back for Casablanca either.
    casa.reload()
    assert casa.query_selector(".ann-banner") is None


PHONE = {"width": 390, "height": 844}
# The shared check swaps Arabic letters for Latin ones to measure contrast; in
# the editor that would be typing: leave what is being written alone.
IN_PAGE = "if (/[\u0600-\u06FF]/.test(node.data))"
RUN_AXE_BESIDE_EDITOR = RUN_AXE.replace(
    IN_PAGE, "if (!node.parentElement.closest('[contenteditable]') && "
    "/[\u0600-\u06FF]/.test(node.data))"
)
assert RUN_AXE_BESIDE_EDITOR != RUN_AXE


def axe_violations(page) -> list:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE_BESIDE_EDITOR)


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 90, 160)).save(out, "PNG")
    return out.getvalue()


def editor(page, name: str):
    """The editable area that replaced the textarea ``name``."""
    return page.locator(f".prose-editor:has(textarea[name={name}])")


def write_and_publish(page, live_url, *, language, title, lines, alt=None):
    page.goto(live_url + "/announcements/new/")
    field = "body_ar" if language == "ar" else "body_fr"
    box = editor(page, field)
    area = box.locator(".ProseMirror")
    expect(area).to_have_attribute("contenteditable", "true")
    expect(area).to_have_attribute("lang", language)
    page.fill(f"#id_title_{language}", title)
    area.click()
    box.locator("button[data-name=heading2]").click()
    page.keyboard.type(lines[0])
    page.keyboard.press("Enter")
    box.locator("button[data-name=paragraph]").click()
    page.keyboard.press("Control+b")
    page.keyboard.type(lines[1])
    page.keyboard.press("Control+b")
    page.keyboard.press("Enter")
    box.locator("button[data-name=bulletList]").click()
    page.keyboard.type(lines[2])
    if alt:
        with page.expect_file_chooser() as chooser:
            box.locator("button[data-name=image]").click()
        chooser.value.set_files(
            files=[{"name": "hall.png", "mimeType": "image/png", "buffer": photo()}]
        )
        dialog = page.locator("dialog.prose-editor-dialog")
        dialog.locator("input[name=alt]").fill(alt)
        dialog.locator("button[type=submit]").click()
        expect(area.locator("img")).to_have_attribute("alt", alt)
        expect(area.locator("img")).to_have_attribute(
            "src", re.compile(r"^/announcements/images/\d+/$")
        )
    expect(area.locator("h2")).to_have_text(lines[0])
    expect(area.locator("strong")).to_have_text(lines[1])
    page.check("#id_to_all_staff")

    # Preview: the sanitised text in the page; nothing saved.
    page.locator(".ann-actions button[hx-post]").click()
    preview = page.locator("#ann-preview")
    expect(preview.locator("#ann-preview-title")).to_be_focused()
    expect(preview.locator(".ann-body strong").first).to_have_text(lines[1])
    expect(preview.locator(".ann-body li").first).to_have_text(lines[2])
    screenshot(page, f"announcement-editor/{language}-preview")
    assert axe_violations(page) == []
    # Back to editing: the text is still all there.
    preview.locator("[data-ann-back]").click()
    expect(preview.locator("#ann-preview-title")).to_have_count(0)
    expect(area).to_be_focused()
    expect(area.locator("li")).to_have_text(lines[2])
    page.locator(".ann-actions button[hx-post]").click()
    preview.locator("button[value=publish]").click()
    page.wait_for_url(re.compile(r".*/announcements/\d+/$"))
    return page.url


def test_officers_write_rich_text_in_arabic_and_on_a_phone_in_french(
    live_url, new_context, user_factory, directorate_factory
):
    central = directorate_factory(kind="central", code="dcom")
    user_factory(username="nadia", directorate=central, role="communication_officer",
                 preferred_language="ar")
    user_factory(username="karim", directorate=central, role="communication_officer",
                 preferred_language="fr")
    user_factory(username="amina", directorate=central, preferred_language="ar")
    user_factory(username="louis", directorate=central, preferred_language="fr")

    desktop = new_context().new_page()
    login(desktop, live_url, "nadia")
    arabic_url = write_and_publish(
        desktop, live_url, language="ar", title="افتتاح القاعة الجديدة",
        lines=["القاعة الجديدة", "مهم جدا", "يوم الاثنين"], alt="القاعة من الداخل",
    )

    phone = new_context(viewport=PHONE).new_page()
    login(phone, live_url, "karim")
    french_url = write_and_publish(
        phone, live_url, language="fr", title="Fermeture du parking",
        lines=["Parking fermé", "Très important", "Lundi matin"],
    )

    # Readers: the formatted text, the image through its checked address.
    reader = new_context().new_page()
    login(reader, live_url, "amina")
    reader.goto(arabic_url)
    body = reader.locator(".ann-body")
    expect(body.locator("h3, h2").first).to_have_text("القاعة الجديدة")
    expect(body.locator("strong")).to_have_text("مهم جدا")
    image = body.locator("img")
    expect(image).to_have_attribute("alt", "القاعة من الداخل")
    reader.wait_for_function(
        "() => { const i = document.querySelector('.ann-body img');"
        " return i && i.complete && i.naturalWidth === 40; }"
    )
    assert axe_violations(reader) == []

    french_reader = new_context(viewport=PHONE).new_page()
    login(french_reader, live_url, "louis")
    french_reader.goto(french_url)
    body = french_reader.locator(".ann-body")
    expect(body.locator("strong")).to_have_text("Très important")
    expect(body.locator("li")).to_have_text("Lundi matin")
    assert "<" not in body.inner_text()  # never markup shown as text
    assert axe_violations(french_reader) == []
