"""The engine's pages: the permission matrix on every endpoint, the back
office (paging, exports of the page shown, statistics, one query per page for
who may decide) and the conversation."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests import selectors, services
from requests.models import Request, Stage

from .conftest import next_monday

pytestmark = pytest.mark.django_db


@pytest.fixture
def matrix(org, types, user_factory):
    from django.contrib.auth.models import Group

    from requests.defaults import DSI_EQUIPMENT_GROUP

    start = next_monday(2)
    sick = services.submit_leave(
        org["employee"], types["leave-sick"], start=start, end=start,
        uploads=[SimpleUploadedFile("m.pdf", b"%PDF-1.4 medical", content_type="application/pdf")])
    unit_officer = user_factory(username="unit.officer")
    unit_officer.groups.add(Group.objects.get(name=DSI_EQUIPMENT_GROUP))
    admin = user_factory(username="root", role="administrator")
    return {"req": sick, "document": sick.documents.get(), "attachment": sick.attachments.get(),
            "applicant": org["employee"], "other applicant": org["colleague"],
            "officer of another unit": unit_officer, "manager": org["director"], "admin": admin}


SEES = {"applicant": True, "other applicant": False, "officer of another unit": False,
        "manager": True, "admin": True}


def endpoints(m):
    pk, doc, att = m["req"].pk, m["document"].pk, m["attachment"].pk
    return [
        ("get", f"/requests/{pk}/", {}),
        ("get", f"/requests/{pk}/attachments/{att}/", {}),
        ("post", f"/requests/{pk}/decide/1/", {"decision": "approve"}),
        ("post", f"/requests/{pk}/cancel/", {}),
        ("post", f"/requests/{pk}/return/", {"text": "x", "step": "1"}),
        ("post", f"/requests/{pk}/resubmit/", {"comment": "x"}),
        ("post", f"/requests/{pk}/suspend/", {"comment": "x", "step": "1"}),
        ("post", f"/requests/{pk}/resume/", {}),
        ("post", f"/requests/{pk}/take/", {}),
        ("post", f"/requests/{pk}/assign/", {"officer": m["manager"].pk}),
        ("post", f"/requests/{pk}/forward/", {"to_position": "2", "step": "1"}),
        ("get", f"/requests/{pk}/certificate.pdf", {}),
        ("post", f"/requests/{pk}/draft/", {"action": "submit"}),
        ("post", f"/requests/{pk}/messages/", {"body": "hello"}),
        ("post", f"/requests/{pk}/documents/{doc}/check/", {"decision": "accept"}),
    ]


@pytest.mark.parametrize("role", list(SEES))
def test_those_who_may_not_see_get_the_404_of_a_missing_id(matrix, client_for, role):
    client = client_for(matrix[role])
    missing = Request.objects.order_by("-pk").first().pk + 1000
    for method, url, data in endpoints(matrix):
        answer = getattr(client, method)(url, data)
        gone = getattr(client, method)(url.replace(f"/{matrix['req'].pk}/", f"/{missing}/"),
                                       data)
        assert gone.status_code == 404, (role, url)
        if not SEES[role]:
            assert answer.status_code == 404, (role, url)
            assert answer.content == gone.content, (role, url)
        else:
            # Seen but not theirs to do: refused openly (or redirected with a message).
            assert answer.status_code in (200, 302, 403), (role, url, answer.status_code)
    req = Request.objects.get(pk=matrix["req"].pk)
    if not SEES[role]:
        assert req.version == 1 and req.stage == Stage.MANAGER_DECISION
        assert not req.messages.exists()


def test_what_each_role_can_do_on_the_page(matrix, client_for):
    pk = matrix["req"].pk
    manager_page = client_for(matrix["manager"]).get(f"/requests/{pk}/").content.decode()
    assert 'data-testid="officer-actions"' in manager_page
    applicant = client_for(matrix["applicant"])
    assert 'data-testid="officer-actions"' not in applicant.get(f"/requests/{pk}/").content.decode()
    # The applicant cannot return their own request for correction.
    applicant.post(f"/requests/{pk}/return/", {"text": "x", "step": "1"})
    assert Request.objects.get(pk=pk).stage == Stage.MANAGER_DECISION
    client_for(matrix["manager"]).post(f"/requests/{pk}/return/",
                                       {"text": "Illegible scan", "step": "1"})
    assert Request.objects.get(pk=pk).stage == Stage.RETURNED
    page = applicant.get(f"/requests/{pk}/").content.decode()
    assert 'data-testid="correction"' in page and "Illegible scan" in page
    applicant.post(f"/requests/{pk}/resubmit/", {"comment": "Rescanned"})
    assert Request.objects.get(pk=pk).stage == Stage.MANAGER_DECISION


def test_internal_notes_never_reach_the_applicant(matrix, client_for):
    pk = matrix["req"].pk
    client_for(matrix["applicant"]).post(f"/requests/{pk}/messages/", {"body": "Bonjour"})
    client_for(matrix["manager"]).post(f"/requests/{pk}/messages/",
                                       {"body": "Secret remark", "internal": "on"})
    applicant_page = client_for(matrix["applicant"]).get(f"/requests/{pk}/").content.decode()
    manager_page = client_for(matrix["manager"]).get(f"/requests/{pk}/").content.decode()
    assert "Bonjour" in applicant_page and "Secret remark" not in applicant_page
    assert "Bonjour" in manager_page and "Secret remark" in manager_page
    # An applicant cannot write an internal note.
    client_for(matrix["applicant"]).post(f"/requests/{pk}/messages/",
                                         {"body": "Sneaky", "internal": "on"})
    assert not Request.objects.get(pk=pk).messages.filter(body="Sneaky").exists()


# ---- Back office -----------------------------------------------------------------------


def many_certificates(org, types, user_factory, count):
    people = [user_factory(directorate=org["directorate"], manager=org["director"])
              for _ in range(3)]
    return [services.submit_certificate(people[i % 3], types["certificate-work"],
                                        language="fr") for i in range(count)]


def queries_for(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(url, params or {})
        assert answer.status_code == 200
    return len(captured)


def test_the_queue_pages_and_its_query_count_does_not_grow(org, types, user_factory,
                                                           client_for, settings, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_PAGE", 5)
    client = client_for(org["hr"])
    oldest = many_certificates(org, types, user_factory, 3)
    few = queries_for(client, "/requests/office/")
    many_certificates(org, types, user_factory, 9)
    more = queries_for(client, "/requests/office/")
    assert few == more
    first = client.get("/requests/office/").content.decode()
    assert first.count('data-testid="queue-row"') == 5
    assert first.count('data-testid="may-decide"') == 5 and 'rel="next"' in first
    last = client.get("/requests/office/", {"page": 3}).content.decode()
    assert last.count('data-testid="queue-row"') == 2 and 'rel="next"' not in last
    assert oldest[0].reference in last
    assert client_for(org["employee"]).get("/requests/office/").status_code == 403


def test_exports_hold_exactly_the_page_shown(org, types, user_factory, client_for,
                                             monkeypatch):
    from openpyxl import load_workbook

    monkeypatch.setattr(selectors, "QUEUE_PAGE", 4)
    made = many_certificates(org, types, user_factory, 6)
    client = client_for(org["hr"])
    answer = client.get("/requests/office/", {"page": 2, "format": "csv"})
    content = b"".join(answer.streaming_content).decode()
    lines = content.strip().splitlines()
    assert len(lines) == 1 + 2
    assert made[0].reference in content and made[5].reference not in content
    book = load_workbook(io.BytesIO(client.get(
        "/requests/office/", {"page": 1, "format": "xlsx"}).content))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 1 + 4 and rows[1][0] == made[5].reference


def test_overdue_and_assigned_to_me_filters(org, types, user_factory, client_for):
    late, fresh = many_certificates(org, types, user_factory, 2)
    Request.objects.filter(pk=late.pk).update(due_at=late.created_at - datetime.timedelta(days=1))
    services.assign(fresh.pk, org["hr"], org["hr"])
    client = client_for(org["hr"])
    overdue = client.get("/requests/office/", {"overdue": "on"}).content.decode()
    assert late.reference in overdue and fresh.reference not in overdue and "is-overdue" in overdue
    mine = client.get("/requests/office/", {"mine": "on"}).content.decode()
    assert fresh.reference in mine and late.reference not in mine


def test_statistics_per_type(org, types, user_factory, client_for):
    made = many_certificates(org, types, user_factory, 3)
    services.decide(made[0].pk, org["hr"], approve=True, expected_step=1)
    rows = {r["type"].code: r for r in selectors.statistics(org["hr"])}
    work = rows["certificate-work"]
    assert (work["received"], work["decided"], work["open"]) == (3, 1, 2)
    assert work["median_days"] is not None and work["median_days"] >= 0
    assert work["overdue"] == 0 and work["overdue_share"] == 0
    page = client_for(org["hr"]).get("/requests/office/statistics/").content.decode()
    assert page.count('data-testid="stats-row"') == len(rows)


def test_a_directorate_files_through_the_form_and_the_admin_edits_types(org, types, client_for,
                                                                        user_factory):
    client = client_for(org["employee"])
    page = client.get("/requests/new/interservice-equipment/")
    assert page.status_code == 200
    answer = client.post("/requests/new/interservice-equipment/",
                         {"subject": "Un écran", "description": "Pour l'accueil"})
    assert answer.status_code == 302
    req = Request.objects.get(interservice__subject="Un écran")
    assert req.applicant_kind == "directorate"
    assert req.applicant_directorate == org["employee"].directorate
    # Bad input: the form comes back with the message, nothing is written.
    again = client.post("/requests/new/interservice-equipment/", {"subject": "  "})
    assert again.status_code == 200
    assert Request.objects.filter(request_type=types["interservice-equipment"]).count() == 1

    admin = user_factory(username="superadmin", is_superuser=True, is_staff=True)
    staff_client = client_for(admin)
    annual = types["leave-annual"]
    step = annual.steps.get(position=2)
    for url in ("/admin/staff_requests/requesttype/",
                f"/admin/staff_requests/requesttype/{annual.pk}/change/",
                f"/admin/staff_requests/workflowstep/{step.pk}/change/",
                "/admin/staff_requests/organisation/add/",
                "/admin/staff_requests/timelineentry/"):
        assert staff_client.get(url).status_code == 200, url


def test_history_read_receipts_and_forward_on_the_page(org, types, client_for, user_factory):
    from django.contrib.auth.models import Group

    from requests.models import Decider, RequestType, WorkflowStep

    committee = Group.objects.create(name="grants-committee")
    member = user_factory(username="member")
    member.groups.add(committee)
    kind = RequestType.objects.create(code="grant2", name_ar="منحة", name_fr="Bourse",
                                      family="social")
    WorkflowStep.objects.create(request_type=kind, position=1, stage=Stage.HR_PROCESSING,
                                decider=Decider.HR_OFFICER,
                                actions=["approve", "reject", "forward"])
    WorkflowStep.objects.create(request_type=kind, position=2, stage=Stage.HR_PROCESSING,
                                decider=Decider.HR_OFFICER)
    WorkflowStep.objects.create(request_type=kind, position=3, stage=Stage.COMMITTEE,
                                decider=Decider.COMMITTEE, group=committee,
                                name_fr="Commission des bourses", name_en="Grants committee")
    req = services.submit_social(org["employee"], kind, service="education")
    hr = client_for(org["hr"])
    hr.post(f"/requests/{req.pk}/messages/", {"body": "Note RH", "internal": "on"})
    applicant = client_for(org["employee"])
    mine = applicant.get(f"/requests/{req.pk}/").content.decode()
    assert 'data-testid="entry-transition"' in mine and 'data-testid="entry-note"' not in mine
    page = hr.get(f"/requests/{req.pk}/").content.decode()
    assert 'data-testid="entry-note"' in page
    assert 'data-testid="read-receipt"' in page  # the applicant opened the page
    assert "Commission des bourses" in page  # offered as a forward target (no Arabic name)
    hr.post(f"/requests/{req.pk}/forward/", {"to_position": "3", "step": "1"})
    req.refresh_from_db()
    assert req.stage == Stage.COMMITTEE and req.step_position == 3
