"""Work and salary certificates: issuing (frozen statement) and the PDF.

The PDF is drawn with reportlab. Arabic is shaped with arabic-reshaper and
ordered right to left with python-bidi, then drawn right-aligned; glyphs the
Arabic font lacks (Latin letters in a job title, the reference) fall back to a
Latin font run by run. Fonts are Debian's (fonts-noto-core, fonts-dejavu-core),
found at run time; settings.REQUESTS_ARABIC_FONT / REQUESTS_LATIN_FONT override.
"""

from __future__ import annotations

import glob
import io
import os
import secrets
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .lifecycle import WorkflowError
from .models import CertificateRequest, Request, RequestType

ARABIC_FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoKufiArabic-Regular.ttf",
]
LATIN_FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
]

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely


def new_verification_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalize_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


# ---- Issuing -----------------------------------------------------------------


def issue(request: Request, actor, extra: dict) -> CertificateRequest:
    """Freeze what the certificate states (called as HR completes the request)."""
    certificate = request.certificate
    kind = request.request_type.certificate_kind
    salary = None
    if kind == RequestType.CertificateKind.SALARY:
        try:
            salary = Decimal(str(extra.get("salary", "")).replace(",", ".").strip())
        except InvalidOperation:
            salary = None
        if salary is None or salary <= 0:
            raise WorkflowError(_("Enter the monthly gross salary to state on the certificate."))
    person = request.requester
    language = certificate.language
    directorate = person.directorate
    if language == "ar":
        name = person.full_name_ar or person.get_full_name() or person.username
        directorate_name = directorate.name_ar if directorate else ""
    else:
        name = person.get_full_name() or person.username
        directorate_name = directorate.name_fr if directorate else ""
    issued = timezone.localtime()
    prefix = "AS" if kind == RequestType.CertificateKind.SALARY else "AT"
    certificate.reference_number = f"{prefix}-{issued:%Y}-{request.pk:06d}"
    code = new_verification_code()
    while CertificateRequest.objects.filter(verification_code=code).exists():
        code = new_verification_code()
    certificate.verification_code = code
    certificate.issued_at = issued
    certificate.statement = {
        "kind": kind,
        "language": language,
        "name": name,
        "job_title": person.job_title,
        "directorate": directorate_name,
        "salary": f"{salary:.2f}" if salary is not None else "",
        "purpose": certificate.purpose,
        "reference": certificate.reference_number,
        "issued_on": issued.date().isoformat(),
        "copies": certificate.copies,
        "code": code,
    }
    certificate.save()
    return certificate


def find_by_code(code: str) -> CertificateRequest | None:
    code = normalize_code(code)
    if not code:
        return None
    return CertificateRequest.objects.filter(verification_code=code).exclude(
        issued_at__isnull=True).first()


def verified_document(code: str):
    """The public verification page's view of a certificate (registry.VERIFIERS)."""
    from .registry import VerifiedDocument

    certificate = find_by_code(code)
    if certificate is None:
        return None
    lines = statement_lines(certificate.statement)
    return VerifiedDocument(language=certificate.statement.get("language", "fr"),
                            title=lines["title"], body=lines["body"], facts=lines["facts"])


# ---- Text --------------------------------------------------------------------


def statement_lines(statement: dict) -> dict:
    """Title and paragraphs of the certificate, in the certificate's language."""
    s = statement
    salary = s["kind"] == RequestType.CertificateKind.SALARY
    if s["language"] == "ar":
        title = "شهادة الأجرة" if salary else "شهادة العمل"
        body = [
            # Slashes, not brackets: brackets would need bidi mirroring.
            f"تشهد وزارة التواصل أن السيد/السيدة {s['name']}، {s['job_title']}، "
            f"يزاول/تزاول مهامه/مهامها بـ{s['directorate']}."
        ]
        if salary:
            body.append(f"ويتقاضى/وتتقاضى أجرة شهرية إجمالية قدرها {s['salary']} درهم.")
        if s.get("purpose"):
            body.append(f"الغرض: {s['purpose']}")
        body.append("سلمت هذه الشهادة للمعني/للمعنية بالأمر بطلب منه/منها للإدلاء بها عند الحاجة.")
        facts = [("المرجع", s["reference"]), ("تاريخ الإصدار", s["issued_on"]),
                 ("رمز التحقق", s["code"])]
        verify = "للتحقق من صحة هذه الشهادة:"
    else:
        title = "ATTESTATION DE SALAIRE" if salary else "ATTESTATION DE TRAVAIL"
        body = [
            f"Le Ministère de la Communication atteste que M./Mme {s['name']}, "
            f"{s['job_title']}, exerce ses fonctions à la {s['directorate']}."
        ]
        if salary:
            body.append(f"L'intéressé(e) perçoit un salaire mensuel brut de {s['salary']} dirhams.")
        if s.get("purpose"):
            body.append(f"Motif : {s['purpose']}")
        body.append("La présente attestation est délivrée à l'intéressé(e), sur sa demande, "
                    "pour servir et valoir ce que de droit.")
        facts = [("Référence", s["reference"]), ("Date de délivrance", s["issued_on"]),
                 ("Code de vérification", s["code"])]
        verify = "Vérifier l'authenticité de cette attestation :"
    return {"title": title, "body": body, "facts": facts, "verify": verify}


# ---- PDF ----------------------------------------------------------------------


def _find_font(setting: str, candidates: list[str], pattern: str) -> str:
    configured = getattr(settings, setting, "")
    for path in [configured, *candidates, *sorted(glob.glob(pattern, recursive=True))]:
        if path and os.path.exists(path):
            return path
    raise WorkflowError(f"no font found for {setting} (install fonts-noto-core)")


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str, set[int]]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    arabic_path = _find_font("REQUESTS_ARABIC_FONT", ARABIC_FONT_CANDIDATES,
                             "/usr/share/fonts/**/Noto*Arabic*-Regular.ttf")
    latin_path = _find_font("REQUESTS_LATIN_FONT", LATIN_FONT_CANDIDATES,
                            "/usr/share/fonts/**/DejaVuSans.ttf")
    arabic, latin = TTFont("CollabArabic", arabic_path), TTFont("CollabLatin", latin_path)
    pdfmetrics.registerFont(arabic)
    pdfmetrics.registerFont(latin)
    return "CollabArabic", "CollabLatin", set(arabic.face.charToGlyph)


def _runs(visual: str, arabic_glyphs: set[int]) -> list[tuple[str, str]]:
    """Split a visual-order line into (font, text) runs; spaces stay with the run."""
    arabic, latin, _glyphs = _fonts()
    runs: list[tuple[str, str]] = []
    for ch in visual:
        font = arabic if (ord(ch) in arabic_glyphs and not ch.isascii()) or ch == " " else latin
        if ch == " " and runs:
            font = runs[-1][0]
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


def _width(runs, size):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(text, font, size) for font, text in runs)


def _shape(line: str, rtl: bool = True) -> str:
    import arabic_reshaper
    from bidi import get_display

    return get_display(arabic_reshaper.reshape(line), base_dir="R" if rtl else "L")


def _wrap(text: str, width: float, size: float, rtl: bool) -> list[str]:
    _arabic, _latin, glyphs = _fonts()
    words, lines, current = text.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        fits = _width(_runs(_shape(candidate, rtl), glyphs), size) <= width
        if fits or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _draw_qr(pdf, url: str, x: float, y: float, size: float = 90) -> None:
    """A QR code holding the verification page's absolute URL."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(url)
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0,
                                             size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x, y)


def render_pdf(statement: dict, verify_url: str, text: dict | None = None) -> bytes:
    """The document's page: header, title, paragraphs, facts, the verification
    line and its QR code. ``text`` (title, body, facts, verify) defaults to a
    certificate's; decision letters pass their own (documents.py)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    arabic_font, latin_font, glyphs = _fonts()
    rtl = statement["language"] == "ar"
    text = text or statement_lines(statement)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(text["title"])
    pdf.setAuthor("Ministère de la Communication")
    page_width, page_height = A4
    margin = 60
    usable = page_width - 2 * margin

    def draw(line: str, y: float, size: float = 12, center: bool = False):
        # Shaped and ordered in both languages: a French certificate may quote
        # an Arabic purpose or name.
        runs = _runs(_shape(line, rtl), glyphs)
        total = _width(runs, size)
        if center:
            x = (page_width - total) / 2
        else:
            x = page_width - margin - total if rtl else margin
        for font, chunk in runs:
            pdf.setFont(font, size)
            pdf.drawString(x, y, chunk)
            x += _width([(font, chunk)], size)

    y = page_height - 70
    header = "المملكة المغربية - وزارة التواصل" if rtl else \
        "Royaume du Maroc - Ministère de la Communication"
    draw(header, y, 11)
    y -= 70
    draw(text["title"], y, 20, center=True)
    y -= 50
    for paragraph in text["body"]:
        for line in _wrap(paragraph, usable, 13, rtl):
            draw(line, y, 13)
            y -= 22
        y -= 8
    y -= 20
    for label, value in text["facts"]:
        draw(f"{label}: {value}", y, 11)
        y -= 18
    y -= 10
    draw(text["verify"], y, 10)
    y -= 16
    pdf.setFont(latin_font, 10)
    if rtl:
        pdf.drawRightString(page_width - margin, y, verify_url)
    else:
        pdf.drawString(margin, y, verify_url)
    _draw_qr(pdf, verify_url, margin if rtl else page_width - margin - 90, max(y - 110, 40))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def verify_url(code: str) -> str:
    base = getattr(settings, "COLLAB_PUBLIC_URL", "").rstrip("/")
    return f"{base}{reverse('verify_document', args=[code])}"


def certificate_pdf(certificate: CertificateRequest) -> bytes:
    if not certificate.issued_at:
        raise WorkflowError(_("This certificate has not been issued yet."))
    return render_pdf(certificate.statement, verify_url(certificate.verification_code))
