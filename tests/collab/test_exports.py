"""collab.exports: the one writer of CSV and XLSX cells, escaping formulas."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from collab import exports

HOSTILE = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1",
           '=HYPERLINK("http://example.invalid","x")', "=cmd|' /C calc'!A0"]
HARMLESS = ["", "plain", "كريم بنعلي", "a=b", "1-2", "mail@example.org", " =spaced"]


@pytest.mark.parametrize("value", HOSTILE)
def test_cells_that_a_spreadsheet_would_run_are_escaped(value):
    assert exports.safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_other_text_is_unchanged(value):
    assert exports.safe_cell(value) == value


def test_numbers_dates_and_none():
    moment = timezone.make_aware(datetime.datetime(2026, 5, 2, 10, 30))
    assert exports.safe_row([-3, 2.5, None, True, datetime.date(2026, 5, 2)]) == [
        -3, 2.5, "", True, datetime.date(2026, 5, 2)]
    assert exports.safe_cell(moment) == timezone.localtime(moment).replace(tzinfo=None)


def test_csv_and_xlsx_write_the_same_escaped_text():
    header = ["=title", "name"]
    rows = [[value, "ok"] for value in HOSTILE + HARMLESS] + [["bad\x00\x07chars", "ok"]]
    text = "".join(exports.csv_rows(header, rows))
    assert text.startswith("\ufeff")
    read = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert read[0] == ["'=title", "name"]
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(header, rows, title="t:[x]"))).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0] == ("'=title", "name")
    for value, from_csv, from_xlsx in zip(HOSTILE, read[1:], cells[1:], strict=False):
        assert from_csv[0] == "'" + value
        # XML reads a carriage return back as a line feed; still escaped text.
        assert from_xlsx[0] == "'" + value.replace("\r", "\n")
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    # XML cannot hold NUL or BEL: dropped from the XLSX rather than failing the export.
    assert cells[-1][0] == "badchars"
