"""Dossiers of the press space on the engine: filing each family, bad input,
the press card from filing to its verifiable card, the train card quota,
the committee stage of direct support, the filming permit switch."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from files.models import File
from press import dossier_selectors, dossiers
from press.models_dossiers import (
    CommitteeMinutes,
    PressCardDossier,
    TrainCardDossier,
    TrainCardQuota,
)
from requests import services as engine
from requests.lifecycle import WorkflowError
from requests.models import IssuedDocument, Request
from tests.press.dossier_fixtures import checklist, pdf_upload

pytestmark = pytest.mark.django_db


def _card(space, side="a", **kwargs):
    kind = space["types"]["press_card"]
    documents, issued = checklist(kind)
    values = {"journalist_id": space[side]["journalist"].pk, "position": "Rédacteur en chef",
              "monthly_salary": "8000", "documents": documents, "issued_on": issued}
    values.update(kwargs)
    return dossiers.file_press_card(space[side]["member"], space[side]["company"], **values)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_press_card_from_filing_to_verified_card(space, smtp_server,
                                                 django_capture_on_commit_callbacks):
    from tests.pdfs import qr_targets

    officer, member = space["officer"], space["a"]["member"]
    kind = space["types"]["press_card"]
    with django_capture_on_commit_callbacks(execute=True):
        req = _card(space)
    assert req.stage == "review" and req.applicant_organisation_id == space["a"]["organisation"].pk
    assert req.documents.count() == kind.documents.count()
    record = next(d for d in kind.documents.all() if d.validity_days)
    with django_capture_on_commit_callbacks(execute=True):
        engine.return_for_correction(req.pk, officer, items=[
            {"kind": "document_outdated", "document": record.pk, "text": "Plus de 3 mois"}],
            comment="Casier trop ancien")
    # Until the end of the campaign's completion period.
    req.refresh_from_db()
    assert timezone.localdate(req.correction_deadline) == space["campaign"].completion_closes
    # The company sees what to correct on its page and can replace only that document.
    client = _client(member)
    page = client.get(reverse("press:dossier", args=[req.pk]))
    assert page.status_code == 200 and "Plus de 3 mois" in page.content.decode()
    other = next(d for d in kind.documents.all() if not d.validity_days)
    response = client.post(reverse("press:dossier_resubmit", args=[req.pk]), {
        f"document-{record.pk}": pdf_upload("casier.pdf"),
        f"issued-{record.pk}": datetime.date.today().isoformat(),
        f"document-{other.pk}": pdf_upload("sneaky.pdf"), "comment": "Voici le nouveau"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.stage == "review"
    names = list(req.documents.values_list("attachment__file__name", flat=True))
    assert "casier.pdf" in names and "sneaky.pdf" not in names
    with django_capture_on_commit_callbacks(execute=True):
        engine.decide(req.pk, officer, approve=True, comment="Conforme")
    req.refresh_from_db()
    card = PressCardDossier.objects.get(request=req)
    assert req.stage == "completed" and card.card_number == f"PC-{card.year}-{req.pk:06d}"
    issued = IssuedDocument.objects.get(request=req, kind="press_card")
    assert issued.holder_name == "Journaliste 1" and issued.language == "fr"
    assert issued.valid_until == datetime.date(card.year, 12, 31)
    pdf = client.get(reverse("press:dossier_document", args=[req.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert qr_targets(pdf.content) == [f"https://portail.example.ma/verify/{issued.code}/"]
    public = Client().get(f"/verify/{issued.code}/").content.decode()
    assert "Journaliste 1" in public
    assert "8000" not in public and space["a"]["journalist"].cin not in public
    # The company was told by e-mail, in its language, at each step.
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert any(req.reference in s and "reçu" in s for s in subjects), subjects
    assert any(req.reference in s and "compléter" in s for s in subjects), subjects
    assert any(req.reference in s and "approuvé" in s for s in subjects), subjects
    assert all("contact1@journal.ma" in m["To"] for m in smtp_server.messages)


def test_press_card_bad_input_changes_nothing(space):
    kind = space["types"]["press_card"]
    before_requests, before_files = Request.objects.count(), File.objects.count()
    with pytest.raises(WorkflowError) as low:
        _card(space, monthly_salary="3000")
    assert low.value.field == "monthly_salary" and "5000" in low.value.message
    photo = next(d for d in kind.documents.all() if "application/pdf" not in d.accepted_types)
    documents, issued = checklist(kind)
    documents[photo.pk] = pdf_upload("photo.pdf")
    with pytest.raises(WorkflowError) as wrong_type:
        _card(space, documents=documents, issued_on=issued)
    assert wrong_type.value.field == f"document-{photo.pk}"
    documents, issued = checklist(kind)
    documents[photo.pk] = SimpleUploadedFile("big.jpg", b"\xff" * (3 * 1024 * 1024),
                                             content_type="image/jpeg")
    with pytest.raises(WorkflowError) as oversize:
        _card(space, documents=documents, issued_on=issued)
    assert oversize.value.field == f"document-{photo.pk}"
    record = next(d for d in kind.documents.all() if d.validity_days)
    documents, issued = checklist(kind)
    issued[record.pk] = datetime.date.today() - datetime.timedelta(days=200)
    with pytest.raises(WorkflowError) as old:
        _card(space, documents=documents, issued_on=issued)
    assert old.value.field == f"issued-{record.pk}"
    documents, issued = checklist(kind)
    del documents[record.pk]
    with pytest.raises(WorkflowError) as missing:
        _card(space, documents=documents, issued_on=issued)
    assert missing.value.field == f"document-{record.pk}"
    assert (Request.objects.count(), File.objects.count()) == (before_requests, before_files)
    # Outside the deposit period: refused with the window's dates.
    today = datetime.date.today()
    campaign = space["campaign"]
    campaign.deposit_opens = today + datetime.timedelta(days=5)
    campaign.deposit_closes = today + datetime.timedelta(days=30)
    campaign.save()
    with pytest.raises(WorkflowError) as closed:
        _card(space)
    assert campaign.deposit_opens.strftime("%d/%m/%Y") in closed.value.message
    assert campaign.deposit_closes.strftime("%d/%m/%Y") in closed.value.message


def test_second_card_same_year_refused_with_a_link(space):
    first = _card(space)
    kind = space["types"]["press_card"]
    documents, issued = checklist(kind)
    client = _client(space["a"]["member"])
    data = {"journalist": space["a"]["journalist"].pk, "position": "Reporter",
            "monthly_salary": "9000"}
    data.update({f"document-{k}": v for k, v in documents.items()})
    data.update({f"issued-{k}": v.isoformat() for k, v in issued.items()})
    page = client.post(reverse("press:dossier_file", args=["press_card"]), data)
    body = page.content.decode()
    assert page.status_code == 200 and first.reference in body
    assert reverse("press:dossier", args=[first.pk]) in body
    assert Request.objects.filter(request_type=kind).count() == 1
    # A renewal next year is pre-filled from the last granted card.
    engine.decide(first.pk, space["officer"], approve=True)
    form = client.get(reverse("press:dossier_file", args=["press_card"]),
                      {"journalist": space["a"]["journalist"].pk}).content.decode()
    assert 'value="Rédacteur en chef"' in form and "8000" in form


def test_another_companys_dossier_is_a_404(space):
    mine = _card(space)
    client = _client(space["b"]["member"])
    for name in ("press:dossier", "press:dossier_document"):
        assert client.get(reverse(name, args=[mine.pk])).status_code == 404
        assert client.get(reverse(name, args=[mine.pk + 1000])).status_code == 404
    for name in ("press:dossier_message", "press:dossier_resubmit"):
        assert client.post(reverse(name, args=[mine.pk]), {"body": "x"}).status_code == 404
    assert mine.reference not in client.get(reverse("press:dossiers")).content.decode()


def test_dashboard_lists_stage_expectation_and_norm(space, django_assert_max_num_queries):
    req = _card(space)
    engine.return_for_correction(req.pk, space["officer"],
                                 items=[{"kind": "text", "text": "Précisez le poste"}])
    client = _client(space["a"]["member"])
    with django_assert_max_num_queries(20):
        body = client.get(reverse("press:dossiers")).content.decode()
    row = body.split(f'id="dossier-row-{req.pk}"')[1].split("</li>")[0]
    assert "needs-action" in body.split(f'id="dossier-row-{req.pk}"')[0][-60:]
    assert req.reference in row and "Précisez le poste" not in row
    req.refresh_from_db()
    assert timezone.localtime(req.correction_deadline).strftime("%d/%m/%Y") in row
    assert "10" in row  # the service norm of the press office's review


def test_train_card_quota_then_waiting_list(space):
    kind = space["types"]["train_card"]
    TrainCardQuota.objects.update_or_create(year=datetime.date.today().year,
                                            defaults={"quota": 1})
    made = []
    for side in ("a", "b"):
        documents, issued = checklist(kind)
        made.append(dossiers.file_train_card(
            space[side]["member"], space[side]["company"],
            journalist_id=space[side]["journalist"].pk, documents=documents, issued_on=issued))
    for req in made:
        engine.decide(req.pk, space["officer"], approve=True)
    first, second = (TrainCardDossier.objects.get(request=r) for r in made)
    assert first.card_number and first.waiting_position is None
    assert not second.card_number and second.waiting_position == 1
    assert not IssuedDocument.objects.filter(request=made[1]).exclude(kind="decision").exists()
    assert dossiers.quota_use(first.year) == {"year": first.year, "quota": 1, "granted": 1,
                                              "waiting": 1, "left": 0}
    TrainCardQuota.objects.filter(year=first.year).update(quota=2)
    assert [d.pk for d in dossiers.promote_waiting_list(first.year)] == [second.pk]
    second.refresh_from_db()
    assert second.card_number and IssuedDocument.objects.filter(request=made[1],
                                                                kind="train_card").exists()


def test_direct_support_goes_through_the_committee_with_minutes(space):
    kind = space["types"]["press_support"]
    company, member = space["a"]["company"], space["a"]["member"]
    documents, issued = checklist(kind)
    values = {"professional_journalists": 2, "years_of_activity": 4,
              "annual_turnover": "900000", "requested_amount": "150000",
              "documents": documents, "issued_on": issued}
    with pytest.raises(WorkflowError, match="three professional journalists"):
        dossiers.file_support(member, company, **values)
    values.update(professional_journalists=6, documents=checklist(kind)[0])
    req = dossiers.file_support(member, company, **values)
    engine.decide(req.pk, space["officer"], approve=True)
    req.refresh_from_db()
    assert req.stage == "committee"
    chair, other = space["committee"]
    with pytest.raises(WorkflowError, match="minutes"):
        engine.decide(req.pk, chair, approve=True)
    client = _client(chair)
    detail = client.get(reverse("requests:detail", args=[req.pk])).content.decode()
    assert 'data-testid="minutes-form"' in detail and other.display_name in detail
    client.post(reverse("press:dossier_minutes", args=[req.pk]), {
        "held_on": datetime.date.today().isoformat(), "minutes": "Avis favorable, 120 000 MAD",
        "attendees": [chair.pk, other.pk]})
    sitting = CommitteeMinutes.objects.get(request=req)
    assert set(sitting.attendees.values_list("pk", flat=True)) == {chair.pk, other.pk}
    engine.decide(req.pk, chair, approve=True, comment="Avis favorable")
    engine.decide(req.pk, space["director"], approve=True, extra={"granted_amount": "120000"})
    req.refresh_from_db()
    assert req.stage == "completed"
    assert req.press_support.granted_amount == Decimal("120000.00")
    assert IssuedDocument.objects.filter(request=req, kind="support_decision").exists()
    # The company never sees the minutes (an internal entry).
    page = _client(member).get(reverse("press:dossier", args=[req.pk])).content.decode()
    assert "120 000" not in page


def test_filming_permit_is_off_until_an_administrator_switches_it_on(space):
    kind = space["types"]["filming_permit"]
    client = _client(space["a"]["member"])
    url = reverse("press:dossier_file", args=["filming_permit"])
    assert client.get(url).status_code == 404
    kind.active = True
    kind.save()
    documents, issued = checklist(kind)
    start = datetime.date.today() + datetime.timedelta(days=10)
    data = {"production_kind": "documentary", "title": "Les ports du Maroc",
            "start_date": start.isoformat(),
            "end_date": (start + datetime.timedelta(days=3)).isoformat(),
            "equipment": "Caméra, drone", "region_0": "06", "city_0": "Casablanca",
            "crew_name_0": "Samira", "crew_role_0": "Réalisatrice"}
    data.update({f"document-{k}": v for k, v in documents.items()})
    bad = client.post(url, dict(data, city_0="", region_0=""))
    assert bad.status_code == 200 and 'data-testid="form-error"' in bad.content.decode()
    assert not Request.objects.filter(request_type=kind).exists()
    documents, issued = checklist(kind)
    data.update({f"document-{k}": v for k, v in documents.items()})
    response = client.post(url, data)
    assert response.status_code == 302
    req = Request.objects.get(request_type=kind)
    assert req.filming_permit.locations[0]["city"] == "Casablanca"


def test_committee_number_first_request_and_renewal(space):
    from press.models import Publication

    kind = space["types"]["press_committee"]
    company, member = space["a"]["company"], space["a"]["member"]
    title = Publication.objects.create(company=company, title="Al Akhbar", medium="print")
    with pytest.raises(WorkflowError) as no_number:
        dossiers.file_committee_number(member, company, publication_id=title.pk, renewal=True,
                                       documents=checklist(kind)[0])
    assert no_number.value.field == "previous_number"
    req = dossiers.file_committee_number(member, company, publication_id=title.pk,
                                         renewal=False, documents=checklist(kind)[0])
    engine.decide(req.pk, space["officer"], approve=True)
    engine.decide(req.pk, space["director"], approve=True)
    req.refresh_from_db()
    assert req.committee_number.number == f"CP-{req.pk:06d}"
    assert IssuedDocument.objects.filter(request=req, kind="committee_number").exists()
    other = Publication.objects.create(company=space["b"]["company"], title="X", medium="print")
    with pytest.raises(WorkflowError):
        dossiers.file_committee_number(member, company, publication_id=other.pk,
                                       renewal=False, documents=checklist(kind)[0])


def test_statistics_for_officers_with_exports(space):
    req = _card(space)
    officer = _client(space["officer"])
    # The press office's queue in the engine's back office holds it.
    assert req.reference in officer.get(reverse("requests:office")).content.decode()
    page = officer.get(reverse("press:statistics"))
    assert page.status_code == 200 and "Rabat" in page.content.decode()
    engine.decide(req.pk, space["officer"], approve=True)
    [row] = [r for r in dossier_selectors.statistics()["times"] if r["decided"]]
    assert row["norm_days"] == 10 and row["median_days"] == 0.0 and row["within_norm"] == 1
    csv = officer.get(reverse("press:statistics"), {"format": "csv"})
    text = b"".join(csv.streaming_content).decode() if csv.streaming else csv.content.decode()
    assert "Rabat-Salé-Kénitra" in text and ",1,0,0,1,0" in text
    xlsx = officer.get(reverse("press:statistics"), {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert _client(space["a"]["member"]).get(reverse("press:statistics")).status_code in (
        302, 403, 404)


def test_press_types_are_valid_in_the_admin(space, user_factory):
    admin = user_factory(username="root", role="admin", is_superuser=True, is_staff=True)
    kind = space["types"]["press_card"]
    client = _client(admin)
    page = client.get(reverse("admin:staff_requests_requesttype_change", args=[kind.pk]))
    assert page.status_code == 200
    assert 'value="press_card" selected' in page.content.decode()
    # The yearly configuration is edited there too.
    campaign = space["campaign"]
    for name, args in (("admin:press_presscampaign_change", [campaign.pk]),
                       ("admin:press_traincardquota_changelist", []),
                       ("admin:press_supporteligibilityrule_changelist", [])):
        assert client.get(reverse(name, args=args)).status_code == 200
    response = client.post(reverse("admin:press_presscampaign_change", args=[campaign.pk]), {
        "year": campaign.year, "deposit_opens": "2027-01-10", "deposit_closes": "2027-01-01",
        "completion_opens": "2027-02-01", "completion_closes": "2027-02-10",
        "salary_floors-TOTAL_FORMS": "0", "salary_floors-INITIAL_FORMS": "0"})
    assert response.status_code == 200 and "errornote" in response.content.decode()


def test_demo_seeds_three_companies_with_dossiers_at_various_stages(space):
    from press.demo import seed_press_demo

    result = seed_press_demo()
    assert result["companies"] == 3 and result["dossiers"] == 6
    stages = set(Request.objects.filter(
        applicant_organisation__code__in=["akhbar", "maghrib-news", "atlas-tv"])
        .values_list("stage", flat=True))
    assert {"review", "returned", "completed", "committee"} <= stages
    assert IssuedDocument.objects.filter(kind="press_card").exists()
