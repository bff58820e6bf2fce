"""The one official-document builder: letterhead, dates, signature, absolute
verification URL and QR code; issued documents verified on the public page."""

import datetime
import io
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from pypdf import PdfReader

from collab import documents
from tests.pdfs import qr_targets

ROOT = Path(__file__).resolve().parents[2]


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture(scope="module")
def kind():
    documents.register_kind("test-attestation", "Attestation of attendance")
    yield "test-attestation"
    documents.KINDS.pop("test-attestation", None)


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (40, 90, 160)).save(out, "PNG")
    return out.getvalue()


LETTER = {
    "heading": "شهادة العمل",
    "paragraphs": ["تشهد وزارة التواصل أن السيد كريم بنعلي يزاول مهامه بمديرية نظم المعلومات."],
    "reference": "AT-2026-000042",
    "signatory": {"name": "سعاد العلوي", "title": "مديرة الموارد البشرية"},
    "issued_on": datetime.date(2026, 12, 3),
}


def test_arabic_letter_carries_letterhead_dates_signature_and_absolute_qr():
    pdf = documents.render_pdf("collab/documents/letter.html", LETTER, language="ar",
                               code="ABCD-EFGH-JKLM-NPQR")
    text = pdf_text(pdf)
    url = "http://127.0.0.1:8000/verify/ABCD-EFGH-JKLM-NPQR/"
    for expected in ("المملكة المغربية", "وزارة التواصل", "Royaume du Maroc",
                     "Ministère de la Communication", "شهادة العمل", "كريم بنعلي",
                     "AT-2026-000042", "سعاد العلوي", "مديرة الموارد البشرية",
                     "الرباط", "03/12/2026", "جمادى الآخرة", "1448", url):
        assert expected in text, expected
    assert "12/03/2026" not in text  # never month first
    assert qr_targets(pdf) == [url]


def test_french_letter_translates_the_layout_and_the_public_url_is_the_setting(settings):
    settings.COLLAB_PUBLIC_URL = "https://intranet.example.gov.ma"
    context = {**LETTER, "heading": "ATTESTATION DE TRAVAIL",
               "paragraphs": ["Le Ministère atteste que Mme Salma Idrissi exerce ses fonctions."],
               "signatory": {"name": "Souad Alaoui", "title": "Directrice des ressources humaines"},
               "issued_on": datetime.date(2027, 3, 30)}
    pdf = documents.render_pdf("collab/documents/letter.html", context, language="fr",
                               code="WXYZ-2345-6789-ABCD")
    text = pdf_text(pdf)
    url = "https://intranet.example.gov.ma/verify/WXYZ-2345-6789-ABCD/"
    for expected in ("ATTESTATION DE TRAVAIL", "Fait à Rabat, le 30/03/2027", "Référence",
                     "Code de vérification", "Souad Alaoui", url):
        assert expected in text, expected
    assert qr_targets(pdf) == [url]


def test_card_format_is_cr80_with_the_holders_photo(kind):
    pdf = documents.render_pdf("collab/documents/card.html", {
        "holder_name": "Salma Idrissi", "photo": photo_bytes(),
        "valid_until": datetime.date(2027, 12, 31),
    }, language="fr", code="CARD-2345-6789-ABCD", page="CR80")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    width_mm, height_mm = (float(v) * 25.4 / 72 for v in page.mediabox.upper_right)
    assert round(width_mm, 1) == 85.6 and round(height_mm, 1) == 54.0
    text = pdf_text(pdf)
    assert "Salma Idrissi" in text and "31/12/2027" in text
    assert len(page.images) >= 2  # the photo and the QR code
    assert qr_targets(pdf) == ["http://127.0.0.1:8000/verify/CARD-2345-6789-ABCD/"]


def test_templates_cannot_make_the_server_fetch_urls(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    context = {**LETTER, "paragraphs": ["x"], "photo": f"file://{secret}"}
    pdf = documents.render_pdf("collab/documents/card.html", context, language="ar",
                               page="CR80")
    assert "TOP-SECRET-CONTENT" not in pdf_text(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 0


@pytest.mark.django_db
def test_issued_document_verifies_with_holder_photo_and_validity(kind):
    document = documents.issue(kind, holder_name="سلمى الإدريسي", language="ar",
                               statement={"course": "Data journalism", "hours": 30},
                               valid_until=datetime.date(2099, 1, 1), photo=photo_bytes(),
                               reference="TR-2026-7")
    assert document.code and document.photo_key
    anonymous = Client()
    page = anonymous.get(f"/verify/{document.code.replace('-', '').lower()}/").content.decode()
    assert 'data-testid="valid"' in page and "سلمى الإدريسي" in page
    assert "TR-2026-7" in page and "01/01/2099" in page
    # The statement stays private: only who holds it and whether it holds.
    assert "Data journalism" not in page
    photo = anonymous.get(f"/verify/{document.code}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(photo.content)).size == (300, 400)

    pdf = documents.document_pdf(document, "collab/documents/card.html", page="CR80")
    assert qr_targets(pdf) == [documents.verify_url(document.code)]
    assert "سلمى الإدريسي" in pdf_text(pdf)

    documents.revoke(document)
    page = anonymous.get(f"/verify/{document.code}/").content.decode()
    assert 'data-testid="revoked"' in page and 'data-testid="valid"' not in page


@pytest.mark.django_db
def test_expired_document_and_unknown_code(kind):
    document = documents.issue(kind, holder_name="Karim Benali", language="fr", statement={},
                               valid_until=datetime.date(2020, 1, 1))
    page = Client().get(f"/verify/{document.code}/").content.decode()
    assert 'data-testid="expired"' in page and "Karim Benali" in page
    assert Client().get(f"/verify/{document.code}/photo/").status_code == 404
    missing = Client().get("/verify/AAAA-BBBB-CCCC-DDDD/").content.decode()
    assert 'data-testid="not-verified"' in missing


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_recorded(kind):
    from requests.models import IssuedDocument

    with pytest.raises(documents.DocumentError):
        documents.issue(kind, holder_name="X", language="fr", statement={},
                        photo=b"%PDF-1.4 not a photo")
    assert not IssuedDocument.objects.exists()


def test_production_refuses_an_empty_public_url(tmp_path):
    from tests.collab.test_settings import production_env

    env = production_env(tmp_path, COLLAB_PUBLIC_URL=None)
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                            cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "collab.settings"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "COLLAB_PUBLIC_URL must be set" in result.stderr
    assert settings.COLLAB_PUBLIC_URL == "http://127.0.0.1:8000"  # make run's default


@pytest.mark.parametrize("days, ar, fr", [
    (1, "يوم واحد", "1 jour"), (2, "يومان", "2 jours"), (3, "3 أيام", "3 jours"),
    (10, "10 أيام", "10 jours"), (11, "11 يومًا", "11 jours"), (22, "22 يومًا", "22 jours"),
    (100, "100 يوم", "100 jours"), ("2.5", "2.5 يوم", "2,5 jours"),
])
def test_day_counts_agree_with_their_number(days, ar, fr):
    assert documents.count_days(days, "ar") == ar
    assert documents.count_days(days, "fr") == fr
