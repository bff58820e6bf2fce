"""One date convention across the product: dd/mm/yyyy, month names in the
page's language (Arabic in Arabic), never month first."""

import datetime
import re
from pathlib import Path

import pytest
from django import forms
from django.utils import translation
from django.utils.formats import date_format

ROOT = Path(__file__).resolve().parents[2]
APPS = ["collab", "chat", "files", "announcements", "requests", "press", "training"]
DAY = datetime.date(2026, 12, 3)


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_short_dates_are_day_first_in_every_language(language):
    with translation.override(language):
        assert date_format(DAY, "SHORT_DATE_FORMAT") == "03/12/2026"
        moment = datetime.datetime(2026, 12, 3, 14, 5)
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == "03/12/2026 14:05"


def test_long_dates_name_the_month_in_the_pages_language():
    with translation.override("ar"):
        assert date_format(DAY) == "3 ديسمبر 2026"
    with translation.override("fr"):
        assert date_format(DAY) == "3 décembre 2026"
    with translation.override("en"):
        assert date_format(DAY) == "3 December 2026"


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_typed_dates_are_read_day_first(language):
    field = forms.DateField()
    with translation.override(language):
        assert field.clean("03/12/2026") == DAY
        assert field.clean("2026-12-03") == DAY  # what <input type="date"> sends


MONTH_FIRST = re.compile(r"""\|date:\s*["']([^"']*)["']|strftime\(\s*["']([^"']*)["']""")


def test_no_template_or_code_formats_a_date_month_first():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*"):
            if path.suffix not in {".html", ".txt", ".py"} or "migrations" in path.parts:
                continue
            for match in MONTH_FIRST.finditer(path.read_text(encoding="utf-8")):
                pattern = match.group(1) or match.group(2)
                letters = [c for c in pattern.replace("%", "") if c in "dDjmnMFbBY"]
                month = next((i for i, c in enumerate(letters) if c in "mnMFbB"), None)
                day = next((i for i, c in enumerate(letters) if c in "dj"), None)
                if month is not None and day is not None and month < day and \
                        "Y" not in letters[:month + 1]:
                    offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert not offenders, offenders
