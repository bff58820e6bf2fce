"""The generic workflow: stages, the assigned decider, delegation, cancellation, audit trail."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from requests import services, workflow
from requests.models import Delegation, Request, RequestTransition, Stage
from requests.workflow import DecisionConflict, NotDecider, WorkflowError

from .conftest import next_monday

pytestmark = pytest.mark.django_db


def leave_request(org, types, employee=None, start=None, days=3, code="leave-annual"):
    start = start or next_monday(2)
    return services.submit_leave(
        employee or org["employee"], types[code], start=start,
        end=start + datetime.timedelta(days=days - 1),
    )


def test_submission_records_submitted_and_waits_for_the_direct_manager(org, types):
    req = leave_request(org, types)
    assert req.stage == Stage.MANAGER_DECISION
    assert req.assignee == org["director"]
    trail = list(req.transitions.values_list("action", "from_stage", "to_stage", "actor"))
    assert trail == [("submitted", "", "submitted", org["employee"].pk)]
    assert workflow.deciders(req)[0] == [org["director"]]


def test_only_the_assigned_decider_decides(org, types):
    req = leave_request(org, types)
    for intruder in (org["colleague"], org["outsider"], org["hr"], org["employee"], org["boss"]):
        with pytest.raises(NotDecider):
            services.decide(req.pk, intruder, approve=True)
    req.refresh_from_db()
    assert req.stage == Stage.MANAGER_DECISION
    assert req.transitions.count() == 1


def test_approval_completes_and_is_audited_with_comment(org, types):
    req = leave_request(org, types)
    services.decide(req.pk, org["director"], approve=True, comment="Bon congé")
    req.refresh_from_db()
    assert req.stage == Stage.COMPLETED
    last = req.transitions.last()
    assert (last.action, last.from_stage, last.to_stage, last.actor, last.comment) == (
        "completed", "manager_decision", "completed", org["director"], "Bon congé")


def test_rejection(org, types):
    req = leave_request(org, types)
    services.decide(req.pk, org["director"], approve=False, comment="Période chargée")
    req.refresh_from_db()
    assert req.stage == Stage.REJECTED
    assert req.transitions.last().action == "rejected"


def test_second_decision_gets_a_clear_message_and_records_nothing(org, types):
    req = leave_request(org, types)
    services.decide(req.pk, org["director"], approve=True, expected_step=1)
    with pytest.raises(DecisionConflict) as excinfo:
        services.decide(req.pk, org["director"], approve=False, expected_step=1)
    assert "Already decided" in excinfo.value.message
    assert req.transitions.filter(action__in=["completed", "rejected"]).count() == 1


def test_multi_step_type_goes_from_manager_to_hr(org, types):
    req = leave_request(org, types, code="leave-parental")
    services.decide(req.pk, org["director"], approve=True, expected_step=1)
    req.refresh_from_db()
    assert (req.stage, req.step_position) == (Stage.HR_PROCESSING, 2)
    # The manager's stale button (step 1) is refused, the manager is not the HR decider.
    with pytest.raises(DecisionConflict):
        services.decide(req.pk, org["director"], approve=True, expected_step=1)
    with pytest.raises(NotDecider):
        services.decide(req.pk, org["director"], approve=True, expected_step=2)
    services.decide(req.pk, org["hr"], approve=True, expected_step=2)
    req.refresh_from_db()
    assert req.stage == Stage.COMPLETED
    assert list(req.transitions.values_list("action", flat=True)) == [
        "submitted", "approved", "completed"]


def test_delegation_hands_the_decision_to_the_acting_manager(org, types):
    today = timezone.localdate()
    services.delegate(org["director"], org["deputy"], today, today + datetime.timedelta(days=10))
    req = leave_request(org, types)
    assert req.assignee == org["deputy"]
    with pytest.raises(NotDecider):
        services.decide(req.pk, org["director"], approve=True)
    services.decide(req.pk, org["deputy"], approve=True)
    last = Request.objects.get(pk=req.pk).transitions.last()
    assert last.actor == org["deputy"] and last.on_behalf_of == org["director"]


def test_delegation_outside_its_dates_changes_nothing(org, types):
    today = timezone.localdate()
    Delegation.objects.create(manager=org["director"], acting_manager=org["deputy"],
                              start_date=today + datetime.timedelta(days=30),
                              end_date=today + datetime.timedelta(days=40))
    req = leave_request(org, types)
    assert workflow.deciders(req)[0] == [org["director"]]


def test_manager_on_approved_leave_is_replaced_by_their_own_manager(org, types):
    today = timezone.localdate()
    away = Request.objects.create(request_type=types["leave-annual"], requester=org["director"],
                                  stage=Stage.COMPLETED)
    from requests.models import LeaveRequest

    LeaveRequest.objects.create(request=away, start_date=today - datetime.timedelta(days=1),
                                end_date=today + datetime.timedelta(days=5), days=5)
    req = leave_request(org, types)
    assert workflow.deciders(req) == ([org["boss"]], org["director"])
    services.decide(req.pk, org["boss"], approve=True)
    assert Request.objects.get(pk=req.pk).stage == Stage.COMPLETED


def test_delegation_is_refused_to_oneself_and_backwards(org):
    today = timezone.localdate()
    with pytest.raises(WorkflowError):
        services.delegate(org["director"], org["director"], today, today)
    with pytest.raises(WorkflowError):
        services.delegate(org["director"], org["deputy"], today,
                          today - datetime.timedelta(days=1))


def test_requester_cancels_before_a_decision(org, types):
    req = services.submit_certificate(org["employee"], types["certificate-work"], language="fr")
    with pytest.raises(Exception):  # noqa: B017 - someone else cannot cancel
        services.cancel(req.pk, org["colleague"])
    services.cancel(req.pk, org["employee"], "Plus besoin")
    req.refresh_from_db()
    assert req.stage == Stage.CANCELLED
    assert req.transitions.last().action == "cancelled"
    with pytest.raises(WorkflowError):
        services.cancel(req.pk, org["employee"])
    with pytest.raises(DecisionConflict):
        services.decide(req.pk, org["hr"], approve=True)


def test_decided_certificate_cannot_be_cancelled(org, types):
    req = services.submit_certificate(org["employee"], types["certificate-work"], language="fr")
    services.decide(req.pk, org["hr"], approve=True)
    with pytest.raises(WorkflowError):
        services.cancel(req.pk, org["employee"])


def test_audit_trail_cannot_be_changed_or_deleted(org, types):
    req = leave_request(org, types)
    entry = req.transitions.get()
    entry.comment = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        RequestTransition.objects.filter(pk=entry.pk).update(comment="rewritten")
    with pytest.raises(PermissionError):
        RequestTransition.objects.filter(pk=entry.pk).delete()
    # Below the ORM, the database refuses too (trigger from the migration).
    table = RequestTransition._meta.db_table
    with pytest.raises(IntegrityError if connection.vendor == "sqlite" else Exception):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET comment = 'x' WHERE id = %s", [entry.pk])
    assert RequestTransition.objects.get(pk=entry.pk).comment == ""


def test_audit_trail_admin_is_read_only(org, types, client_for, user_factory):
    admin_user = user_factory(role="administrator", is_staff=True, is_superuser=True)
    req = leave_request(org, types)
    entry = req.transitions.get()
    client = client_for(admin_user)
    url = f"/admin/staff_requests/requesttransition/{entry.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="comment"' not in page.content
    client.post(url, {"comment": "rewritten"})
    assert client.get("/admin/staff_requests/requesttransition/add/").status_code == 403
    delete = client.post(f"/admin/staff_requests/requesttransition/{entry.pk}/delete/",
                         {"post": "yes"})
    assert delete.status_code == 403
    assert RequestTransition.objects.get(pk=entry.pk).comment == ""


def test_awaiting_lists_what_each_decider_may_decide(org, types):
    leave = leave_request(org, types)
    cert = services.submit_certificate(org["employee"], types["certificate-work"], language="ar")
    social = services.submit_social(org["employee"], types["social-services"], service="loan",
                                    description="Prêt")
    assert [r.pk for r in workflow.requests_awaiting(org["director"])] == [leave.pk]
    assert {r.pk for r in workflow.requests_awaiting(org["hr"])} == {cert.pk}
    assert social.pk in {r.pk for r in workflow.requests_awaiting(org["social"])}
    assert workflow.requests_awaiting(org["outsider"]) == []


def test_delegation_hands_over_requests_already_waiting(org, types):
    req = leave_request(org, types)
    today = timezone.localdate()
    services.delegate(org["director"], org["deputy"], today, today + datetime.timedelta(days=3))
    req.refresh_from_db()
    assert req.assignee == org["deputy"]
    told = org["deputy"].notifications.get(kind="request.decision_needed")
    assert f"/requests/{req.pk}/decide/1/?decision=approve" in str(told.actions)
    services.decide(req.pk, org["deputy"], approve=True)
