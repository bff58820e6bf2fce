"""End to end in headless Chromium against a live Daphne.

A communication officer publishes an urgent announcement to one regional
directorate; a staff member there sees the banner arrive live and acknowledges
it; a staff member elsewhere sees nothing; the author's counts update live.
"""

import os

import pytest

from .live_server import LiveServer

pytestmark = [pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-quic", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI needs Debian chromium at /usr/bin/chromium (make system-deps-test)")
        pytest.skip("needs Debian chromium at /usr/bin/chromium (make system-deps-test)")
    server = LiveServer(tmp_path_factory.mktemp("announcements-e2e")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def signed_in(browser, live, username):
    context = browser.new_context(locale="ar")
    page = context.new_page()
    page.goto(live.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "E2e-pass-2026")
    page.click("form button[type=submit]")
    page.wait_for_url(live.url + "/")
    return page


def socket_open(page):
    page.wait_for_selector('body[data-socket-state="open"]', timeout=10000)


def test_urgent_announcement_reaches_only_its_directorate_live(live, browser):
    officer = signed_in(browser, live, "officer")
    casa = signed_in(browser, live, "casa")
    fes = signed_in(browser, live, "fes")
    for page in (casa, fes):
        page.goto(live.url + "/announcements/")
        socket_open(page)

    officer.goto(live.url + "/announcements/new/")
    officer.fill("#id_title_fr", "Coupure d'électricité")
    officer.fill("#id_body_fr", "<p>Le bâtiment sera <strong>fermé</strong> demain.</p>")
    officer.select_option("#id_priority", "urgent")
    officer.select_option("#id_directorates", str(live.ids["casa_directorate"]))
    officer.click('button[name="action"][value="publish"]')
    officer.wait_for_url("**/announcements/*/")
    announcement_id = officer.url.rstrip("/").split("/")[-1]

    # Casablanca: banner, feed item and toast arrive without a reload.
    banner = casa.wait_for_selector(f"#ann-banner-{announcement_id}", timeout=10000)
    assert "Coupure" in banner.inner_text()
    casa.wait_for_selector(f"#ann-{announcement_id}")
    casa.wait_for_selector(".toast")
    assert casa.inner_text("#bell-count") == "1"

    # The author opens the counts, live.
    officer.goto(live.url + f"/announcements/{announcement_id}/stats/")
    socket_open(officer)
    stats = f"#ann-stats-{announcement_id}"
    assert officer.inner_text(f'{stats} .ann-totals [data-stat="acknowledged"]') == "0"

    casa.click(f"#ann-banner-{announcement_id} .ann-ack-button")
    casa.wait_for_selector(f"#ann-banner-{announcement_id}", state="detached")
    officer.wait_for_function(
        "sel => document.querySelector(sel + ' .ann-totals [data-stat=acknowledged]')"
        ".textContent.trim() === '1'",
        arg=stats,
        timeout=10000,
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
    response = fes.goto(live.url + f"/announcements/{announcement_id}/")
    assert response.status == 404
    # The acknowledged banner does not come back for Casablanca either.
    casa.reload()
    assert casa.query_selector(".ann-banner") is None
