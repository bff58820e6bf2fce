"""The procedures engine's lifecycle: every path, through the services."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db.models import F
from django.utils import timezone

from requests import lifecycle, policies, routing, services
from requests.defaults import DAJ_OPINIONS_GROUP, DSI_EQUIPMENT_GROUP
from requests.lifecycle import DecisionConflict, NotDecider, WorkflowError
from requests.models import (
    ApplicantKind,
    Decider,
    Organisation,
    Request,
    RequestTransition,
    RequestType,
    Stage,
    TimelineEntry,
    WorkflowStep,
)

from .conftest import next_monday

pytestmark = pytest.mark.django_db


def parental(org, types):
    start = next_monday(2)
    return services.submit_leave(org["employee"], types["leave-parental"], start=start,
                                 end=start + datetime.timedelta(days=2))


def actions(req):
    return list(RequestTransition.objects.filter(request=req).order_by("at", "pk")
                .values_list("action", flat=True))


# ---- Returned for correction ---------------------------------------------------


def test_return_then_resubmit_resumes_at_the_returning_step_with_the_clock_stopped(org, types):
    req = parental(org, types)
    services.decide(req.pk, org["director"], approve=True, expected_step=1)
    req.refresh_from_db()
    assert req.stage == Stage.HR_PROCESSING and req.step_position == 2
    due = req.due_at
    assert due is not None and req.current_step.norm_days == 5

    services.return_for_correction(
        req.pk, org["hr"], expected_step=2, comment="Précisez",
        items=[{"kind": "text", "text": "Give the birth date"}])
    req.refresh_from_db()
    assert req.stage == Stage.RETURNED and req.state == "returned_for_correction"
    assert req.correction_items == [{"kind": "text", "document": None,
                                     "text": "Give the birth date"}]
    assert req.correction_deadline > timezone.now() + datetime.timedelta(days=14)
    assert req.clock_stopped_at is not None
    # HR cannot decide while the ball is with the applicant.
    with pytest.raises(DecisionConflict):
        services.decide(req.pk, org["hr"], approve=True, expected_step=2)

    # Two days pass with the applicant: the deadline moves by two days.
    Request.objects.filter(pk=req.pk).update(
        clock_stopped_at=F("clock_stopped_at") - datetime.timedelta(days=2))
    with pytest.raises(WorkflowError, match="Answer the correction"):
        services.resubmit(req.pk, org["employee"], comment="  ")
    services.resubmit(req.pk, org["employee"], comment="Born on 2026-11-30")
    req.refresh_from_db()
    assert req.stage == Stage.HR_PROCESSING and req.step_position == 2
    assert req.correction_items == [] and req.clock_stopped_at is None
    moved = req.due_at - due
    assert datetime.timedelta(days=2) <= moved < datetime.timedelta(days=2, minutes=5)
    services.decide(req.pk, org["hr"], approve=True, expected_step=2)
    req.refresh_from_db()
    assert req.stage == Stage.COMPLETED and req.decided_at is not None
    assert actions(req) == ["submitted", "approved", "returned", "resubmitted", "completed"]


def test_only_the_applicant_resubmits_and_only_before_the_deadline(org, types):
    req = parental(org, types)
    services.return_for_correction(req.pk, org["director"],
                                   items=[{"kind": "text", "text": "Dates?"}])
    with pytest.raises(policies.NotVisible):
        services.resubmit(req.pk, org["colleague"], comment="me")
    Request.objects.filter(pk=req.pk).update(
        correction_deadline=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(WorkflowError, match="over"):
        services.resubmit(req.pk, org["employee"], comment="late")
    assert Request.objects.get(pk=req.pk).stage == Stage.RETURNED


def test_a_correction_names_documents_of_the_type_and_only_those_change(org, types):
    sick = types["leave-sick"]
    requirement = sick.documents.get()
    start = next_monday(2)
    from django.core.files.uploadedfile import SimpleUploadedFile

    def pdf(name):
        return SimpleUploadedFile(name, b"%PDF-1.4 medical " + name.encode(),
                                  content_type="application/pdf")

    req = services.submit_leave(org["employee"], sick, start=start, end=start,
                                uploads=[pdf("a.pdf")])
    assert req.documents.get().requirement == requirement
    with pytest.raises(WorkflowError, match="document of this procedure"):
        services.return_for_correction(req.pk, org["director"], items=[
            {"kind": "document_incorrect", "document": 999999}])
    with pytest.raises(WorkflowError, match="Unknown kind"):
        services.return_for_correction(req.pk, org["director"], items=[{"kind": "bogus"}])
    assert Request.objects.get(pk=req.pk).stage == Stage.MANAGER_DECISION
    services.return_for_correction(req.pk, org["director"], items=[
        {"kind": "document_missing", "document": requirement.pk, "text": "Signed one"}])
    with pytest.raises(WorkflowError, match="every document"):
        services.resubmit(req.pk, org["employee"], comment="")
    services.resubmit(req.pk, org["employee"], documents={requirement.pk: pdf("b.pdf")})
    req.refresh_from_db()
    assert req.stage == Stage.MANAGER_DECISION
    assert req.documents.count() == 2 and req.attachments.count() == 2


def test_an_action_the_step_does_not_allow_is_refused_and_nothing_changes(org, types):
    step = types["certificate-work"].steps.get()
    step.actions = ["approve", "reject"]
    step.save()
    req = services.submit_certificate(org["employee"], types["certificate-work"],
                                      language="fr")
    with pytest.raises(WorkflowError, match="not allowed"):
        services.return_for_correction(req.pk, org["hr"],
                                       items=[{"kind": "text", "text": "x"}])
    with pytest.raises(NotDecider):
        services.suspend(req.pk, org["hr"], comment="wait")
    with pytest.raises(NotDecider):
        services.return_for_correction(req.pk, org["director"],
                                       items=[{"kind": "text", "text": "x"}])
    req.refresh_from_db()
    assert req.stage == Stage.HR_PROCESSING and req.version == 1
    assert actions(req) == ["submitted"]


# ---- Suspended, withdrawn, forwarded ----------------------------------------------


def test_suspend_and_resume_keep_the_step_and_stop_the_clock(org, types):
    req = services.submit_certificate(org["employee"], types["certificate-work"],
                                      language="ar")
    with pytest.raises(WorkflowError, match="why"):
        services.suspend(req.pk, org["hr"], comment=" ")
    services.suspend(req.pk, org["hr"], comment="Waiting for the payroll")
    req.refresh_from_db()
    assert req.stage == Stage.SUSPENDED and req.clock_stopped_at is not None
    assert routing.can_decide(org["hr"], req) is False
    with pytest.raises(NotDecider):
        services.resume(req.pk, org["employee"])
    services.resume(req.pk, org["hr"])
    req.refresh_from_db()
    assert req.stage == Stage.HR_PROCESSING and req.step_position == 1
    assert actions(req) == ["submitted", "suspended", "resumed"]


def test_the_applicant_withdraws_a_returned_application(org, types):
    req = services.submit_certificate(org["employee"], types["certificate-work"],
                                      language="fr")
    services.return_for_correction(req.pk, org["hr"], items=[{"kind": "text", "text": "x"}])
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied for someone else
        services.cancel(req.pk, org["colleague"])
    services.cancel(req.pk, org["employee"], "No longer needed")
    req.refresh_from_db()
    assert req.stage == Stage.CANCELLED and req.state == "withdrawn"
    assert req.expires_at is None


def test_forward_sends_the_application_to_a_later_step(org, types, user_factory):
    committee = Group.objects.create(name="social-committee")
    member = user_factory(username="member")
    member.groups.add(committee)
    kind = RequestType.objects.create(code="grant", name_ar="منحة", name_fr="Bourse",
                                      family="social")
    WorkflowStep.objects.create(request_type=kind, position=1, stage=Stage.HR_PROCESSING,
                                decider=Decider.HR_OFFICER, actions=["approve", "forward"])
    WorkflowStep.objects.create(request_type=kind, position=2, stage=Stage.HR_PROCESSING,
                                decider=Decider.HR_OFFICER)
    WorkflowStep.objects.create(request_type=kind, position=3, stage=Stage.COMMITTEE,
                                decider=Decider.COMMITTEE, group=committee)
    req = services.submit_social(org["employee"], kind, service="education")
    with pytest.raises(WorkflowError, match="later step"):
        services.forward(req.pk, org["hr"], to_position=1, expected_step=1)
    services.forward(req.pk, org["hr"], to_position=3, expected_step=1, comment="Committee")
    req.refresh_from_db()
    assert req.stage == Stage.COMMITTEE and req.step_position == 3
    assert routing.deciders(req)[0] == [member]
    assert [r.pk for r in routing.awaiting(member)] == [req.pk]
    services.decide(req.pk, member, approve=True, expected_step=3)
    assert Request.objects.get(pk=req.pk).stage == Stage.COMPLETED


# ---- Expiry --------------------------------------------------------------------------


def test_drafts_and_unanswered_corrections_expire_after_a_notice(org, types):
    draft = lifecycle.start(types["certificate-work"], org["employee"], draft=True)
    assert draft.stage == Stage.DRAFT and draft.expires_at is not None
    returned = services.submit_certificate(org["employee"], types["certificate-work"],
                                           language="fr")
    services.return_for_correction(returned.pk, org["hr"],
                                   items=[{"kind": "text", "text": "x"}])
    now = timezone.now()
    Request.objects.filter(pk=draft.pk).update(expires_at=now + datetime.timedelta(days=2))
    noticed = []
    assert lifecycle.expire(now, notify=noticed.append) == {"expired": 0, "noticed": 1}
    assert [r.pk for r in noticed] == [draft.pk]
    assert lifecycle.expire(now, notify=noticed.append) == {"expired": 0, "noticed": 0}
    later = now + datetime.timedelta(days=16)
    assert lifecycle.expire(later)["expired"] == 2
    for req in (draft, returned):
        req.refresh_from_db()
        assert req.stage == Stage.EXPIRED
        last = req.transitions.last()
        assert last.action == "expired" and last.actor is None
    assert TimelineEntry.objects.filter(request=draft, kind="deadline").exists()


def test_a_draft_is_submitted_by_its_applicant_only(org, types):
    from requests.models import CertificateRequest

    draft = lifecycle.start(types["certificate-work"], org["employee"], draft=True)
    CertificateRequest.objects.create(request=draft, language="fr")
    with pytest.raises(policies.NotVisible):
        policies.visible_or_404(org["colleague"], draft.pk)
    with pytest.raises(policies.NotVisible):
        lifecycle.submit_draft(draft.pk, org["colleague"])
    lifecycle.submit_draft(draft.pk, org["employee"])
    draft.refresh_from_db()
    assert draft.stage == Stage.HR_PROCESSING and draft.expires_at is None


# ---- Routing rules -----------------------------------------------------------------------


def test_leave_over_ten_days_also_goes_to_the_director(org, types):
    start = next_monday(3)
    long = services.submit_leave(org["employee"], types["leave-annual"], start=start,
                                 end=start + datetime.timedelta(days=15))
    assert long.leave.days > 10
    services.decide(long.pk, org["director"], approve=True, expected_step=1)
    long.refresh_from_db()
    assert long.stage == Stage.DIRECTOR_DECISION
    # The director of the employee's directorate: the head above their manager.
    assert routing.deciders(long)[0] == [org["boss"]]
    services.decide(long.pk, org["boss"], approve=True, expected_step=2)
    assert Request.objects.get(pk=long.pk).stage == Stage.COMPLETED

    short = services.submit_leave(org["colleague"], types["leave-annual"], start=start,
                                  end=start + datetime.timedelta(days=1))
    services.decide(short.pk, org["director"], approve=True, expected_step=1)
    assert Request.objects.get(pk=short.pk).stage == Stage.COMPLETED


def test_nobody_approves_the_same_application_twice(org, types, user_factory):
    # The director's own report: the manager and the director are one person.
    report = user_factory(directorate=org["directorate"], manager=org["boss"])
    start = next_monday(3)
    req = services.submit_leave(report, types["leave-annual"], start=start,
                                end=start + datetime.timedelta(days=15))
    services.decide(req.pk, org["boss"], approve=True, expected_step=1)
    assert Request.objects.get(pk=req.pk).stage == Stage.COMPLETED


# ---- Applicants of three kinds -------------------------------------------------------


@pytest.fixture
def services_org(db, user_factory, directorate_factory, types):
    central = directorate_factory(code="sg")
    region = directorate_factory(kind="regional", code="dr-x")
    dsi = directorate_factory(code="dsi")
    sg = user_factory(directorate=central, role="manager", username="sg")
    head = user_factory(directorate=region, role="manager", username="dr.head", manager=sg)
    agent = user_factory(directorate=region, username="dr.agent", manager=head)
    officer = user_factory(directorate=dsi, username="dsi.officer")
    officer.groups.add(Group.objects.get(name=DSI_EQUIPMENT_GROUP))
    other = user_factory(directorate=dsi, username="dsi.other")
    return {"head": head, "agent": agent, "officer": officer, "other": other, "sg": sg,
            "region": region}


def test_a_directorate_asks_the_it_directorate_for_equipment(services_org, types):
    people = services_org
    req = services.submit_interservice(people["agent"], types["interservice-equipment"],
                                       subject="Two laptops")
    assert req.applicant_kind == ApplicantKind.DIRECTORATE
    assert req.applicant_directorate == people["region"]
    assert req.stage == Stage.DIRECTOR_DECISION
    assert routing.deciders(req)[0] == [people["head"]]
    assert policies.is_applicant(people["head"], req)
    with pytest.raises(policies.NotVisible):
        policies.visible_or_404(people["other"], req.pk)
    services.decide(req.pk, people["head"], approve=True, expected_step=1)
    req.refresh_from_db()
    assert req.stage == Stage.REVIEW and req.current_step.group.name == DSI_EQUIPMENT_GROUP
    assert [r.pk for r in routing.awaiting(people["officer"])] == [req.pk]
    assert policies.visible_or_404(people["officer"], req.pk).pk == req.pk
    with pytest.raises(NotDecider):
        services.decide(req.pk, people["other"], approve=True)
    services.decide(req.pk, people["officer"], approve=True, expected_step=2)
    assert Request.objects.get(pk=req.pk).state == "approved"


def test_the_legal_opinion_type_is_seeded(types):
    legal = types["interservice-legal-opinion"]
    assert legal.applicant_kind == ApplicantKind.DIRECTORATE
    assert [s.group.name if s.group else None for s in legal.steps.all()] == [
        None, DAJ_OPINIONS_GROUP]


def test_an_external_organisation_applies_through_its_account(org, types, user_factory):
    press_office = Group.objects.create(name="press-office")
    officer = user_factory(username="press.officer")
    officer.groups.add(press_office)
    card = RequestType.objects.create(code="press-card-test", name_ar="بطاقة",
                                      name_fr="Carte", family="interservice",
                                      applicant_kind=ApplicantKind.ORGANISATION)
    WorkflowStep.objects.create(request_type=card, position=1, stage=Stage.REVIEW,
                                decider=Decider.UNIT_OFFICERS, group=press_office)
    company = Organisation.objects.create(code="journal", name_ar="جريدة", name_fr="Journal")
    rival = Organisation.objects.create(code="rival", name_ar="منافس", name_fr="Rival")
    account, colleague, stranger = (user_factory(username=n) for n in ("acc", "col", "str"))
    company.members.add(account, colleague)
    rival.members.add(stranger)
    req = lifecycle.start(card, account, applicant_organisation=company, comment="Card")
    lifecycle.submit(req)
    assert req.applicant_name == "Journal" or req.applicant_name == "جريدة"
    assert policies.can_view(colleague, req) and policies.is_applicant(colleague, req)
    assert not policies.can_view(stranger, req)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied: not their organisation
        lifecycle.start(card, stranger, applicant_organisation=company)
    services.decide(req.pk, officer, approve=True, expected_step=1)
    assert Request.objects.get(pk=req.pk).stage == Stage.COMPLETED


# ---- "Waiting for my decision" agrees with who decides ---------------------------------


def test_the_awaiting_filter_agrees_with_deciders_for_everyone(org, types, services_org):
    today = timezone.localdate()
    start = next_monday(3)
    made = [
        services.submit_leave(org["employee"], types["leave-annual"], start=start,
                              end=start + datetime.timedelta(days=15)),
        parental(org, types),
        services.submit_certificate(org["colleague"], types["certificate-work"], language="fr"),
        services.submit_social(org["employee"], types["social-services"], service="housing",
                               description="x"),
        services.submit_certificate(org["director"], types["certificate-work"], language="fr"),
        services.submit_interservice(services_org["agent"], types["interservice-equipment"],
                                     subject="A screen"),
    ]
    services.decide(made[0].pk, org["director"], approve=True, expected_step=1)
    services.delegate(org["director"], org["deputy"], today, today + datetime.timedelta(days=3))
    made.append(services.submit_leave(org["colleague"], types["leave-exceptional"],
                                      start=start, end=start, reason="Family"))
    people = list(org.values())[1:] + [services_org[k] for k in ("head", "agent", "officer",
                                                                 "other", "sg")]
    for person in people:
        if not hasattr(person, "pk"):
            continue
        expected = {r.pk for r in Request.objects.all() if routing.can_decide(person, r)}
        assert {r.pk for r in routing.awaiting(person)} == expected, person.username


def _awaiting_agrees_with_deciders(people):
    for person in people:
        expected = {r.pk for r in Request.objects.all() if routing.can_decide(person, r)}
        assert {r.pk for r in routing.awaiting(person)} == expected, person.username
    return {person.username for person in people
            if routing.awaiting(person).exists()}


def test_the_awaiting_filter_follows_absences_and_the_latest_delegation(org, types):
    from requests.models import Delegation, LeaveRequest

    today = timezone.localdate()
    start = next_monday(3)
    leave = services.submit_leave(org["employee"], types["leave-annual"], start=start,
                                  end=start + datetime.timedelta(days=2))
    people = [org[k] for k in ("director", "boss", "deputy", "hr", "outsider", "employee")]
    assert _awaiting_agrees_with_deciders(people) == {"director"}
    # The director on approved leave with no delegation: their own manager decides.
    away = Request.objects.create(request_type=types["leave-annual"], requester=org["director"],
                                  stage=Stage.COMPLETED)
    LeaveRequest.objects.create(request=away, start_date=today, end_date=today, days=1)
    assert _awaiting_agrees_with_deciders(people) == {"boss"}
    # A delegation wins over the absence; of two, the latest one.
    Delegation.objects.create(manager=org["director"], acting_manager=org["deputy"],
                              start_date=today, end_date=today)
    assert _awaiting_agrees_with_deciders(people) == {"deputy"}
    Delegation.objects.create(manager=org["director"], acting_manager=org["outsider"],
                              start_date=today, end_date=today)
    assert _awaiting_agrees_with_deciders(people) == {"outsider"}
    # The latest delegate gone: the absence rule applies again.
    org["outsider"].is_active = False
    org["outsider"].save()
    assert _awaiting_agrees_with_deciders(people[:4]) == {"boss"}
    assert Request.objects.get(pk=leave.pk).stage != Stage.COMPLETED


def test_the_expiry_command_notifies_then_expires(org, types):
    from django.core.management import call_command

    from collab.models import Notification

    draft = lifecycle.start(types["certificate-work"], org["employee"], draft=True)
    Request.objects.filter(pk=draft.pk).update(
        expires_at=timezone.now() + datetime.timedelta(days=1))
    call_command("expire_applications")
    assert Notification.objects.filter(recipient=org["employee"],
                                       kind="request.expires_soon").count() == 1
    Request.objects.filter(pk=draft.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1))
    call_command("expire_applications")
    assert Request.objects.get(pk=draft.pk).stage == Stage.EXPIRED


def test_the_checklist_refuses_a_wrong_type_or_an_oversized_file(org, types):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sick = types["leave-sick"]
    requirement = sick.documents.get()
    requirement.accepted_types = ["application/pdf"]
    requirement.max_bytes = 100
    requirement.save()
    start = next_monday(2)
    image = SimpleUploadedFile("scan.png", b"\x89PNG....", content_type="image/png")
    with pytest.raises(WorkflowError, match="type of file is not accepted"):
        services.submit_leave(org["employee"], sick, start=start, end=start, uploads=[image])
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"x" * 200, content_type="application/pdf")
    with pytest.raises(WorkflowError, match="larger than"):
        services.submit_leave(org["employee"], sick, start=start, end=start, uploads=[big])
    assert not Request.objects.filter(request_type=sick).exists()
