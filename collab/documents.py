"""Official documents: the one builder every app renders its PDFs with, and the
issue/verify API of documents that carry a verification code.

Rendering
---------
``render_pdf(template_name, context, *, language, code=None, page="A4") -> bytes``
renders an HTML template with weasyprint (HarfBuzz shapes Arabic, right to
left) in ``language`` (translations active while rendering). Templates extend
one of two layouts:

- ``collab/documents/base.html`` (A4 letter): the letterhead (emblem, kingdom,
  ministry and directorate in Arabic and French), the reference, place and
  date (Gregorian dd/mm/yyyy and Hijri), the signature block and, when a
  ``code`` is given, the verification line with the absolute URL and its QR
  code. Blocks: ``title`` (the PDF's title), ``heading``, ``body``, ``style``.
- ``collab/documents/card.html`` (``page="CR80"``, 85.6 x 54 mm, e.g. the press
  card): emblem, ministry, the holder's photo, ``card_title``, ``card_fields``
  and the QR code. Block ``back`` adds a second face.

Context keys the layouts read (all optional unless said): ``reference``,
``issued_on`` (a date, default today), ``signatory`` ({"name", "title"}),
``directorate`` ({"ar", "fr"}: the issuing directorate, default the
settings'), ``holder_name``, ``photo`` (image bytes or a data URI),
``valid_until`` (a date). The layouts add ``language``, ``direction``,
``letterhead``, ``emblem``, ``place``, ``date``, ``hijri``, ``verify_url``
and ``qr``. Fonts: Noto Naskh Arabic and DejaVu Sans (Makefile system-deps).
Only data: URIs are fetched: a template can never make the server fetch a URL.

Issuing and verifying
---------------------
``register_kind(kind, title)``: a kind of verifiable document and its title
(a lazy translatable string) on the public verification page.
``issue(kind, *, holder_name, language, statement, valid_until=None,
request=None, photo=None, reference="") -> IssuedDocument`` records the
document with a fresh code; ``statement`` (JSON) is frozen so the PDF can be
rebuilt identically; ``photo`` (JPEG/PNG bytes) is re-encoded and kept in the
file store. ``revoke(document)`` marks it revoked. ``document_pdf(document,
template_name, context, page=...)`` renders an issued document with its code.
The public page (``/verify/<code>/``) shows only the kind, the holder's name,
the photo, the issue date, the validity (valid, expired, revoked) and the
reference: never the statement (``verified_document``, in the registry's
VERIFIERS).

``verify_url(code)`` is the absolute verification URL, built from
``settings.COLLAB_PUBLIC_URL`` (refused empty in production).
"""

from __future__ import annotations

import base64
import datetime
import io
import mimetypes
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely
PAGE_SIZES = {"A4": "A4", "A5": "A5", "CR80": "85.6mm 54mm"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_BOX = (600, 800)  # enough for a card at 300 dpi; bigger photos are scaled down

# kind -> title shown on the verification page (lazy, translated there).
KINDS: dict[str, object] = {}


class DocumentError(ValueError):
    """Bad input for a document (an unreadable photo); the message is for the user."""


# ---- Codes and URLs ------------------------------------------------------------


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalize_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def verify_url(code: str) -> str:
    """The absolute URL of the public verification page of ``code``."""
    return f"{settings.COLLAB_PUBLIC_URL}{reverse('verify_document', args=[code])}"


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as a PNG data URI (an image readers can extract)."""
    import segno

    return segno.make(text, error="m").png_data_uri(scale=6, border=4)


# ---- Dates -------------------------------------------------------------------


def short_date(day: datetime.date | None) -> str:
    """dd/mm/yyyy in every language: the one convention of the product."""
    return f"{day:%d/%m/%Y}" if day else ""


def hijri_date(day: datetime.date, language: str) -> str:
    """The Hijri (Umm al-Qura) date, day month-name year, in ``language``."""
    from hijridate import Gregorian

    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except OverflowError:  # outside the Umm al-Qura table (1937-2077)
        return ""
    if language == "ar":
        return f"{hijri.day} {hijri.month_name('ar')} {hijri.year} هـ"
    suffix = "H" if language == "fr" else "AH"
    return f"{hijri.day} {hijri.month_name('en')} {hijri.year} {suffix}"


# ---- Rendering ---------------------------------------------------------------


def _file_data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def emblem_data_uri() -> str:
    """The letterhead's emblem: settings.COLLAB_DOCUMENT_EMBLEM, a file path or a
    static path, so a deployment replaces it without touching templates."""
    configured = settings.COLLAB_DOCUMENT_EMBLEM
    path = Path(configured)
    if not path.is_absolute():
        found = finders.find(configured)
        path = Path(found) if found else path
    if not path.is_file():
        raise FileNotFoundError(f"COLLAB_DOCUMENT_EMBLEM: no file at {configured}")
    return _file_data_uri(path)


def image_data_uri(data: bytes | str | None) -> str:
    if not data:
        return ""
    if isinstance(data, str):
        return data
    mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _layout_context(context: dict, language: str, code: str | None, page: str) -> dict:
    letterhead = settings.COLLAB_DOCUMENT_LETTERHEAD
    issued_on = context.get("issued_on") or timezone.localdate()
    if isinstance(issued_on, datetime.datetime):
        issued_on = timezone.localtime(issued_on).date() if timezone.is_aware(issued_on) \
            else issued_on.date()
    directorate = context.get("directorate") or letterhead["directorate"]
    place = letterhead["place"]
    full = {
        "language": language,
        "direction": "rtl" if language == "ar" else "ltr",
        "page_size": PAGE_SIZES[page],
        "letterhead": {**letterhead, "directorate": directorate},
        "emblem": emblem_data_uri(),
        "place": place.get(language) or place.get("fr", ""),
        "issued_on": issued_on,
        "date": short_date(issued_on),
        "hijri": hijri_date(issued_on, language),
        **context,
    }
    full["photo"] = image_data_uri(context.get("photo"))
    full["valid_until_date"] = short_date(context.get("valid_until"))
    if code:
        full["code"] = code
        full["verify_url"] = verify_url(code)
        full["qr"] = qr_data_uri(full["verify_url"])
    return full


def render_html(template_name: str, context: dict, *, language: str, code: str | None = None,
                page: str = "A4") -> str:
    with translation.override(language):
        return render_to_string(template_name, _layout_context(context, language, code, page))


def render_pdf(template_name: str, context: dict, *, language: str, code: str | None = None,
               page: str = "A4") -> bytes:
    """The PDF of ``template_name`` (extending one of the layouts) in ``language``."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    if page not in PAGE_SIZES:
        raise ValueError(f"page must be one of {sorted(PAGE_SIZES)}")
    html = render_html(template_name, context, language=language, code=code, page=page)
    # Everything is inlined as data: URIs; refusing other schemes means text a
    # user typed can never make the server fetch a URL or read a file.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


# ---- Issuing -------------------------------------------------------------------


def register_kind(kind: str, title) -> None:
    """Declare a kind of verifiable document and its title on the public page."""
    KINDS[kind] = title


def _store_photo(photo) -> str:
    """Re-encode the photo as a bounded JPEG (drops metadata such as the
    place it was taken, and anything that is not an image) and store it."""
    from PIL import Image, UnidentifiedImageError

    from files.storage import get_file_store

    data = photo if isinstance(photo, bytes) else photo.read()
    if len(data) > PHOTO_MAX_BYTES:
        raise DocumentError(_("The photo is too large (5 MB at most)."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG"):
                raise DocumentError(_("The photo must be a JPEG or PNG image."))
            image = image.convert("RGB")
            image.thumbnail(PHOTO_BOX)
            out = io.BytesIO()
            image.save(out, "JPEG", quality=88)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise DocumentError(_("The photo must be a JPEG or PNG image.")) from exc
    out.seek(0)
    return get_file_store().save(out).key


def issue(kind: str, *, holder_name: str, language: str, statement: dict,
          valid_until: datetime.date | None = None, request=None, photo=None,
          reference: str = ""):
    """Record a verifiable document and return it (its ``code`` goes on the PDF).

    ``photo``: image bytes or a file object (JPEG or PNG); ``DocumentError``
    if it is not one, and nothing is recorded."""
    from requests.models import IssuedDocument

    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}: register_kind() it first")
    photo_key = _store_photo(photo) if photo is not None else ""
    code = new_code()
    while IssuedDocument.objects.filter(code=code).exists():
        code = new_code()
    return IssuedDocument.objects.create(
        code=code, kind=kind, request=request, language=language,
        statement=statement,
        holder_name=holder_name, photo_key=photo_key, valid_until=valid_until,
        reference=reference,
    )


def revoke(document) -> None:
    """The document no longer attests anything (the public page says so)."""
    if document.revoked_at is None:
        document.revoked_at = timezone.now()
        document.save(update_fields=["revoked_at"])


def photo_bytes(document) -> bytes:
    from files.storage import get_file_store

    if not document.photo_key:
        return b""
    return b"".join(get_file_store().open(document.photo_key))


def document_pdf(document, template_name: str, context: dict | None = None, *,
                 page: str = "A4") -> bytes:
    """The PDF of an issued document: its code, holder, photo and dates added."""
    full = {
        "reference": document.reference, "holder_name": document.holder_name,
        "issued_on": document.issued_at, "valid_until": document.valid_until,
        "statement": document.statement,
        **(context or {}),
    }
    if document.photo_key and "photo" not in full:
        full["photo"] = photo_bytes(document)
    return render_pdf(template_name, full, language=document.language, code=document.code,
                      page=page)


def pdf_response(pdf: bytes, filename: str, *, inline: bool = False):
    """An HTTP answer carrying a document's PDF, downloaded (or shown) as ``filename``."""
    from django.http import HttpResponse

    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def find(code: str):
    from requests.models import IssuedDocument

    code = normalize_code(code or "")
    if not code:
        return None
    return IssuedDocument.objects.filter(code=code).first()


def verified_document(code: str):
    """The public page's view of a document of a registered kind: who holds it
    and whether it is valid, nothing of what it states (registry.VERIFIERS)."""
    from requests.registry import VerifiedDocument

    document = find(code)
    if document is None or document.kind not in KINDS:
        return None
    today = timezone.localdate()
    expired = document.valid_until is not None and document.valid_until < today
    facts = [(_("Date of issue"), short_date(timezone.localtime(document.issued_at).date()))]
    if document.reference:
        facts.insert(0, (_("Reference"), document.reference))
    if document.valid_until:
        facts.append((_("Valid until"), short_date(document.valid_until)))
    photo_url = reverse("verify_document_photo", args=[document.code]) \
        if document.photo_key else ""
    return VerifiedDocument(
        language=translation.get_language() or settings.LANGUAGE_CODE,
        title=str(KINDS[document.kind]), body=[], facts=facts,
        valid=document.revoked_at is None and not expired,
        holder_name=document.holder_name, photo_url=photo_url,
        revoked=document.revoked_at is not None, expired=expired,
    )


# ---- The people a document names ------------------------------------------------

LANGUAGE_NAMES = {"ar": "Arabic", "fr": "French", "en": "English"}


def person_name(user, language: str) -> str:
    if language == "ar":
        return user.full_name_ar.strip()
    return (user.get_full_name() or "").strip()


def person_job_title(user, language: str) -> str:
    field = {"ar": "job_title_ar", "en": "job_title_en"}.get(language, "job_title")
    return (getattr(user, field, "") or "").strip()


def missing_person_data(user, language: str, *, job_title: bool = True,
                        gender: bool = True) -> list[str]:
    """What a document in ``language`` about ``user`` needs and their profile
    lacks, named for the reader (empty: the document can be written)."""
    missing = []
    if gender and not user.gender:
        missing.append(_("gender"))
    if not person_name(user, language):
        missing.append({"ar": _("full name in Arabic"), "fr": _("full name in Latin letters"),
                        "en": _("full name in Latin letters")}[language])
    if job_title and not person_job_title(user, language):
        missing.append({"ar": _("job title in Arabic"), "fr": _("job title in French"),
                        "en": _("job title in English")}[language])
    return missing


def person_facts(user, language: str) -> dict:
    """What a document states about a person, frozen into its statement."""
    return {"name": person_name(user, language), "job_title": person_job_title(user, language),
            "gender": user.gender}


def format_amount(value, language: str) -> str:
    """12 500,50 in French, 12500.50 elsewhere (two decimals)."""
    text = f"{value:,.2f}"
    if language == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text.replace(",", "")


def count_days(days, language: str) -> str:
    """"22 يومًا", "22 jours", "22 days": the number and the noun agreeing, through
    the catalogues' plural forms (Arabic has six). Half days read as a number."""
    from decimal import Decimal

    from django.utils.translation import ngettext, pgettext

    days = Decimal(days)
    with translation.override(language):
        if days == days.to_integral_value():
            n = int(days)
            return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
        number = f"{days.normalize()}"
        if language == "fr":
            number = number.replace(".", ",")
        return pgettext("a number of days with a fraction", "%(n)s days") % {"n": number}
