"""Leave on the engine in three browsers: an employee asks three days of leave,
the manager approves from the notification dropdown, HR completes it from
theirs, and the employee sees each step live."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from .helpers import login, screenshot, wait_for_socket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def first_monday_without_holidays() -> datetime.date:
    """A Monday at least a week ahead whose Monday-Wednesday are all working days
    (so three calendar days cost three working days)."""
    from requests.holidays import holiday_dates

    today = datetime.date.today()
    monday = today + datetime.timedelta(days=(7 - today.weekday()) + 7)
    while holiday_dates(monday, monday + datetime.timedelta(days=2)):
        monday += datetime.timedelta(days=7)
    return monday


@pytest.fixture
def leave_people(directorate_factory, user_factory):
    from requests.defaults import seed_requests_demo

    directorate = directorate_factory(code="dsi", name_ar="مديرية نظم المعلومات",
                                      name_fr="Direction des systèmes d'information")
    manager = user_factory(username="e2e.manager", directorate=directorate, role="manager",
                           first_name="Nadia", last_name="Tazi", full_name_ar="نادية التازي",
                           preferred_language="ar")
    employee = user_factory(username="e2e.employee", directorate=directorate, manager=manager,
                            first_name="Karim", last_name="Benali", full_name_ar="كريم بنعلي",
                            preferred_language="fr")
    seed_requests_demo()
    # Procedure types are data: here annual leave also goes through HR.
    from requests.models import Decider, RequestType, Stage, WorkflowStep

    annual = RequestType.objects.get(code="leave-annual")
    WorkflowStep.objects.create(request_type=annual, position=annual.steps.count() + 1,
                                stage=Stage.HR_PROCESSING, decider=Decider.HR_OFFICER,
                                norm_days=3)
    user_factory(username="e2e.hr", directorate=directorate, role="hr_officer",
                 first_name="Salma", last_name="Idrissi", preferred_language="fr")
    return manager, employee


def test_three_days_of_leave_approved_by_the_manager_then_hr_from_the_dropdown(
        live_url, new_context, leave_people):
    base = live_url
    monday = first_monday_without_holidays()
    wednesday = monday + datetime.timedelta(days=2)
    employee = new_context().new_page()
    manager = new_context().new_page()
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
    wait_for_socket(employee)
    expect(employee.get_by_test_id("request-stage")).to_have_attribute(
        "class", "stage stage-manager_decision")
    expect(employee.get_by_test_id("balance-remaining")).to_have_text("22")
    request_url = employee.url

    # The manager, on the home page, is told live and decides from the bell.
    expect(manager.locator("#bell-count")).to_have_text("1", timeout=15000)
    manager.click("#bell-button")
    approve = manager.locator("#notif-panel form[hx-post*='decision=approve']")
    expect(approve).to_have_count(1)
    approve.locator("input[name=comment]").fill("بالتوفيق")
    approve.locator("button").click()
    outcome = manager.get_by_test_id("decision-outcome")
    expect(outcome).to_have_text("تمت الموافقة: ينتقل الطلب إلى المرحلة الموالية.",
                                 timeout=15000)
    assert manager.url == f"{base}/"  # decided without leaving the page

    # The employee's page follows it to HR; nothing is taken from the balance yet.
    expect(employee.get_by_test_id("request-stage")).to_have_attribute(
        "class", "stage stage-hr_processing", timeout=15000)
    expect(employee.get_by_test_id("balance-remaining")).to_have_text("22")

    # HR, told live, completes it from the bell too.
    hr = new_context().new_page()
    login(hr, base, "e2e.hr")
    expect(hr.locator("#bell-count")).to_have_text("1", timeout=15000)
    hr.click("#bell-button")
    hr.locator("#notif-panel form[hx-post*='decision=approve'] button").click()
    expect(hr.get_by_test_id("decision-outcome")).to_have_text("Approuvée.", timeout=15000)

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
    expect(again).to_have_count(1)
    again.locator("button").click()
    expect(manager.get_by_test_id("decision-outcome")).to_contain_text(
        "تم البت فيه مسبقا", timeout=15000)
    screenshot(employee, "requests/leave-employee")
