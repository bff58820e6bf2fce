"""Assignment inside the engine (to oneself, to a colleague of the step, to an
acting manager by delegation) and the audit log of every decision-type move."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone, translation

from collab.models import AuditEntry
from requests import services
from requests.defaults import DSI_EQUIPMENT_GROUP
from requests.lifecycle import NotDecider, WorkflowError
from requests.models import Request, Stage, TimelineEntry

from .conftest import next_monday

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit(org, types, user_factory):
    """An equipment request waiting in the IT unit, which has two officers."""
    group = Group.objects.get(name=DSI_EQUIPMENT_GROUP)
    first = user_factory(username="dsi.first")
    second = user_factory(username="dsi.second", preferred_language="ar")
    for officer in (first, second):
        officer.groups.add(group)
    req = services.submit_interservice(org["employee"], types["interservice-equipment"],
                                       subject="Un scanner")
    services.decide(req.pk, org["boss"], approve=True, expected_step=1)
    return {"req": Request.objects.get(pk=req.pk), "first": first, "second": second}


def decisions_of(req):
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.DECISION,
                                          object_id=str(req.pk)).order_by("pk")
                .values_list("actor__username", "detail__decision", "detail__step"))


def test_every_decision_type_move_is_audited_once_by_the_engine(unit, org):
    req, first, second = unit["req"], unit["first"], unit["second"]
    services.assign(req.pk, first, first)
    services.suspend(req.pk, first, comment="Waiting for the budget", expected_step=2)
    services.resume(req.pk, second)
    services.return_for_correction(req.pk, second, expected_step=2,
                                   items=[{"kind": "text", "text": "Which model?"}])
    services.resubmit(req.pk, org["employee"], comment="HP")  # the applicant: not audited
    with pytest.raises(NotDecider):
        services.decide(req.pk, org["outsider"], approve=True, expected_step=2)
    services.decide(req.pk, first, approve=False, comment="No budget", expected_step=2)
    assert decisions_of(req) == [
        ("boss", "approve", 1), ("dsi.first", "assign", 2), ("dsi.first", "suspend", 2),
        ("dsi.second", "resume", 2), ("dsi.second", "return", 2),
        ("dsi.first", "reject", 2),
    ]


def test_an_officer_assigns_the_application_to_a_colleague_of_the_step(unit, org, client_for):
    req, first, second = unit["req"], unit["first"], unit["second"]
    page = client_for(first).get(f"/requests/{req.pk}/").content.decode()
    assert 'data-testid="assign-form"' in page and f'value="{second.pk}"' in page
    answer = client_for(first).post(f"/requests/{req.pk}/assign/", {"officer": second.pk})
    assert answer.status_code == 302
    req.refresh_from_db()
    assert req.assignee == second
    told = second.notifications.get(kind="request.assigned")
    assert req.reference in told.title and f"/requests/{req.pk}/" == told.link
    entry = req.timeline.filter(kind=TimelineEntry.Kind.ASSIGNMENT).get()
    assert entry.payload["officer"] == second.pk and not entry.public
    # Someone who does not decide the step is refused, beside the choice; nothing changes.
    version = req.version
    client_for(first).post(f"/requests/{req.pk}/assign/", {"officer": org["outsider"].pk})
    client_for(first).post(f"/requests/{req.pk}/assign/", {"officer": "nobody"})
    with translation.override("en"), pytest.raises(WorkflowError,
                                                   match="does not decide this step"):
        services.assign(req.pk, first, org["outsider"])
    # The applicant may see the application but not assign it.
    assert client_for(org["employee"]).post(
        f"/requests/{req.pk}/assign/", {"officer": first.pk}).status_code == 403
    req.refresh_from_db()
    assert (req.assignee, req.version) == (second, version)
    assert req.timeline.filter(kind=TimelineEntry.Kind.ASSIGNMENT).count() == 1


def test_a_delegation_hands_waiting_applications_over_through_the_engine(org, types):
    start = next_monday(2)
    req = services.submit_leave(org["employee"], types["leave-annual"], start=start,
                                end=start + datetime.timedelta(days=1))
    today = timezone.localdate()
    services.delegate(org["director"], org["deputy"], today, today + datetime.timedelta(days=2))
    req.refresh_from_db()
    assert req.assignee == org["deputy"] and req.stage == Stage.MANAGER_DECISION
    entry = req.timeline.get(kind=TimelineEntry.Kind.ASSIGNMENT)
    assert entry.actor == org["director"] and entry.payload["reason"] == "delegation"
    call_command("verify_timeline", stdout=__import__("io").StringIO())
    assert decisions_of(req) == [("director", "assign", 1)]
