"""Announcement bodies are rich text written by people: clean them with nh3 (ammonia).

Allowed: basic formatting, lists, tables, links (http, https, mailto) and
images served by the intranet itself (relative src only). Everything else
(script, style, event handlers, remote images that would track readers) goes.
"""

from __future__ import annotations

from html import unescape

import nh3

TAGS = {
    "p", "br", "hr", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "mark",
    "h2", "h3", "h4", "blockquote", "pre", "code", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "th", "td", "a", "img", "span", "div",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "*": {"dir", "lang"},
}


def _same_origin(url: str) -> bool:
    # "/media/x.png" yes; "//evil/x.png" (protocol-relative) and "https://..." no.
    url = url.strip()
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not _same_origin(value):
        return None
    return value


def clean_html(html: str) -> str:
    return nh3.clean(
        html or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        attribute_filter=_filter,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_text(html: str) -> str:
    return unescape(nh3.clean(html or "", tags=set())).strip()
