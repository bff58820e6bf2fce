"""The application form asks for each line of the type's checklist; type,
size and validity are checked at the first submission, with the error beside
the line and nothing written. Drafts are saved from the same form, listed for
their applicant, completed and submitted from their page."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from files.models import File
from requests import services
from requests.models import DocumentRequirement, Request, Stage

pytestmark = pytest.mark.django_db
URL = "/requests/new/social-services/"


@pytest.fixture
def lines(types):
    kind = types["social-services"]
    birth = DocumentRequirement.objects.create(
        request_type=kind, position=1, label_ar="عقد الازدياد", label_fr="Acte de naissance",
        label_en="Birth certificate", accepted_types=["application/pdf"], max_bytes=2000,
        required=True, validity_days=90)
    bank = DocumentRequirement.objects.create(
        request_type=kind, position=2, label_ar="شهادة بنكية", label_fr="RIB",
        label_en="Bank details", required=False)
    return {"birth": birth, "bank": bank}


def pdf(size=100, name="acte.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 " + b"x" * size, "application/pdf")


def days_ago(n):
    return (timezone.localdate() - datetime.timedelta(days=n)).isoformat()


def field_errors(page: str, name: str) -> str:
    """The text of the form field block holding input ``name``."""
    at = page.index(f'name="{name}"')
    start = page.rindex('<div class="field', 0, at)
    return page[start:page.index("</div>", at)]


def test_one_field_per_line_and_each_refusal_is_beside_its_line(org, lines, client_for):
    client = client_for(org["employee"])
    birth, bank = lines["birth"].pk, lines["bank"].pk
    page = client.get(URL).content.decode()
    assert f'name="document-{birth}"' in page and f'name="issued-{birth}"' in page
    assert f'name="document-{bank}"' in page and f'name="issued-{bank}"' not in page
    assert 'name="attachments"' not in page and 'accept="application/pdf"' in page
    base = {"service": "education", "description": "Rentrée scolaire"}
    refused = [
        ({}, f"document-{birth}", "Attach Birth certificate"),
        ({f"document-{birth}": SimpleUploadedFile("a.txt", b"plain", "text/plain"),
          f"issued-{birth}": days_ago(3)}, f"document-{birth}", "type of file is not accepted"),
        ({f"document-{birth}": pdf(5000), f"issued-{birth}": days_ago(3)},
         f"document-{birth}", "larger than"),
        ({f"document-{birth}": pdf(), f"issued-{birth}": days_ago(120)},
         f"issued-{birth}", "less than 90 days ago"),
        ({f"document-{birth}": pdf()}, f"issued-{birth}", "less than 90 days ago"),
    ]
    with_english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    org["employee"].preferred_language = "en"
    org["employee"].save()
    for extra, field, says in refused:
        answer = client.post(URL, {**base, **extra}, **with_english)
        assert answer.status_code == 200, field
        block = field_errors(answer.content.decode(), field)
        assert "has-error" in block and says in block, (field, says)
    assert not Request.objects.exists() and not File.objects.exists()
    answer = client.post(URL, {**base, f"document-{birth}": pdf(), f"issued-{birth}": days_ago(10),
                               f"document-{bank}": pdf(name="rib.pdf")})
    assert answer.status_code == 302
    req = Request.objects.get()
    assert req.stage == Stage.HR_PROCESSING
    given = {d.requirement_id: d for d in req.documents.select_related("attachment")}
    assert set(given) == {birth, bank}
    assert given[birth].issued_on == timezone.localdate() - datetime.timedelta(days=10)
    assert given[bank].attachment.filename == "rib.pdf"


def test_a_draft_is_saved_listed_completed_then_submitted(org, lines, client_for):
    client = client_for(org["employee"])
    birth = lines["birth"].pk
    answer = client.post(URL, {"service": "education", "description": "Cartable",
                               "draft": "1"})
    assert answer.status_code == 302
    draft = Request.objects.get()
    assert draft.stage == Stage.DRAFT and draft.expires_at is not None
    assert not draft.transitions.exists()
    home = client.get("/requests/").content.decode()
    assert 'data-testid="drafts"' in home and draft.reference in home
    page = client.get(f"/requests/{draft.pk}/").content.decode()
    assert 'data-testid="draft"' in page and 'data-testid="submit-draft"' in page
    # Nobody else sees a draft, not even the officer who will decide it.
    for someone in (org["social"], org["hr"], org["colleague"]):
        assert client_for(someone).get(f"/requests/{draft.pk}/").status_code == 404
        assert client_for(someone).post(f"/requests/{draft.pk}/draft/",
                                        {"action": "submit"}).status_code == 404
    for stage in ("", "waiting", "draft"):
        queue = client_for(org["hr"]).get("/requests/office/", {"stage": stage})
        assert draft.reference not in queue.content.decode()
    # Submitting without the required line: refused, naming it; still a draft.
    client.post(f"/requests/{draft.pk}/draft/", {"action": "submit"})
    draft.refresh_from_db()
    assert draft.stage == Stage.DRAFT
    # The file is added (outdated first: kept, refused at submission), then fixed.
    client.post(f"/requests/{draft.pk}/draft/", {
        f"document-{birth}": pdf(), f"issued-{birth}": days_ago(200), "action": "submit"})
    draft.refresh_from_db()
    assert draft.stage == Stage.DRAFT and draft.documents.count() == 1
    client.post(f"/requests/{draft.pk}/draft/", {
        f"document-{birth}": pdf(name="acte-recent.pdf"), f"issued-{birth}": days_ago(5),
        "action": "submit"})
    draft.refresh_from_db()
    assert draft.stage == Stage.HR_PROCESSING and draft.expires_at is None
    [document] = draft.documents.select_related("attachment")
    assert document.attachment.filename == "acte-recent.pdf"
    assert list(draft.transitions.values_list("action", flat=True)) == ["submitted"]
    assert 'data-testid="drafts"' not in client.get("/requests/").content.decode()
    # Once submitted, the draft page's moves are closed.
    client.post(f"/requests/{draft.pk}/draft/", {f"document-{birth}": pdf(), "action": "save"})
    assert draft.documents.count() == 1


def test_a_leave_draft_holds_no_days_and_is_checked_again_at_submission(org, types):
    from requests import leave

    from .conftest import next_monday

    start = next_monday(3)
    draft = services.submit_leave(org["employee"], types["leave-annual"], start=start,
                                  end=start + datetime.timedelta(days=4), draft=True)
    assert draft.stage == Stage.DRAFT
    assert leave.available_days(org["employee"], start.year) == 22
    # The same days asked for meanwhile: the draft now overlaps and is refused.
    services.submit_leave(org["employee"], types["leave-annual"], start=start, end=start)
    with pytest.raises(services.WorkflowError, match="overlap"):
        services.submit_draft(draft.pk, org["employee"])
    assert Request.objects.get(pk=draft.pk).stage == Stage.DRAFT


def test_the_officer_checks_each_document_and_only_a_correction_reopens_one(
        org, lines, client_for):
    from requests.models import SubmittedDocument, TimelineEntry

    birth = lines["birth"]
    req = services.submit_social(
        org["employee"], birth.request_type, service="education", description="Cantine",
        documents={birth.pk: pdf()}, issued_on={birth.pk: timezone.localdate()})
    document = req.documents.get()
    url = f"/requests/{req.pk}/documents/{document.pk}/check/"
    officer = client_for(org["social"])
    # HR sees staff applications but does not decide this one; a reason is needed to reject.
    assert client_for(org["hr"]).post(url, {"decision": "accept"}).status_code == 403
    officer.post(url, {"decision": "reject", "reason": " "})
    document.refresh_from_db()
    assert document.status == SubmittedDocument.Status.PENDING
    officer.post(url, {"decision": "reject", "reason": "Copie illisible"})
    document.refresh_from_db()
    assert (document.status, document.reason, document.checked_by) == (
        SubmittedDocument.Status.REJECTED, "Copie illisible", org["social"])
    entry = req.timeline.filter(kind=TimelineEntry.Kind.DOCUMENT).get()
    assert entry.public and entry.payload["status"] == "rejected"
    applicant_page = client_for(org["employee"]).get(f"/requests/{req.pk}/").content.decode()
    assert "Copie illisible" in applicant_page
    # Not named by a correction: the rejected file cannot be replaced.
    with pytest.raises(services.WorkflowError):
        services.resubmit(req.pk, org["employee"], documents={birth.pk: pdf(name="new.pdf")},
                          issued_on={birth.pk: timezone.localdate()})
    services.return_for_correction(req.pk, org["social"], expected_step=1, items=[
        {"kind": "document_incorrect", "document": birth.pk}])
    services.resubmit(req.pk, org["employee"], documents={birth.pk: pdf(name="new.pdf")},
                      issued_on={birth.pk: timezone.localdate()})
    latest = req.documents.select_related("attachment").latest("pk")
    assert latest.attachment.filename == "new.pdf"
    assert latest.status == SubmittedDocument.Status.PENDING
    assert Request.objects.get(pk=req.pk).stage == Stage.HR_PROCESSING


def test_any_family_files_a_draft_through_the_engine(org, lines):
    """file_application (the entry point of press and training families) saves
    drafts too; submit_draft then checks the checklist as a first submission."""
    from requests.models import SocialServiceRequest

    birth = lines["birth"]

    def write(request):
        SocialServiceRequest.objects.create(request=request, service="loan", description="x")

    draft = services.file_application(org["employee"], birth.request_type, write=write,
                                      draft=True)
    assert draft.stage == Stage.DRAFT and not draft.documents.exists()
    with pytest.raises(services.WorkflowError) as refused:
        services.submit_draft(draft.pk, org["employee"])
    assert refused.value.field == f"document-{birth.pk}"
    services.add_draft_document(draft.pk, org["employee"], birth.pk, pdf(),
                                timezone.localdate())
    assert services.submit_draft(draft.pk, org["employee"]).stage == Stage.HR_PROCESSING


def test_a_certificate_type_given_a_checklist_asks_for_it(org, types, client_for):
    kind = types["certificate-work"]
    line = DocumentRequirement.objects.create(request_type=kind, label_ar="طلب خطي",
                                              label_fr="Demande écrite", required=True)
    page = client_for(org["employee"]).get("/requests/new/certificate-work/").content.decode()
    assert f'name="document-{line.pk}"' in page
    with pytest.raises(services.WorkflowError) as refused:
        services.submit_certificate(org["employee"], kind, language="fr")
    assert refused.value.field == f"document-{line.pk}" and not Request.objects.exists()
    req = services.submit_certificate(org["employee"], kind, language="fr",
                                      documents={line.pk: pdf(name="demande.pdf")})
    assert req.stage == Stage.HR_PROCESSING
    assert req.documents.get().requirement == line
