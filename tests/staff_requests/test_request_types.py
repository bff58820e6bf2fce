"""Types are configured by administrators; the engine serves any family."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from requests import services, workflow
from requests.models import Decider, Request, RequestType, Stage, WorkflowStep

pytestmark = pytest.mark.django_db


def test_type_validation_refuses_unknown_required_fields(types):
    bad = RequestType(code="x", name_ar="x", name_fr="x", family="certificate",
                      certificate_kind="work", required_fields=["salary"])
    with pytest.raises(ValidationError):
        bad.full_clean()
    with pytest.raises(ValidationError):
        RequestType(code="y", name_ar="y", name_fr="y", family="leave").full_clean()


def test_administrator_adds_a_manager_step_before_social_affairs(org, types):
    social = types["social-services"]
    social.steps.update(position=2)
    WorkflowStep.objects.create(request_type=social, position=1,
                                stage=Stage.MANAGER_DECISION, decider=Decider.DIRECT_MANAGER)
    req = services.submit_social(org["employee"], social, service="housing",
                                 description="Logement")
    assert workflow.deciders(req)[0] == [org["director"]]
    services.decide(req.pk, org["director"], approve=True, expected_step=1)
    req.refresh_from_db()
    assert req.stage == Stage.HR_PROCESSING and workflow.deciders(req)[0] == [org["social"]]


def test_required_purpose_configured_by_the_administrator(org, types):
    work = types["certificate-work"]
    work.required_fields = ["purpose"]
    work.save()
    with pytest.raises(services.WorkflowError, match="Purpose"):
        services.submit_certificate(org["employee"], work, language="fr")


def test_a_new_family_reuses_the_engine(org, types):
    """What another app does (press, training): its own family, hooks and steps.
    A family and a type code of the test's own: the real ones are seeded."""
    seen = []
    workflow.register_family("test_grant", workflow.FamilyHooks(
        on_completed=lambda request, actor, extra: seen.append(("done", actor.username))))
    try:
        kind = RequestType.objects.create(code="test-grant", name_ar="منحة",
                                          name_fr="Bourse d'essai", family="test_grant")
        WorkflowStep.objects.create(request_type=kind, position=1,
                                    stage=Stage.HR_PROCESSING, decider=Decider.HR_OFFICER)
        req = workflow.start(kind, org["employee"], comment="Renouvellement")
        workflow.submit(req)
        assert req.stage == Stage.HR_PROCESSING
        workflow.decide(req.pk, org["hr"], approve=True, comment="Carte éditée")
        assert Request.objects.get(pk=req.pk).stage == Stage.COMPLETED
        assert seen == [("done", "hr")]
        assert list(req.transitions.values_list("action", flat=True)) == [
            "submitted", "completed"]
    finally:
        workflow.FAMILIES.pop("test_grant")


def test_a_type_without_steps_completes_at_once(org, types):
    instant = RequestType.objects.create(code="instant", name_ar="x", name_fr="x",
                                         family="certificate", certificate_kind="work")
    req = services.submit_certificate(org["employee"], instant, language="fr")
    assert req.stage == Stage.COMPLETED and req.certificate.verification_code


def test_acting_manager_own_request_goes_to_the_manager(org, types):
    import datetime

    today = timezone.localdate()
    org["deputy"].manager = org["director"]
    org["deputy"].save()
    services.delegate(org["director"], org["deputy"], today, today + datetime.timedelta(days=5))
    req = services.submit_certificate(org["deputy"], types["certificate-work"], language="fr")
    assert org["deputy"] not in workflow.deciders(req)[0]  # HR, not the requester
    leave_type = types["leave-annual"]
    monday = today + datetime.timedelta(days=(7 - today.weekday()) + 7)
    leave = services.submit_leave(org["deputy"], leave_type, start=monday, end=monday)
    assert workflow.deciders(leave)[0] == [org["director"]]


def test_admin_pages_for_types_holidays_balances(org, types, client_for, user_factory):
    admin_user = user_factory(role="administrator", is_staff=True, is_superuser=True)
    client = client_for(admin_user)
    for model in ("requesttype", "publicholiday", "leavebalance", "leavepolicy", "delegation",
                  "request", "requesttransition"):
        assert client.get(f"/admin/staff_requests/{model}/").status_code == 200, model
    response = client.get(f"/admin/staff_requests/requesttype/{types['leave-sick'].pk}/change/")
    assert response.status_code == 200 and b"steps-TOTAL_FORMS" in response.content
    created = client.post("/admin/staff_requests/publicholiday/add/", {
        "date": "2031-01-01", "name_ar": "رأس السنة", "name_fr": "Nouvel an"})
    assert created.status_code == 302
