"""End to end in two browsers: an employee asks three days of leave, the manager
approves from the notification dropdown, the employee sees it live.

Self-contained: a real Daphne (dynamic port) on its own SQLite file, seeded by
live_setup.py; the channel layer is Redis when REDIS_URL is set (CI), else the
in-memory layer, which is enough for one Daphne process. Chromium is Debian's.
"""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "E2e-pass-2026"
CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def daphne_server(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing (make system-deps-test installs it)")
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({
        "COLLAB_VAR_DIR": str(tmp_path / "var"),
        "CHANNEL_LAYER_PREFIX": f"reqs-e2e-{uuid.uuid4().hex[:8]}",
        "DJANGO_SETTINGS_MODULE": "collab.settings",
        "PYTHONPATH": str(ROOT),
    })
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env,
                   check=True, timeout=300)
    subprocess.run([python, "manage.py", "compilemessages", "--ignore=.venv", "-v0"], cwd=ROOT,
                   env=env, check=True, timeout=300)
    subprocess.run([python, str(ROOT / "tests/staff_requests/live_setup.py"), PASSWORD],
                   cwd=ROOT, env=env, check=True, timeout=120, capture_output=True)
    port = free_port()
    log = open(tmp_path / "daphne.log", "wb")  # noqa: SIM115 - closed below
    daphne = subprocess.Popen(
        [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
         "tests.staff_requests.live_asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if daphne.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "daphne.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        daphne.terminate()
        try:
            daphne.wait(10)
        except subprocess.TimeoutExpired:
            daphne.kill()
        log.close()


def first_monday_without_holidays() -> datetime.date:
    """A Monday at least a week ahead whose Monday-Wednesday are all working days
    (so three calendar days cost three working days in the seeded calendar)."""
    from requests.leave import FIXED_HOLIDAYS, LUNAR_HOLIDAYS

    today = datetime.date.today()
    monday = today + datetime.timedelta(days=(7 - today.weekday()) + 7)
    while True:
        days = {monday + datetime.timedelta(days=i) for i in range(3)}
        holidays = {datetime.date(d.year, m, dd) for d in days for (m, dd), *_ in FIXED_HOLIDAYS}
        holidays |= {datetime.date.fromisoformat(iso) for rows in LUNAR_HOLIDAYS.values()
                     for iso, *_ in rows}
        if not days & holidays:
            return monday
        monday += datetime.timedelta(days=7)


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.wait_for_function("document.body.dataset.socketState === 'open'", timeout=15000)


def test_three_days_of_leave_approved_from_the_dropdown(daphne_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base = daphne_server
    monday = first_monday_without_holidays()
    wednesday = monday + datetime.timedelta(days=2)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-quic", "--disable-component-update", "--disable-sync"])
        try:
            employee = browser.new_context().new_page()
            manager = browser.new_context().new_page()
            login(employee, base, "e2e.employee")
            login(manager, base, "e2e.manager")

            # The employee fills the form; the cost shows live before submitting.
            employee.goto(f"{base}/requests/new/leave-annual/")
            expect(employee.get_by_test_id("balance-remaining")).to_have_text("22")
            employee.fill("#id_start_date", monday.isoformat())
            employee.fill("#id_end_date", wednesday.isoformat())
            employee.locator("#id_end_date").dispatch_event("change")
            expect(employee.get_by_test_id("quote-days")).to_have_text("3")
            expect(employee.get_by_test_id("quote-left")).to_have_text("19")
            employee.click("#request-form button[type=submit]")
            employee.wait_for_url(f"{base}/requests/*/")
            employee.wait_for_function("document.body.dataset.socketState === 'open'")
            expect(employee.get_by_test_id("request-stage")).to_have_attribute(
                "class", "stage stage-manager_decision")
            expect(employee.get_by_test_id("balance-remaining")).to_have_text("22")
            request_url = employee.url

            # The manager, on the home page, is told live and decides from the bell.
            expect(manager.locator("#bell-count")).to_have_text("1", timeout=15000)
            manager.click("#bell-button")
            approve = manager.locator("#notif-panel form[hx-post*='decision=approve']")
            expect(approve).to_have_count(1, timeout=10000)
            approve.locator("input[name=comment]").fill("بالتوفيق")
            approve.locator("button").click()
            outcome = manager.get_by_test_id("decision-outcome")
            expect(outcome).to_have_text("تمت الموافقة.", timeout=15000)
            assert manager.url == f"{base}/"  # decided without leaving the page

            # The employee's page changes by itself: stage, timeline, balance.
            expect(employee.get_by_test_id("request-stage")).to_have_attribute(
                "class", "stage stage-completed", timeout=15000)
            expect(employee.get_by_test_id("balance-remaining")).to_have_text("19")
            expect(employee.locator(".timeline")).to_contain_text("بالتوفيق")
            assert employee.url == request_url
            expect(employee.locator("#toasts")).to_contain_text("approuvée")

            # Clicking the stale button again says so clearly.
            manager.goto(f"{base}/")
            manager.click("#bell-button")
            again = manager.locator("#notif-panel form[hx-post*='decision=reject']")
            expect(again).to_have_count(1, timeout=10000)
            again.locator("button").click()
            expect(manager.get_by_test_id("decision-outcome")).to_contain_text(
                "تم البت فيه مسبقا", timeout=15000)
            employee.screenshot(path=str(tmp_path / "employee.png"))
        finally:
            browser.close()
    artifacts = ROOT / "artifacts"
    if artifacts.exists():
        shutil.copy(tmp_path / "employee.png", artifacts / "requests-e2e-employee.png")
