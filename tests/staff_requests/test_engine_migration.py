"""The data migration that moves staff requests onto the procedures engine,
run on a database populated at the state before it (MigrationExecutor)."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

BEFORE = ("staff_requests", "0004_parental_leave_in_calendar_days")
AFTER = ("staff_requests", "0007_remove_requesttype_attachment_fields")


def latest():
    return MigrationLoader(connection).graph.leaf_nodes()


def migrate(target=None):
    """Move this app to ``target`` (None: its latest) with every other app at its
    latest: their tables keep columns added since (NOT NULL ones too), so the
    historical models must have them. Apps built on the engine (training, the
    press space) stop at their last migration that this app's ``target`` allows."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    if not target:
        executor.migrate(latest())
        return executor.loader.project_state(latest()).apps
    graph = executor.loader.graph
    allowed = set(graph.forwards_plan(target))

    def fits(node):
        return all(n[0] != "staff_requests" or n in allowed for n in graph.forwards_plan(node))

    targets = []
    for leaf in latest():
        if leaf[0] == "staff_requests":
            continue
        fitting = [n for n in graph.forwards_plan(leaf) if n[0] == leaf[0] and fits(n)]
        targets.append(fitting[-1] if fitting else (leaf[0], None))
    executor.migrate([*targets, target])
    return executor.loader.project_state(
        [node for node in [*targets, target] if node[1] is not None]).apps


@pytest.mark.django_db(transaction=True)
def test_every_request_transition_attachment_and_balance_is_kept():
    old = migrate(BEFORE)
    try:
        User = old.get_model("collab", "User")
        Directorate = old.get_model("collab", "Directorate")
        RequestType = old.get_model("staff_requests", "RequestType")
        Request = old.get_model("staff_requests", "Request")
        Transition = old.get_model("staff_requests", "RequestTransition")
        LeaveRequest = old.get_model("staff_requests", "LeaveRequest")
        Attachment = old.get_model("staff_requests", "RequestAttachment")
        File = old.get_model("files", "File")
        Balance = old.get_model("staff_requests", "LeaveBalance")
        Entry = old.get_model("staff_requests", "LeaveBalanceEntry")

        directorate = Directorate.objects.create(code="dx", name_ar="م", name_fr="D",
                                                 kind="central")
        boss = User.objects.create(username="boss", role="manager", directorate=directorate)
        employee = User.objects.create(username="emp", directorate=directorate, manager=boss)
        # Earlier tests may have flushed the seeded types: make sure they are as seeded.
        RequestType.objects.all().delete()
        WorkflowStep = old.get_model("staff_requests", "WorkflowStep")
        annual = RequestType.objects.create(code="leave-annual", name_ar="س", name_fr="A",
                                            family="leave", leave_kind="annual",
                                            deducts_from_balance=True)
        sick = RequestType.objects.create(
            code="leave-sick", name_ar="م", name_fr="S", family="leave", leave_kind="sick",
            attachment_required=True, attachment_label="Certificat médical / شهادة طبية")
        for kind in (annual, sick):
            WorkflowStep.objects.create(request_type=kind, position=1,
                                        stage="manager_decision", decider="direct_manager")
        now = timezone.now()
        day = datetime.date(2026, 3, 2)

        def leave(kind, stage, position, actions):
            req = Request.objects.create(request_type=kind, requester=employee, stage=stage,
                                         step_position=position, version=len(actions),
                                         decider="direct_manager" if position else "")
            LeaveRequest.objects.create(request=req, start_date=day, end_date=day,
                                        days=Decimal(1))
            for i, (action, frm, to, actor) in enumerate(actions):
                Transition.objects.create(request=req, action=action, from_stage=frm,
                                          to_stage=to, actor=actor,
                                          at=now + datetime.timedelta(seconds=i))
            return req

        waiting = leave(sick, "manager_decision", 1,
                        [("submitted", "", "submitted", employee)])
        done = leave(annual, "completed", 0,
                     [("submitted", "", "submitted", employee),
                      ("completed", "manager_decision", "completed", boss)])
        stored = File.objects.create(owner=employee, name="certificat.pdf",
                                     attached_to="staff_requests")
        attachment = Attachment.objects.create(request=waiting, file=stored)
        balance = Balance.objects.create(employee=employee, year=2026,
                                         entitlement=Decimal(22), taken=Decimal(1))
        Entry.objects.create(balance=balance, kind="entitlement", days=Decimal(22))
        Entry.objects.create(balance=balance, kind="taken", days=Decimal(-1), request=done,
                             by=boss)

        new = migrate(AFTER)
        Request = new.get_model("staff_requests", "Request")
        Timeline = new.get_model("staff_requests", "TimelineEntry")
        Submitted = new.get_model("staff_requests", "SubmittedDocument")
        Balance = new.get_model("staff_requests", "LeaveBalance")
        RequestType = new.get_model("staff_requests", "RequestType")

        assert Request.objects.count() == 2
        moved = Request.objects.get(pk=waiting.pk)
        assert moved.stage == "manager_decision" and moved.current_step.position == 1
        assert moved.due_at is not None and moved.applicant_kind == "staff"
        finished = Request.objects.get(pk=done.pk)
        assert finished.current_step is None and finished.decided_at is not None
        chain = list(Timeline.objects.filter(request_id=done.pk).order_by("seq"))
        assert [e.payload["action"] for e in chain] == ["submitted", "completed"]
        assert [e.transition_id for e in chain] == list(
            Transition.objects.filter(request_id=done.pk).order_by("at")
            .values_list("pk", flat=True))
        assert Timeline.objects.count() == 3
        document = Submitted.objects.get()
        assert document.attachment_id == attachment.pk and document.request_id == waiting.pk
        requirement = RequestType.objects.get(code="leave-sick").documents.get()
        assert document.requirement_id == requirement.pk and requirement.required
        assert requirement.label_fr == "Certificat médical / شهادة طبية"
        kept = Balance.objects.get(pk=balance.pk)
        assert (kept.entitlement, kept.taken) == (Decimal(22), Decimal(1))
        assert kept.entries.count() == 2
        director_step = RequestType.objects.get(code="leave-annual").steps.get(position=2)
        assert director_step.decider == "director"
        assert [(r.fact, r.operator, r.value) for r in director_step.rules.all()] == [
            ("days", "gt", Decimal(10))]
        assert RequestType.objects.filter(family="interservice",
                                          applicant_kind="directorate").count() == 2
        call_command("verify_timeline")
    finally:
        migrate()  # every later migration back, as the rest of the run expects
        call_command("flush", verbosity=0, interactive=False)
