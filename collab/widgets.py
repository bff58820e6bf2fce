"""Form widgets shared by every app."""

from __future__ import annotations

import json
import re

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# What separates names typed by hand (the picker's no-script fallback):
# spaces, Latin and Arabic commas.
_SEPARATORS = re.compile(r"[\s,،]+")


class ChipPicker(forms.SelectMultiple):
    """Choose people or directorates by typing part of a name (Arabic or
    Latin script, folded as chat search folds); each choice is a removable
    chip. An ARIA combobox (collab/static/collab/picker.js) asks the search
    endpoint of its kind; directorates also get "all regional" / "all
    central" shortcuts. Never a native multi-select.

    Values: people by user name (their field sets ``to_field_name="username"``),
    directorates by primary key. Without script the page shows a plain
    fallback instead: a checkbox per directorate, or the user names typed
    separated by spaces or commas. A directorate picker only offers the
    directorates among its choices (a manager's own, say); a people picker
    never lists its choices (all the staff): its field's queryset checks them.
    """

    template_name = "collab/widgets/chip_picker.html"
    PEOPLE = "people"
    DIRECTORATES = "directorates"

    def __init__(self, kind: str = PEOPLE, attrs=None, choices=(), exclude_self: bool = False):
        super().__init__(attrs, choices)
        if kind not in (self.PEOPLE, self.DIRECTORATES):
            raise ValueError(f"unknown picker kind {kind!r}")
        self.kind = kind
        self.exclude_self = exclude_self

    def value_from_datadict(self, data, files, name):
        raw = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        if raw is None:
            return []
        if isinstance(raw, str):
            raw = [raw]
        tokens = (t.lstrip("@") for item in raw for t in _SEPARATORS.split(str(item)))
        return list(dict.fromkeys(t for t in tokens if t))

    def _chosen(self, values: list[str]) -> list[tuple[str, str, str]]:
        if not values:
            return []
        if self.kind == self.PEOPLE:
            from .models import User
            from .templatetags.avatars import avatar_html

            people = {
                u.username: (u.display_name, avatar_html(u, 24))
                for u in User.objects.filter(username__in=values, is_active=True,
                                             is_external=False)
            }
        else:
            people = {value: (label, "") for value, label in self._labels().items()}
        # A value matching nothing (forged, or someone who left) keeps a chip
        # under its raw value: the field's error names it beside the field.
        return [(v, *people.get(v, (v, ""))) for v in values]

    def _labels(self) -> dict[str, str]:
        return {str(value): str(label) for value, label in self.choices if str(value)}

    def get_context(self, name, value, attrs):
        # forms.Widget's context, not SelectMultiple's: a people picker must
        # not render an option per member of the staff.
        context = forms.Widget.get_context(self, name, value, attrs)
        values = [v for v in (context["widget"]["value"] or []) if v]
        widget = context["widget"]
        widget["kind"] = self.kind
        widget["chosen"] = self._chosen(values)
        widget["exclude_self"] = self.exclude_self
        widget["search_url"] = reverse(
            "pick_people" if self.kind == self.PEOPLE else "pick_directorates"
        )
        widget["typed"] = " ".join(values)
        if self.kind == self.DIRECTORATES:
            labels = self._labels()
            widget["options"] = [(v, label, v in values) for v, label in labels.items()]
            widget["only"] = ",".join(labels)
            widget["shortcuts"] = [
                ("regional", _("All regional directorates")),
                ("central", _("All central directorates")),
            ]
        widget["strings"] = json.dumps({
            "remove": str(_("Remove %(name)s")),
            "added": str(_("Added: %(name)s")),
            "removed": str(_("Removed: %(name)s")),
            "none": str(_("Nobody matches.") if self.kind == self.PEOPLE
                        else _("No directorate matches.")),
        })
        return context

    def format_value(self, value):
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return [str(v) for v in value if v is not None and str(v) != ""]
