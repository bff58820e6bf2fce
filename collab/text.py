"""Characters no user text may carry, checked in one place.

A JSON string such as ``"\\ud800"`` decodes in Python to a lone surrogate: it
cannot be encoded to UTF-8, so it fails later, far from the input (sending a
frame, writing a row). PostgreSQL refuses NUL in text. Other control
characters are invisible, and can hide or fake content. So every field a user
sends is checked on the way in, and refused with a message in their language.

Tab, line feed and carriage return are allowed (a message has lines).
Directional formatting characters (bidi controls) are not refused here: where
they matter (names, messages, file names) they are handled with the rest of
the display rules; use :data:`BIDI_CONTROLS` for that.

The API: ``find_bad_char(text)`` returns the first refused character or None;
``check_text(text)`` raises :class:`BadText` (a ``ValueError`` with a
translated ``message``); ``find_bad_in(value)`` walks JSON-like values (keys
too); ``validate_text`` is a Django validator for model and form fields.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# C0 controls but tab, LF and CR; DEL and the C1 controls; surrogates (only
# ever lone in a Python str); the two non-characters ending the BMP.
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# Embeddings, overrides and isolates: they reorder the text that follows them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def find_bad_char(text: str) -> str | None:
    """The first character of ``text`` that no stored or sent text may hold."""
    match = _BAD.search(text)
    return match.group() if match else None


def char_name(char: str) -> str:
    """``U+0000``: how a refused character is named to the user."""
    return f"U+{ord(char):04X}"


def bad_char_message(char: str) -> str:
    return _(
        "The text contains a character that is not allowed (%(char)s). "
        "Remove it and try again."
    ) % {"char": char_name(char)}


class BadText(ValueError):
    def __init__(self, char: str):
        self.char = char
        self.message = bad_char_message(char)
        super().__init__(self.message)


def check_text(text: str) -> str:
    """``text`` itself, or :class:`BadText` for its first refused character."""
    char = find_bad_char(text)
    if char is not None:
        raise BadText(char)
    return text


def find_bad_in(value) -> str | None:
    """The first refused character in any string of a JSON-like value (keys too)."""
    stack = [value]
    while stack:  # no recursion: a hostile frame may nest deeply
        item = stack.pop()
        if isinstance(item, str):
            char = find_bad_char(item)
            if char is not None:
                return char
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def validate_text(value) -> None:
    """Django validator: refuse text holding a character :func:`find_bad_char` finds."""
    if isinstance(value, str):
        char = find_bad_char(value)
        if char is not None:
            raise ValidationError(bad_char_message(char), code="bad_character")


def strip_bidi(text: str) -> str:
    """``text`` without bidi embeddings, overrides and isolates.

    One of them in a name, title or message reorders what follows it for every
    reader (U+202E shows "fdp.exe" as "exe.pdf"). The marks U+200E, U+200F
    and U+061C stay: they only set the direction of the neutral characters
    beside them, people type them in mixed Arabic and Latin text, and pages
    isolate each user text (``<bdi>``, ``dir="auto"``) so they reach no further.
    """
    if not text:
        return text
    return "".join(c for c in text if c not in BIDI_CONTROLS)


# What Django and Starlette put where the bytes of a parameter were not UTF-8.
REPLACEMENT = "\ufffd"


def http_text_problem(text: str) -> str | None:
    """What a person is told about text that arrived in an HTTP parameter, or None.

    On top of :func:`find_bad_char`: U+FFFD, the decoder's mark for bytes
    that were not UTF-8 (a browser always sends UTF-8, so it is damaged or
    forged input, refused rather than stored with a hole in it).
    """
    if not text:
        return None
    char = find_bad_char(text)
    if char is not None:
        return bad_char_message(char)
    if REPLACEMENT in text:
        return _("Part of it could not be read (it was not valid UTF-8 text).")
    return None


def is_valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def text_language(text: str, latin_language: str = "") -> str:
    """The language of a user's text for its `lang` attribute (WCAG 3.1.2): Arabic
    when Arabic letters dominate, else ``latin_language`` if it is French or English
    (French by default, the ministry's other working language); "" when the text
    has no letters to tell."""
    arabic = len(_ARABIC_LETTER.findall(text or ""))
    latin = len(_LATIN_LETTER.findall(text or ""))
    if not arabic and not latin:
        return ""
    if arabic >= latin:
        return "ar"
    return latin_language if latin_language in ("fr", "en") else "fr"


# "@username" in a text: a mention (chat makes it a link, pages isolate it).
MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})", re.UNICODE)
