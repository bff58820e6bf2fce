"""Announcement bodies are rich text written by people: clean them with nh3 (ammonia).

Allowed: what the announcement editor produces (paragraphs, headings, bold,
italic, underline, strike, lists, quotes, tables, links in http, https or
mailto, and images served by the intranet itself: relative src only), each
block with its own writing direction. Everything else (script, style, event
handlers, frames, remote images that would track readers) goes.
"""

from __future__ import annotations

import re
from html import escape, unescape

import nh3

BLOCKS = {"p", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "table", "thead", "tbody",
          "tr", "th", "td", "pre", "div"}
TAGS = BLOCKS | {
    "br", "hr", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "mark", "code",
    "a", "img", "span",
}
# Per paragraph: an Arabic announcement may quote a French sentence.
DIRECTED = {tag: {"dir", "lang"} for tag in BLOCKS}
ATTRIBUTES = DIRECTED | {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "dir", "lang"},
    "th": {"colspan", "rowspan", "scope", "dir", "lang"},
    "td": {"colspan", "rowspan", "dir", "lang"},
    "span": {"dir", "lang"},
}
DIRECTIONS = {"rtl", "ltr", "auto"}

# Any element at all: without one, a body is plain text from before the editor.
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n")


def _same_origin(url: str) -> bool:
    # "/media/x.png" yes; "//evil/x.png" (protocol-relative) and "https://..." no.
    url = url.strip()
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not _same_origin(value):
        return None
    if attribute == "dir" and value.strip().lower() not in DIRECTIONS:
        return None
    return value


def text_as_html(text: str) -> str:
    """Plain text (written before the editor existed, or sent so through the API)
    as paragraphs: blank lines part them, a single line break stays one."""
    paragraphs = [p.strip() for p in _BLANK_LINES.split(text.replace("\r\n", "\n"))]
    return "".join(
        "<p>" + escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )


def clean_html(html: str) -> str:
    html = html or ""
    if html.strip() and not _MARKUP.search(html):
        html = text_as_html(unescape(html))
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        attribute_filter=_filter,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_text(html: str) -> str:
    return unescape(nh3.clean(html or "", tags=set())).strip()
