from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from collab.forms import Form
from collab.models import Directorate, User
from collab.text import http_text_problem
from collab.widgets import ChipPicker

from . import integrations
from .naming import KINDS, sanitise_name
from .selectors import SORTS

KIND_LABELS = {
    "image": _("Images"),
    "pdf": _("PDF"),
    "document": _("Documents"),
    "archive": _("Archives"),
    "video": _("Videos"),
    "audio": _("Audio"),
}
SORT_LABELS = {
    "recent": _("Most recent"),
    "oldest": _("Oldest"),
    "name": _("Name A–Z"),
    "-name": _("Name Z–A"),
    "size": _("Smallest"),
    "-size": _("Largest"),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (attachments of requests and announcements)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        for item in data if isinstance(data, list | tuple) else [data]:
            if item and (problem := http_text_problem(getattr(item, "name", "") or "")):
                raise ValidationError(
                    _("File name “%(name)s”: %(problem)s")
                    % {"name": sanitise_name(item.name), "problem": problem},
                    code="bad_character",
                )
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class FileSearchForm(Form):
    q = forms.CharField(label=_("Search by name"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("All types"))] + [(k, KIND_LABELS[k]) for k in KINDS],
    )
    sort = forms.ChoiceField(
        label=_("Sort"), required=False, choices=[(k, SORT_LABELS[k]) for k in SORTS]
    )


class ShareForm(Form):
    users = forms.ModelMultipleChoiceField(
        label=_("People"), required=False, queryset=User.objects.none(),
        to_field_name="username", widget=ChipPicker(ChipPicker.PEOPLE, exclude_self=True),
    )
    directorates = forms.ModelMultipleChoiceField(
        label=_("Directorates"), required=False, queryset=Directorate.objects.all(),
        widget=ChipPicker(ChipPicker.DIRECTORATES),
    )
    # The owner's own conversations, where they may post: the file appears
    # there as an attachment message.
    conversations = forms.TypedMultipleChoiceField(
        label=_("Conversations"), required=False, coerce=int, choices=(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True, is_external=False)
        # Every conversation of the owner by its title (the page names shares
        # with it); only those the owner may post in can be chosen.
        self.conversation_titles: dict[int, str] = {}
        if owner is not None:
            people = people.exclude(pk=owner.pk)
            conversations = integrations.conversations_of(owner)
            self.conversation_titles = {pk: title for pk, title, _may_post in conversations}
            self.fields["conversations"].choices = [
                (pk, title) for pk, title, may_post in conversations if may_post
            ]
        self.fields["users"].queryset = people

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in ("users", "directorates", "conversations")):
            raise forms.ValidationError(
                _("Choose at least one person, directorate or conversation.")
            )
        return data
