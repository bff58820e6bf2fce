"""Hostile text in request forms: reported beside the field in French, nothing stored."""

from __future__ import annotations

import datetime

import pytest

from requests.models import Request
from tests.staff_requests.conftest import next_monday

DAY = datetime.timedelta(days=1)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("reason", "says"), [
    ("a%00b", "caractère non autorisé (U+0000)"), ("a%7Fb", "U+007F"), ("%ED%A0%80", "UTF-8")])
def test_leave_reason_is_refused_in_the_persons_language(org, types, client_for, reason, says):
    monday = next_monday(2)
    body = (f"start_date={monday.isoformat()}&end_date={(monday + 2 * DAY).isoformat()}"
            f"&reason={reason}")
    response = client_for(org["employee"]).post(
        "/requests/new/leave-annual/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Request.objects.exists()


def test_a_decision_comment_with_a_control_character_is_refused(org, types, client_for):
    from requests import services

    monday = next_monday(2)
    req = services.submit_leave(org["employee"], types["leave-annual"], start=monday,
                                end=monday + 2 * DAY)
    client = client_for(org["director"])
    response = client.post(f"/requests/{req.pk}/decide/1/", "decision=approve&comment=ok%00",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "caractère non autorisé (U+0000)" in response.content.decode()
    stage, position = req.stage, req.step_position
    req.refresh_from_db()
    assert (req.stage, req.step_position) == (stage, position)
