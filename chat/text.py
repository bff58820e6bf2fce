"""Message text: safe rendering, search folding, mentions.

Rendering never trusts the text: it is escaped first, then a small markdown
subset (bold, italics, code, lists) and links are added, and the result goes
through nh3 (the Ammonia sanitiser) with a short allow-list.
"""

from __future__ import annotations

import re
import unicodedata

import nh3
from django.utils.html import escape

from collab.text import MENTION, text_language

ALLOWED_TAGS = {"strong", "em", "code", "ul", "ol", "li", "br", "a", "span", "p"}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "span": {"class"}}

_LIST_ITEM = re.compile(r"^\s*([-*•]|\d+[.)])\s+(.*)$")
_CODE = re.compile(r"`([^`\n]+)`")
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")


def _inline(escaped_line: str) -> str:
    protected: list[str] = []

    def keep(html: str) -> str:
        protected.append(html)
        return f"\x00{len(protected) - 1}\x00"

    line = _CODE.sub(lambda m: keep(f"<code>{m.group(1)}</code>"), escaped_line)
    line = _URL.sub(lambda m: keep(f'<a href="{m.group(0)}">{m.group(0)}</a>'), line)
    line = MENTION.sub(lambda m: keep(f'<span class="mention">@{m.group(1)}</span>'), line)
    line = _BOLD.sub(r"<strong>\1</strong>", line)
    line = _ITALIC.sub(r"<em>\2</em>", line)
    return re.sub("\x00(\\d+)\x00", lambda m: protected[int(m.group(1))], line)


def render_body(text: str) -> str:
    """Safe HTML for a message body (without the surrounding element)."""
    out: list[str] = []
    open_list: str | None = None
    lines = text.split("\n")
    for index, raw in enumerate(lines):
        item = _LIST_ITEM.match(raw)
        if item:
            kind = "ol" if item.group(1)[0].isdigit() else "ul"
            if open_list != kind:
                if open_list:
                    out.append(f"</{open_list}>")
                out.append(f"<{kind}>")
                open_list = kind
            out.append(f"<li>{_inline(escape(item.group(2)))}</li>")
            continue
        if open_list:
            out.append(f"</{open_list}>")
            open_list = None
        out.append(_inline(escape(raw)))
        if index < len(lines) - 1:
            out.append("<br>")
    if open_list:
        out.append(f"</{open_list}>")
    return nh3.clean(
        "".join(out),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


_FOLD_MAP = str.maketrans({"ى": "ي", "ة": "ه", "ٱ": "ا", "\u0640": None})


def fold(text: str) -> str:
    """Fold what writers vary so a query finds a word however it was typed.

    Arabic: alef forms (أ إ آ ٱ → ا), alef maqsura → ya, ta marbuta → ha,
    diacritics and tatweel dropped. Latin: accents dropped, case folded.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Combining marks cover Latin accents, Arabic harakat and the hamza/madda
    # that NFKD splits off alef, waw and ya.
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped.translate(_FOLD_MAP))


# The definite article and the clitics written joined to it: a search for
# "مدرسة" must find "المدرسة", "والمدرسة", "بالمدرسة" as well.
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")


def index_text(text: str) -> str:
    """What is stored for search: the folded text, plus each word without its article."""
    folded = fold(text)
    extra = [bare for word in re.findall(r"\w+", folded) if (bare := _bare(word)) != word]
    return folded + (" " + " ".join(extra) if extra else "")


def _bare(word: str) -> str:
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix):]
    return word


def search_terms(query: str) -> list[str]:
    """Folded words of a query, without punctuation."""
    return [_bare(w) for w in re.findall(r"\w+", fold(query)) if w][:10]


def mentioned_usernames(text: str) -> set[str]:
    return {m.group(1).rstrip(".") for m in MENTION.finditer(text)}


def excerpt(text: str, length: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def body_language(text: str, author_language: str = "") -> str:
    """The language of a message for its `lang` attribute (WCAG 3.1.2): Arabic when
    Arabic letters dominate, else the author's Latin language (French by default);
    "" when the text has no letters to tell."""
    return text_language(text, author_language)


def highlight(text: str, query: str) -> str:
    """Escaped text with each word matching the query (folded as search folds
    it, so "مدرسه" marks "المدرسة") wrapped in <mark class="hit">."""
    terms = search_terms(query)
    out = []
    for part in re.split(r"(\w+)", text):
        if part and terms and re.match(r"\w", part) and any(
            _bare(fold(part)).startswith(t) or fold(part).startswith(t) for t in terms
        ):
            out.append(f'<mark class="hit">{escape(part)}</mark>')
        else:
            out.append(escape(part))
    return "".join(out)
