"""Every CSV and XLSX export of the intranet goes through this module.

Spreadsheet software runs a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula, and a leading tab or carriage return can smuggle one past a
naive check. Names, titles and comments are typed by users, so such a cell is
written with a leading apostrophe, which spreadsheets show as text (the
OWASP "CSV injection" advice). Numbers, dates and empty cells pass unchanged.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel refuses longer cell texts.
XLSX_MAX_CELL = 32_767


def safe_cell(value):
    """The value to write in a cell: text that a spreadsheet would run is escaped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, datetime.datetime):
        # Spreadsheets have no time zones: local wall time, as on the pages.
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return value
    return safe_cell(str(value))


def safe_row(row: Iterable) -> list:
    return [safe_cell(value) for value in row]


class _Echo:
    """csv.writer target that hands each formatted row back instead of storing it."""

    def write(self, value):
        return value


def _csv_text(value):
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def csv_rows(header: Sequence, rows: Iterable[Iterable]):
    """The lines of a CSV document, escaped, with the BOM that lets spreadsheet
    software read UTF-8 (Arabic names)."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow(safe_row(header))
    for row in rows:
        yield writer.writerow([_csv_text(value) for value in safe_row(row)])


def csv_response(filename: str, header: Sequence, rows: Iterable[Iterable]):
    """A streamed CSV download: rows are formatted as they are sent."""
    response = StreamingHttpResponse(csv_rows(header, rows), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_text(value):
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # XML 1.0 cannot hold most control characters: openpyxl would refuse the row.
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_CELL]


def xlsx_bytes(header: Sequence, rows: Iterable[Iterable], *, title: str = "export") -> bytes:
    """An XLSX workbook of one sheet, escaped like the CSV."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    # Sheet titles may not hold []:*?/\ and are at most 31 characters.
    sheet = workbook.create_sheet(title="".join(c for c in title if c not in "[]:*?/\\")[:31])
    sheet.append([_xlsx_text(cell) for cell in safe_row(header)])
    for row in rows:
        sheet.append([_xlsx_text(cell) for cell in safe_row(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, header: Sequence, rows: Iterable[Iterable], *, title="export"):
    # A workbook is a zip archive written at the end: built whole, then sent.
    response = HttpResponse(xlsx_bytes(header, rows, title=title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
