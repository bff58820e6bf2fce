"""Fixtures of the press space: companies and their external accounts."""

from __future__ import annotations

import pytest


@pytest.fixture
def company_factory(db):
    """A registered company (status given, verified by default) with its engine Organisation."""
    from press.models import Company
    from requests.models_engine import Organisation

    counter = {"n": 0}

    def make(status=Company.Status.VERIFIED, medium="print", **kwargs):
        counter["n"] += 1
        n = counter["n"]
        organisation = Organisation.objects.create(
            code=f"company-{n}", name_ar=f"شركة {n}", name_fr=f"Société {n}"
        )
        values = {
            "name_ar": f"شركة {n}", "name_latin": f"Société {n}", "legal_form": "sarl",
            "rc_number": f"RC{n}", "ice": f"{n:015d}", "tax_id": f"{1000 + n}",
            "cnss_number": f"{2000 + n}", "address": f"{n} avenue Hassan II",
            "city": "Rabat", "region": "04", "medium": medium,
            "legal_representative": f"Représentant {n}", "email": f"company{n}@example.ma",
            "phone": "+212612345678", "status": status,
        }
        values.update(kwargs)
        return Company.objects.create(organisation=organisation, **values)

    return make


@pytest.fixture
def member_factory(db, company_factory):
    """An external account acting for ``company`` (a new verified one by default)."""
    from collab.models import User
    from press.models import CompanyMember

    counter = {"n": 0}

    def make(company=None, role=CompanyMember.Role.REPRESENTATIVE, password="Secret-pass-123",
             **kwargs):
        counter["n"] += 1
        company = company or company_factory()
        user = User(username=kwargs.pop("username", f"press{counter['n']}@example.ma"),
                    email=kwargs.pop("email", f"press{counter['n']}@example.ma"),
                    first_name=f"Press{counter['n']}", is_external=True, **kwargs)
        user.set_password(password)
        user.save()
        CompanyMember.objects.create(user=user, company=company, role=role, accepted=True)
        company.organisation.members.add(user)
        return user

    return make


@pytest.fixture
def company(company_factory):
    return company_factory()


@pytest.fixture
def representative(member_factory, company):
    return member_factory(company=company)


# The dossiers' fixtures (two companies, the press office and committee, a campaign).
from tests.press.dossier_fixtures import campaign, dossier_env, space  # noqa: E402,F401

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A 1x1 PNG.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


def pdf(name="document.pdf", content=PDF_BYTES):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png(name="photo.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


@pytest.fixture
def press_officer(user_factory):
    """A press officer, member of the press office that decides company verifications."""
    from django.contrib.auth.models import Group

    from press.verification import PRESS_OFFICE_GROUP

    officer = user_factory(role="press_officer", preferred_language="en")
    officer.groups.add(Group.objects.get_or_create(name=PRESS_OFFICE_GROUP)[0])
    return officer
