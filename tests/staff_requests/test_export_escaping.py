"""The HR queue's CSV export escapes cells a spreadsheet would run."""

import csv
import io

import pytest

from requests import services

pytestmark = pytest.mark.django_db


def test_hr_queue_csv_escapes_formulas(org, types, client_for):
    employee = org["employee"]
    employee.full_name_ar = "=HYPERLINK(\"http://example.invalid\",\"x\")"
    employee.first_name, employee.last_name = "+cmd", "x"
    employee.save()
    cert = services.submit_certificate(employee, types["certificate-work"], language="fr")
    response = client_for(org["hr"]).get("/requests/hr/", {"stage": "", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
    requester = rows[cert.reference][2]
    assert requester in {"'=HYPERLINK(\"http://example.invalid\",\"x\")", "'+cmd x"}


def test_back_office_xlsx_escapes_formulas(org, types, client_for):
    from openpyxl import load_workbook

    employee = org["employee"]
    employee.full_name_ar = "@SUM(1+1)"
    employee.first_name, employee.last_name = "=1+1", "x"
    employee.save()
    cert = services.submit_certificate(employee, types["certificate-work"], language="fr")
    response = client_for(org["hr"]).get("/requests/office/", {"stage": "", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert rows[cert.reference][2] in {"'@SUM(1+1)", "'=1+1 x"}
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
