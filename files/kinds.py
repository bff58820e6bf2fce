"""Friendly names and icons for file types: people read "PDF document", not
"application/pdf"."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class FileKind:
    label: str
    icon: str  # a short tag drawn on the icon
    colour: str


# One context for every kind: "Audio" or "File" read differently elsewhere.
_KINDS = {
    "pdf": FileKind(pgettext_lazy("file type", "PDF document"), "PDF", "#b3261e"),
    "image": FileKind(pgettext_lazy("file type", "Image"), "IMG", "#6a3d9a"),
    "word": FileKind(pgettext_lazy("file type", "Word document"), "DOC", "#1f5fbf"),
    "sheet": FileKind(pgettext_lazy("file type", "Spreadsheet"), "XLS", "#1b6e3a"),
    "slides": FileKind(pgettext_lazy("file type", "Presentation"), "PPT", "#a14d00"),
    "text": FileKind(pgettext_lazy("file type", "Text file"), "TXT", "#4f5965"),
    "archive": FileKind(pgettext_lazy("file type", "Compressed archive"), "ZIP", "#5c4a1e"),
    "audio": FileKind(pgettext_lazy("file type", "Audio"), "MP3", "#8a1c5c"),
    "video": FileKind(pgettext_lazy("file type", "Video"), "MP4", "#8a1c5c"),
    "other": FileKind(pgettext_lazy("file type", "File"), "", "#4f5965"),
}

_BY_TYPE = {
    "application/pdf": "pdf",
    "application/msword": "word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word",
    "application/vnd.oasis.opendocument.text": "word",
    "application/rtf": "word",
    "application/vnd.ms-excel": "sheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "sheet",
    "application/vnd.oasis.opendocument.spreadsheet": "sheet",
    "text/csv": "sheet",
    "application/vnd.ms-powerpoint": "slides",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "slides",
    "application/vnd.oasis.opendocument.presentation": "slides",
    "application/zip": "archive",
    "application/x-7z-compressed": "archive",
    "application/gzip": "archive",
    "application/x-tar": "archive",
}


def kind_of(content_type: str) -> FileKind:
    content_type = (content_type or "").split(";")[0].strip().lower()
    key = _BY_TYPE.get(content_type)
    if key is None:
        family = content_type.split("/")[0]
        key = {"image": "image", "audio": "audio", "video": "video", "text": "text"}.get(
            family, "other")
    return _KINDS[key]
