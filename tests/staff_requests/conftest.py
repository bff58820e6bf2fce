"""Fixtures for the requests app: a small ministry with a manager, HR and the
social affairs officer, the default request types, and a private file store."""

from __future__ import annotations

import datetime

import pytest


@pytest.fixture(autouse=True)
def _english_messages():
    # Service-level messages are checked in English; pages use each user's language.
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _file_store(settings, file_store):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def types(db):
    from requests.defaults import ensure_default_types
    from requests.models import LeavePolicy, RequestType

    ensure_default_types()
    LeavePolicy.current()
    return {t.code: t for t in RequestType.objects.all()}


@pytest.fixture
def org(db, user_factory, directorate_factory, types):
    from django.contrib.auth.models import Group

    from requests.models import SOCIAL_AFFAIRS_GROUP

    directorate = directorate_factory()
    hr_directorate = directorate_factory()
    director = user_factory(directorate=directorate, role="manager", username="director",
                            preferred_language="fr")
    boss = user_factory(directorate=directorate, role="manager", username="boss")
    director.manager = boss
    director.save()
    employee = user_factory(directorate=directorate, username="employee", manager=director,
                            preferred_language="fr", full_name_ar="كريم بنعلي",
                            first_name="Karim", last_name="Benali", gender="male",
                            job_title="Ingénieur d'État", job_title_ar="مهندس دولة",
                            job_title_en="State engineer")
    colleague = user_factory(directorate=directorate, username="colleague", manager=director)
    deputy = user_factory(directorate=directorate, role="manager", username="deputy")
    hr = user_factory(directorate=hr_directorate, role="hr_officer", username="hr",
                      first_name="Souad", last_name="Alaoui", full_name_ar="سعاد العلوي",
                      gender="female", job_title="Chargée des ressources humaines",
                      job_title_ar="مكلفة بالموارد البشرية")
    social = user_factory(directorate=hr_directorate, role="hr_officer", username="social")
    group, _ = Group.objects.get_or_create(name=SOCIAL_AFFAIRS_GROUP)
    social.groups.add(group)
    outsider = user_factory(directorate=directorate, username="outsider")
    return {
        "directorate": directorate, "director": director, "boss": boss,
        "employee": employee, "colleague": colleague, "deputy": deputy, "hr": hr,
        "social": social, "outsider": outsider,
    }


def next_monday(weeks: int = 1) -> datetime.date:
    """A Monday at least ``weeks`` ahead whose next two weeks hold no public
    holiday, so counts of working days in tests do not depend on the run date."""
    from django.utils import timezone

    from requests.holidays import calendar_holidays

    today = timezone.localdate()
    monday = today + datetime.timedelta(days=(7 - today.weekday()) + 7 * (weeks - 1))
    # The package's calendar only: no database query (async tests call this too).
    while calendar_holidays(monday, monday + datetime.timedelta(days=11)):
        monday += datetime.timedelta(weeks=1)
    return monday


def clear_year_holidays(*years):
    """Cancel every public holiday of ``years`` (default: this year and the
    next) through HR's overrides, the way HR would."""
    from django.utils import timezone

    from requests.holidays import holiday_dates
    from requests.models import PublicHoliday

    this_year = timezone.localdate().year
    for year in years or (this_year, this_year + 1):
        for day in holiday_dates(datetime.date(year, 1, 1), datetime.date(year, 12, 31)):
            PublicHoliday.objects.update_or_create(date=day, defaults={"is_holiday": False})


@pytest.fixture
def monday():
    return next_monday(2)

