"""Mixed Arabic and Latin text on one page: each user text keeps its own direction
and says its language when it is not the page's.

``{{ person.display_name|isolate }}`` gives ``<bdi>…</bdi>``: a name, title or file
name in the other script neither reorders the text around it nor is reordered by
it (a French sentence that ends with an Arabic name, an Arabic one that starts
with a Latin @mention). ``lang`` is added when the text's language differs from
the page's (WCAG 3.1.2), so a screen reader reads it with the right voice; pass
the language when it is known (``|isolate:"fr"``), otherwise it is told from the
script (collab.text.text_language).

``{{ text|lang_attr }}`` gives only the ` lang="…"` attribute (or nothing), for
an element that already isolates its text (``dir="auto"``).

``{{ text|isolate_mentions }}`` escapes plain text and puts each @mention in
``<bdi>``: ``dir="auto"`` skips isolated parts, so an Arabic message starting
with "@karim" still reads right to left.
"""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from collab.text import MENTION, text_language

register = template.Library()

LATIN = ("fr", "en")


def foreign_language(text: str, known: str = "") -> str:
    """The language of ``text`` when it is not the page's, else ""."""
    page = (get_language() or "ar")[:2]
    language = known or text_language(text)
    if not language or language == page:
        return ""
    if not known and language in LATIN and page in LATIN:
        return ""  # the script cannot tell French from English
    return language


@register.filter
def lang_attr(value, known: str = "") -> str:
    language = foreign_language(str(value or ""), known or "")
    return format_html(' lang="{}"', language) if language else ""


@register.filter
def isolate(value, known: str = "") -> str:
    text = str(value if value is not None else "")
    return format_html("<bdi{}>{}</bdi>", mark_safe(lang_attr(text, known)), text)


@register.filter(needs_autoescape=True)
def isolate_mentions(value, autoescape=True) -> str:
    text = str(conditional_escape(value) if autoescape else value)
    return mark_safe(MENTION.sub(lambda match: f"<bdi>{match.group(0)}</bdi>", text))
