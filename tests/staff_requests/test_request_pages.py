"""Pages and the decision from the notification dropdown (HTTP entry points)."""

import datetime
import re

import pytest

from collab.models import Notification
from requests import services
from requests.models import Request, Stage

from .conftest import next_monday

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def submit_three_days(org, types):
    monday = next_monday(2)
    return services.submit_leave(org["employee"], types["leave-annual"], start=monday,
                                 end=monday + 2 * DAY)


def decision_notification(user) -> Notification:
    return user.notifications.filter(kind="request.decision_needed").latest("pk")


def htmx_post(client, url, target, **data):
    return client.post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target)


def test_employee_files_leave_through_the_form(org, types, client_for):
    client = client_for(org["employee"])
    assert client.get("/requests/new/").status_code == 200
    monday = next_monday(2)
    response = client.post("/requests/new/leave-annual/", {
        "start_date": monday.isoformat(), "end_date": (monday + 2 * DAY).isoformat(),
    })
    req = Request.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/requests/{req.pk}/"
    assert req.leave.days == 3
    page = client.get(f"/requests/{req.pk}/").content.decode()
    assert 'data-stage="manager_decision"' in page


def test_form_errors_are_shown_with_200_and_nothing_saved(org, types, client_for):
    client = client_for(org["employee"])
    yesterday = datetime.date.today() - DAY
    response = client.post("/requests/new/leave-annual/", {
        "start_date": yesterday.isoformat(), "end_date": (yesterday + DAY).isoformat()})
    assert response.status_code == 200
    # The employee reads French: the message is translated.
    assert "Un congé ne peut pas commencer dans le passé." in response.content.decode()
    assert not Request.objects.exists()


def test_live_quote_shows_cost_and_balance_left(org, types, client_for):
    client = client_for(org["employee"])
    monday = next_monday(2)
    response = client.get("/requests/new/leave-annual/quote/", {
        "start_date": monday.isoformat(), "end_date": (monday + 4 * DAY).isoformat(),
        "end_morning": "on"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'data-testid="quote-days">4[.,]5<', body)
    assert re.search(r'data-testid="quote-left">17[.,]5<', body)


def test_decider_notification_carries_approve_and_reject(org, types):
    req = submit_three_days(org, types)
    notification = decision_notification(org["director"])
    labels = [a["label"] for a in notification.actions]
    urls = {a["url"] for a in notification.actions}
    assert labels == ["Approuver", "Refuser"]  # in the decider's language (French)
    assert all(a["comment"] for a in notification.actions)
    assert urls == {f"/requests/{req.pk}/decide/1/?decision=approve",
                    f"/requests/{req.pk}/decide/1/?decision=reject"}


def test_approve_from_the_dropdown_returns_the_item_with_the_outcome(org, types, client_for):
    req = submit_three_days(org, types)
    notification = decision_notification(org["director"])
    client = client_for(org["director"])
    url = f"/requests/{req.pk}/decide/1/?decision=approve"
    response = htmx_post(client, url, f"notif-{notification.pk}", comment="OK")
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="notif-{notification.pk}"' in body and "is-ok" in body
    assert Request.objects.get(pk=req.pk).stage == Stage.COMPLETED
    notification.refresh_from_db()
    assert notification.read_at is not None
    # The requester was told.
    told = org["employee"].notifications.get(kind="request.decided")
    assert req.reference in told.title
    # Double click: a clear message in the fragment, still 200, no second decision.
    again = htmx_post(client, url.replace("approve", "reject"), f"notif-{notification.pk}")
    assert again.status_code == 200
    assert "Déjà décidée" in again.content.decode() and "is-refused" in again.content.decode()
    assert Request.objects.get(pk=req.pk).transitions.count() == 2


def test_someone_else_cannot_decide(org, types, client_for):
    req = submit_three_days(org, types)
    # Those who may see the request but not decide this step: 403.
    for intruder in (org["employee"], org["hr"]):
        response = client_for(intruder).post(f"/requests/{req.pk}/decide/1/?decision=approve")
        assert response.status_code == 403
    # Anyone else: the 404 of a missing request, before and after the decision.
    outsider = client_for(org["outsider"])
    missing = outsider.post(f"/requests/{req.pk + 1000}/decide/1/?decision=approve")
    assert missing.status_code == 404
    response = outsider.post(f"/requests/{req.pk}/decide/1/?decision=approve")
    assert (response.status_code, response.content) == (404, missing.content)
    assert Request.objects.get(pk=req.pk).stage == Stage.MANAGER_DECISION
    services.decide(req.pk, org["director"], approve=True)
    response = outsider.post(f"/requests/{req.pk}/decide/1/?decision=approve")
    assert (response.status_code, response.content) == (404, missing.content)
    assert org["director"].display_name not in response.content.decode()


def test_requester_cancels_from_the_page(org, types, client_for):
    req = submit_three_days(org, types)
    client = client_for(org["employee"])
    assert "Annuler cette demande" in client.get(f"/requests/{req.pk}/").content.decode()
    client.post(f"/requests/{req.pk}/cancel/", {"comment": "Changement"})
    assert Request.objects.get(pk=req.pk).stage == Stage.CANCELLED
    assert client_for(org["colleague"]).post(f"/requests/{req.pk}/cancel/").status_code == 404


def test_my_requests_page_shows_timeline_and_balance(org, types, client_for):
    req = submit_three_days(org, types)
    services.decide(req.pk, org["director"], approve=True, comment="Validé")
    body = client_for(org["employee"]).get("/requests/").content.decode()
    assert f'id="request-{req.pk}-status"' in body and 'data-stage="completed"' in body
    assert "Validé" in body
    assert re.search(r'data-testid="balance-remaining">19<', body)


def test_hr_queue_filters_and_csv(org, types, client_for):
    cert = services.submit_certificate(org["employee"], types["certificate-work"], language="fr")
    leave_req = submit_three_days(org, types)
    client = client_for(org["hr"])
    waiting = client.get("/requests/hr/").content.decode()
    assert cert.reference in waiting and leave_req.reference not in waiting
    by_type = client.get("/requests/hr/", {"type": types["leave-annual"].pk}).content.decode()
    assert leave_req.reference in by_type and cert.reference not in by_type
    other = client.get("/requests/hr/", {"directorate": org["hr"].directorate_id}).content
    assert cert.reference.encode() not in other
    csv_response = client.get("/requests/hr/", {"stage": "", "format": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")
    content = b"".join(csv_response.streaming_content).decode()
    assert cert.reference in content and leave_req.reference in content
    assert client_for(org["employee"]).get("/requests/hr/").status_code == 403


def test_team_calendar_shows_approved_and_pending_leave(org, types, client_for):
    monday = next_monday(2)
    approved = services.submit_leave(org["employee"], types["leave-annual"], start=monday,
                                     end=monday + DAY)
    services.decide(approved.pk, org["director"], approve=True)
    services.submit_leave(org["colleague"], types["leave-annual"], start=monday, end=monday)
    body = client_for(org["director"]).get(
        "/requests/team/", {"year": monday.year, "month": monday.month}).content.decode()
    assert body.count("cal-entry is-approved") >= 2  # two days + the legend
    assert "cal-entry is-pending" in body
    assert org["employee"].display_name in body and org["colleague"].display_name in body
    # Each entry links to its request and names its type.
    assert f'href="{approved.get_absolute_url()}" title="{types["leave-annual"].name}"' in body


def test_delegation_page_and_balance_adjustment(org, types, client_for):
    today = datetime.date.today()
    client = client_for(org["director"])
    client.post("/requests/delegations/", {"acting_manager": org["deputy"].pk,
                                           "start_date": today.isoformat(),
                                           "end_date": (today + 5 * DAY).isoformat()})
    assert org["director"].delegations_given.filter(acting_manager=org["deputy"]).exists()
    hr = client_for(org["hr"])
    response = hr.post(f"/requests/balance/{org['employee'].username}/",
                       {"year": today.year, "days": "2", "reason": "Heures supplémentaires"})
    assert response.status_code == 302
    body = hr.get(f"/requests/balance/{org['employee'].username}/").content.decode()
    assert "Heures supplémentaires" in body
    assert client_for(org["colleague"]).get(
        f"/requests/balance/{org['employee'].username}/").status_code == 404


def test_pages_render_in_arabic_and_french(org, types, client_for):
    req = submit_three_days(org, types)
    for language in ("ar", "fr", "en"):
        org["director"].preferred_language = language
        org["director"].save()
        client = client_for(org["director"])
        for url in ("/requests/", "/requests/new/", "/requests/new/leave-annual/",
                    f"/requests/{req.pk}/", "/requests/team/", "/requests/delegations/",
                    "/requests/verify/"):
            assert client.get(url).status_code == 200, url
