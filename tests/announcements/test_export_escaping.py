"""The pending-readers CSV escapes cells a spreadsheet would run."""

import csv
import io

import pytest

from announcements import services

from .conftest import data


@pytest.mark.django_db
def test_pending_readers_csv_escapes_formulas(ministry, user_factory, client_for):
    user_factory(directorate=ministry["casa"], username="@evil", first_name="=1+1",
                 last_name="x", full_name_ar="=HYPERLINK(\"http://example.invalid\")",
                 email="-x@example.org")
    a = services.save_announcement(
        ministry["officer"], data(directorate_ids=[ministry["casa"].pk]), services.PUBLISH
    )
    response = client_for(ministry["officer"]).get(f"/announcements/{a.pk}/stats.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
    assert rows["'@evil"][1:] == [
        "'=HYPERLINK(\"http://example.invalid\")", str(ministry["casa"]), "'-x@example.org"
    ]
