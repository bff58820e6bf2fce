"""A decision taken on a request's page or from the notification leaves one
audit entry; a refused one is recorded as a denied access."""

import pytest
from django.test import Client

from collab.models import AuditEntry

from .test_request_pages import decision_notification, htmx_post, submit_three_days

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action


def signed_in(user) -> Client:
    client = Client(REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="AuditTest/3.0")
    client.force_login(user)
    return client


def test_a_decision_is_recorded_once_with_who_and_where(org, types):
    req = submit_three_days(org, types)
    notification = decision_notification(org["director"])
    client = signed_in(org["director"])
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    url = f"/requests/{req.pk}/decide/1/?decision=approve"
    assert htmx_post(client, url, f"notif-{notification.pk}").status_code == 200
    # A second click is refused as already decided: no second decision entry.
    htmx_post(client, url.replace("approve", "reject"), f"notif-{notification.pk}")
    [entry] = AuditEntry.objects.exclude(pk__in=before)
    assert (entry.action, entry.actor_id, entry.ip, entry.user_agent) == (
        Action.DECISION, org["director"].pk, "192.0.2.44", "AuditTest/3.0")
    assert (entry.object_type, entry.object_id) == ("staff_requests.request", str(req.pk))
    assert entry.detail["decision"] == "approve" and entry.detail["step"] == 1


def test_a_decision_by_someone_else_is_a_denied_access(org, types):
    req = submit_three_days(org, types)
    client = signed_in(org["outsider"])
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    response = client.post(f"/requests/{req.pk}/decide/1/?decision=approve")
    assert response.status_code in (403, 404)
    [entry] = AuditEntry.objects.exclude(pk__in=before)
    assert (entry.action, entry.actor_id) == (Action.DENIED, org["outsider"].pk)
