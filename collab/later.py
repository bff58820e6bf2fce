"""Texts written now and translated when read, in the reader's language then.

A notification is stored once but read later, perhaps after its reader has
changed language. So it keeps the English message id and its parameters, not
a translation: ``gettext_later("%(name)s shared “%(file)s” with you", ...)``
gives a :class:`Later`, stored as JSON, and ``render()`` translates it with
gettext/ngettext in whatever language is active when it is shown.

Parameters stay as data until then:

- plain strings and numbers (free text such as a file name or a comment is
  never translated);
- a :class:`Later` (a translated part inside another message);
- a ``date`` or ``datetime``: formatted the reader's way;
- :func:`in_every_language`: a value the application itself words per language
  (a person's name in Arabic or Latin script, a course title, a choice label),
  worked out once per language when the message is written. Such a value can
  also stand for a whole text.

``makemessages`` extracts ``gettext_later`` and ``ngettext_later`` like
``gettext_noop`` (collab/management/commands/makemessages.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format


@dataclass(frozen=True)
class Each:
    """One value per language code; see :func:`in_every_language`."""

    values: dict[str, str]

    def __str__(self) -> str:
        return pick_language(self.values)


@dataclass(frozen=True)
class Later:
    """A message id and its parameters, translated each time it is turned into text."""

    msgid: str
    params: dict = field(default_factory=dict)
    plural: str = ""
    number: str = ""  # the parameter holding the count, for a plural

    def as_json(self) -> dict:
        data = {"msgid": self.msgid}
        if self.params:
            data["params"] = {key: _param_json(value) for key, value in self.params.items()}
        if self.plural:
            data["plural"], data["number"] = self.plural, self.number
        return data

    def __str__(self) -> str:
        return render(self.as_json())


def gettext_later(msgid: str, **params) -> Later:
    return Later(msgid, params)


def ngettext_later(singular: str, plural: str, number: str, **params) -> Later:
    """Like ``ngettext_lazy(singular, plural, number)``: ``params[number]`` is the count."""
    if not isinstance(params.get(number), int):
        raise TypeError(f"{number!r} must be given as an int: it chooses the plural form")
    return Later(singular, params, plural, number)


def in_every_language(value: Callable[[], object]) -> Each:
    """``value()`` worked out with each language active in turn."""
    values = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            values[code] = str(value())
    return Each(values)


def pick_language(values: dict[str, str]) -> str:
    """The value for the active language, or the first one there is."""
    code = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    if values.get(code):
        return values[code]
    return next((v for v in values.values() if v), "")


def as_json(text) -> dict:
    """What a model stores for ``text``: {} for plain (untranslated) text."""
    if isinstance(text, Each):
        return {"each": text.values}
    return text.as_json() if isinstance(text, Later) else {}


def render(message: dict | None, fallback: str = "") -> str:
    """``message`` (from :meth:`Later.as_json`) in the active language; ``fallback``
    (the text stored when it was written) when there is none or it cannot be read."""
    if not message:
        return fallback
    try:
        if "each" in message:
            return pick_language(message["each"]) or fallback
        params = {key: _param_text(value) for key, value in message.get("params", {}).items()}
        if message.get("plural"):
            count = int(message["params"][message["number"]])
            text = translation.ngettext(message["msgid"], message["plural"], count)
        else:
            text = translation.gettext(message["msgid"])
        return text % params if params else text
    except (KeyError, TypeError, ValueError):
        # A row written by another version of the code: its text is still right.
        return fallback


def _param_json(value):
    if isinstance(value, Later):
        return {"text": value.as_json()}
    if isinstance(value, Each):
        return {"each": value.values}
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return str(value)


def _param_text(value):
    if not isinstance(value, dict):
        return value
    if "text" in value:
        return render(value["text"])
    if "each" in value:
        return pick_language(value["each"])
    if "datetime" in value:
        moment = timezone.localtime(datetime.datetime.fromisoformat(value["datetime"]))
        return date_format(moment, "SHORT_DATETIME_FORMAT")
    if "date" in value:
        return date_format(datetime.date.fromisoformat(value["date"]), "SHORT_DATE_FORMAT")
    raise ValueError(f"unknown parameter {value!r}")
