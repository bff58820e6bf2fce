"""Announcements in headless Chromium against the live server.

A communication officer publishes an urgent announcement to one regional
directorate; a staff member there sees the banner arrive live and acknowledges
it; a staff member elsewhere sees nothing; the author's counts update live.
"""

import pytest

from .helpers import login, wait_for_socket

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
