"""File names and content types: what the server decides, never the browser.

Names are sanitised (no path, no control or bidi-override characters, Arabic
and every other script kept); types are detected from the first bytes.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

import filetype

MAX_NAME = 200
# Zero-width joiners shape Arabic/Persian script; every other format character
# (bidi overrides such as U+202E that disguise "fdp.exe" as "exe.pdf") goes.
_KEEP_FORMAT = {"\u200c", "\u200d"}

# Safe to show inline: the browser renders them without running anything.
PREVIEWABLE = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}

# Type filter on the pages: label -> list of MIME prefixes.
KINDS = {
    "image": ("image/",),
    "pdf": ("application/pdf",),
    "document": (
        "application/vnd.openxmlformats",
        "application/vnd.oasis.opendocument",
        "application/msword",
        "application/vnd.ms-",
        "application/rtf",
        "text/plain",
    ),
    "archive": (
        "application/zip",
        "application/x-tar",
        "application/gzip",
        "application/x-7z-compressed",
        "application/x-rar-compressed",
        "application/x-bzip2",
        "application/x-xz",
    ),
    "video": ("video/",),
    "audio": ("audio/",),
}


def sanitise_name(raw: str) -> str:
    name = unicodedata.normalize("NFC", raw or "")
    # No paths: keep what follows the last separator of any platform.
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        ch
        for ch in name
        if ch in _KEEP_FORMAT or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return "file"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_NAME]
    return name


_HTML = re.compile(
    rb"<(!doctype\s+html|html|head|body|script|iframe|object|embed|meta|title|style|a\s)",
    re.IGNORECASE,
)


def detect_type(head: bytes) -> str:
    """MIME type from content only. Markup is recognised so it is never inlined."""
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return kind.mime
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    lowered = text[:2048].lower()
    if b"<svg" in lowered:
        return "image/svg+xml"
    if _HTML.search(text[:2048]):
        return "text/html"
    if lowered.startswith(b"<?xml"):
        return "application/xml"
    if lowered.startswith(b"%pdf"):
        return "application/pdf"
    if b"\x00" not in head:
        try:
            # A cut multi-byte character at the end of the head is fine.
            head.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3:
                return "text/plain"
    return "application/octet-stream"


def is_previewable(content_type: str) -> bool:
    return content_type in PREVIEWABLE


def content_disposition(filename: str, inline: bool) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "file"
    ascii_name = re.sub(r'["\\\r\n;]', "_", ascii_name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
