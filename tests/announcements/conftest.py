from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def ministry(directorate_factory, user_factory):
    """A small ministry: a central directorate with a sub-directorate, two regions."""
    central = directorate_factory(kind="central", code="dcom")
    sub = directorate_factory(kind="central", code="dcom-web", parent=central)
    casa = directorate_factory(kind="regional", code="cas")
    fes = directorate_factory(kind="regional", code="fme")
    people = {
        "officer": user_factory(directorate=central, role="communication_officer"),
        "admin": user_factory(directorate=central, role="administrator"),
        "manager": user_factory(directorate=central, role="manager"),
        "casa_manager": user_factory(directorate=casa, role="manager"),
        "central_staff": user_factory(directorate=central),
        "sub_staff": user_factory(directorate=sub, preferred_language="fr"),
        "casa_staff": user_factory(directorate=casa),
        "fes_staff": user_factory(directorate=fes, preferred_language="fr"),
    }
    return {"central": central, "sub": sub, "casa": casa, "fes": fes, **people}


def data(**overrides):
    from announcements.services import AnnouncementInput

    values = {
        "title_ar": "إعلان",
        "title_fr": "Annonce",
        "body_ar": "<p>نص</p>",
        "body_fr": "<p>Texte</p>",
    }
    values.update(overrides)
    return AnnouncementInput(**values)


def future(minutes=60):
    return timezone.now() + timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Many users per test: the default PBKDF2 cost would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
