"""``{% avatar person 32 %}``: a person's photo, or their initials on a colour
of their own. Decorative: it always sits beside the person's name, so it is
hidden from screen readers (``alt=""``, ``aria-hidden``)."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html

register = template.Library()

COLOURS = 10  # .avatar-c0 … .avatar-c9 in collab.css, each 7:1 or more against white
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_WORD_BREAKS = re.compile(r"[\s.\-_'’]+")


def initials(name: str) -> str:
    """First letters of the first and last words of ``name``. Arabic: the
    article of a family name is skipped (الإدريسي → إ) and the two letters are
    kept apart by a zero-width non-joiner, as initials are not a word."""
    words = [w for w in _WORD_BREAKS.split(name.strip()) if w]
    if not words:
        return "?"
    chosen = [words[0], words[-1]] if len(words) > 1 else [words[0]]
    if _ARABIC.match(words[0]):
        return "\u200c".join((w[2:] if w.startswith("ال") and len(w) > 2 else w)[0]
                             for w in chosen)
    return "".join(w[0] for w in chosen).upper()


def avatar_html(person, size: int = 32) -> str:
    if person is None:
        return ""
    size = int(size)
    if person.avatar_url:
        return format_html(
            '<img class="avatar" src="{}" width="{}" height="{}" style="--avatar-size:{}px" '
            'alt="" aria-hidden="true" loading="lazy" decoding="async">',
            person.avatar_url, size, size, size)
    return format_html(
        '<span class="avatar avatar-initials avatar-c{}" style="--avatar-size:{}px" '
        'aria-hidden="true" dir="auto">{}</span>',
        (person.pk or 0) % COLOURS, size, initials(person.display_name))


@register.simple_tag
def avatar(person, size: int = 32):
    return avatar_html(person, size)
