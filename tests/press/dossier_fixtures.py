"""Fixtures of the dossier tests: two verified companies with a member and a
journalist each, the press office, committee and director, an open press
card campaign, and a private file store (tests/press/conftest.py imports them)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg(color=(120, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), color).save(buffer, "JPEG")
    return buffer.getvalue()


def pdf_upload(name="doc.pdf", content=PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def photo_upload(name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(), content_type="image/jpeg")


def checklist(request_type, **overrides) -> tuple[dict, dict]:
    """A valid upload for every line of ``request_type``'s checklist, and the
    issue dates of the lines with a validity."""
    documents, issued = {}, {}
    for requirement in request_type.documents.all():
        image_only = requirement.accepted_types and "application/pdf" not in \
            requirement.accepted_types
        documents[requirement.pk] = photo_upload() if image_only else pdf_upload(
            f"line-{requirement.position}.pdf")
        if requirement.validity_days:
            issued[requirement.pk] = datetime.date.today() - datetime.timedelta(days=5)
    documents.update(overrides)
    return documents, issued


@pytest.fixture
def dossier_env(settings, file_store):
    """Service messages in English, a private file store, a public URL."""
    from django.utils import translation

    settings.COLLAB_PUBLIC_URL = "https://portail.example.ma"
    with translation.override("en"):
        yield


@pytest.fixture
def campaign(db):
    """A press card campaign whose deposit period holds today."""
    from press.models_dossiers import PressCampaign, SalaryFloor

    today = datetime.date.today()
    PressCampaign.objects.all().delete()
    item = PressCampaign.objects.create(
        year=today.year + 1, deposit_opens=today - datetime.timedelta(days=10),
        deposit_closes=today + datetime.timedelta(days=20),
        completion_opens=today + datetime.timedelta(days=21),
        completion_closes=today + datetime.timedelta(days=40))
    SalaryFloor.objects.create(campaign=item, medium="print", monthly_minimum=Decimal(5000))
    return item


def _company(user_factory, n: int, medium: str, language: str = "fr"):
    from press.models import Company, CompanyMember, Journalist
    from requests.models import Organisation

    organisation = Organisation.objects.create(code=f"press-{n}", name_ar=f"جريدة {n}",
                                               name_fr=f"Journal {n}")
    company = Company.objects.create(
        organisation=organisation, name_ar=f"جريدة {n}", name_latin=f"Journal {n}",
        legal_form="sarl", rc_number=f"RC{n}", ice=f"{n:015d}", tax_id=f"{n}0",
        cnss_number=f"{n}1", address="1 rue", city="Rabat", region="04", medium=medium,
        legal_representative="Directeur", email=f"contact{n}@journal.ma",
        phone="+212612345678", language=language, status=Company.Status.VERIFIED)
    member = user_factory(username=f"member{n}", email=f"member{n}@journal.ma",
                          preferred_language=language, is_external=True)
    CompanyMember.objects.create(user=member, company=company, role="representative",
                                 accepted=True)
    organisation.members.add(member)
    journalist = Journalist.objects.create(
        company=company, name_ar=f"صحفي {n}", name_latin=f"Journaliste {n}", cin=f"AB{n}234",
        position="Rédacteur", hire_date=datetime.date(2020, 1, 1), cnss_number="123")
    return {"company": company, "member": member, "journalist": journalist,
            "organisation": organisation}


@pytest.fixture
def space(db, dossier_env, user_factory, campaign):
    from django.contrib.auth.models import Group

    from requests.models import RequestType

    if not RequestType.objects.filter(family="press_card").exists():
        # A transactional test before this one flushed what the migrations seeded.
        from django.apps import apps

        from press.seed_dossiers import seed

        seed(apps)
    office = Group.objects.get(name="press_office")
    committee = Group.objects.get(name="press_committee")
    director_group = Group.objects.get(name="press_director")
    officer = user_factory(username="officer", role="press_officer", preferred_language="fr")
    officer.groups.add(office)
    members = [user_factory(username=f"committee{i}") for i in range(2)]
    for person in members:
        person.groups.add(committee)
    director = user_factory(username="pressdirector", role="manager")
    director.groups.add(director_group)
    first = _company(user_factory, 1, "print")
    second = _company(user_factory, 2, "electronic", language="ar")
    types = {t.family: t for t in RequestType.objects.filter(
        family__in=["press_card", "train_card", "press_committee", "press_support",
                    "filming_permit"])}
    return {"officer": officer, "committee": members, "director": director, "a": first,
            "b": second, "types": types, "campaign": campaign}
