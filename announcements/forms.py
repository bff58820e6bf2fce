from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django_prose_editor.widgets import ProseEditorWidget

from collab.forms import Form
from collab.models import Directorate
from collab.widgets import ChipPicker
from files.forms import MultipleFileField

from . import services
from .models import Announcement, Attachment


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


# The editor's own words (its dialogs ask window.gettext) and ours, in the
# page's language: announcements/static/announcements/compose.js hands them over.
EDITOR_STRINGS = {
    "Update": _("Update"),
    "Cancel": _("Cancel"),
    "Insert": _("Insert"),
    "URL": _("Address (URL)"),
    "Title": _("Title"),
    "Edit Link": _("Link"),
    "Open in new window": _("Open in a new window"),
    "Insert Table": _("Insert a table"),
    "Rows": _("Rows"),
    "Columns": _("Columns"),
    "Include header row": _("With a header row"),
    "Alternative Text": _("Description of the image for people who cannot see it"),
    "Insert image": _("Insert an image"),
    "Uploading the image…": _("Uploading the image…"),
    "The image could not be uploaded. Try again.": _(
        "The image could not be uploaded. Try again."
    ),
    "Formatting": _("Formatting"),
}
# Names of the editor's menu items, and what a screen reader says for each.
EDITOR_BUTTONS = {
    "heading2": _("Heading"),
    "heading3": _("Subheading"),
    "paragraph": _("Paragraph"),
    "bulletList": _("Bulleted list"),
    "orderedList": _("Numbered list"),
    "orderedListProperties": _("Numbering"),
    "blockquote": _("Quote"),
    "bold": _("Bold"),
    "italic": _("Italic"),
    "underline": _("Underline"),
    "strike": _("Strikethrough"),
    "link": _("Link"),
    "unlink": _("Remove the link"),
    "direction:rtl": _("Right to left (Arabic)"),
    "direction:ltr": _("Left to right (French)"),
    "image": _("Insert an image"),
    "table": _("Insert a table"),
    "table:addColumnAfter": _("Add a column"),
    "table:deleteColumn": _("Delete the column"),
    "table:addRowAfter": _("Add a row"),
    "table:deleteRow": _("Delete the row"),
    "table:mergeCells": _("Merge cells"),
    "table:splitCell": _("Split the cell"),
    "table:toggleHeaderCell": _("Header cell"),
    "history:undo": _("Undo"),
    "history:redo": _("Redo"),
}


class BodyEditor(ProseEditorWidget):
    """The rich-text editor of an announcement's text, in one language."""

    def __init__(self, language: str):
        direction = "rtl" if language == "ar" else "ltr"
        super().__init__(
            attrs={"dir": direction, "lang": language, "rows": 8},
            preset="announcements",
            config={
                "upload": reverse_lazy("announcements:image_upload"),
                "strings": EDITOR_STRINGS,
                "buttons": EDITOR_BUTTONS,
            },
        )


class AnnouncementForm(Form):
    title_ar = forms.CharField(
        label=_("Title (Arabic)"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
    )
    body_ar = forms.CharField(
        label=_("Text (Arabic)"), required=False,
        widget=BodyEditor("ar"),
    )
    title_fr = forms.CharField(
        label=_("Title (French)"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "lang": "fr"}),
    )
    body_fr = forms.CharField(
        label=_("Text (French)"), required=False,
        widget=BodyEditor("fr"),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Announcement.Category.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Announcement.Priority.choices)
    to_all_staff = forms.BooleanField(label=_("All staff"), required=False)
    directorates = forms.ModelMultipleChoiceField(
        label=_("Directorates"),
        queryset=Directorate.objects.order_by("kind", "name_fr"),
        required=False,
        widget=ChipPicker(ChipPicker.DIRECTORATES),
    )
    include_subdirectorates = forms.BooleanField(
        label=_("Include their sub-directorates"), required=False
    )
    pinned = forms.BooleanField(label=_("Pin on top of the feed"), required=False)
    publish_at = forms.DateTimeField(
        label=_("Publish at (for scheduling)"), required=False, widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%z",
                       "%Y-%m-%dT%H:%M:%S"],
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at (optional)"), required=False, widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%z",
                       "%Y-%m-%dT%H:%M:%S"],
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    remove_attachments = forms.ModelMultipleChoiceField(
        label=_("Remove attachments"),
        queryset=Attachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user=None, action=services.DRAFT, announcement=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        if announcement is not None and announcement.attachments.exists():
            self.fields["remove_attachments"].queryset = announcement.attachments.all()
        else:
            del self.fields["remove_attachments"]
        from . import policies

        allowed = policies.addressable_directorate_ids(user) if user is not None else None
        self.addresses_anyone = allowed is None
        if allowed is not None:
            # Managers are offered only what they may address; a forged id or
            # "all staff" still validates here and is refused by the service with 403.
            self.fields["directorates"].widget.choices = [
                (d.pk, str(d))
                for d in Directorate.objects.filter(pk__in=allowed).order_by("kind", "name_fr")
            ]
            self.fields["to_all_staff"].widget = forms.HiddenInput()

    def to_input(self) -> services.AnnouncementInput:
        data = self.cleaned_data
        return services.AnnouncementInput(
            title_ar=data.get("title_ar", ""),
            title_fr=data.get("title_fr", ""),
            body_ar=data.get("body_ar", ""),
            body_fr=data.get("body_fr", ""),
            category=data.get("category", ""),
            priority=data.get("priority", ""),
            to_all_staff=bool(data.get("to_all_staff")),
            directorate_ids=[d.pk for d in data.get("directorates") or []],
            include_subdirectorates=bool(data.get("include_subdirectorates")),
            pinned=bool(data.get("pinned")),
            publish_at=data.get("publish_at"),
            expires_at=data.get("expires_at"),
        )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.check_rules(self.to_input(), self.action)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                target = name if name in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        return cleaned

    @classmethod
    def initial_from(cls, announcement: Announcement) -> dict:
        return {
            "title_ar": announcement.title_ar,
            "title_fr": announcement.title_fr,
            "body_ar": announcement.body_ar,
            "body_fr": announcement.body_fr,
            "category": announcement.category,
            "priority": announcement.priority,
            "to_all_staff": announcement.to_all_staff,
            "directorates": list(announcement.directorates.all()),
            "include_subdirectorates": announcement.include_subdirectorates,
            "pinned": announcement.pinned,
            "publish_at": announcement.publish_at,
            "expires_at": announcement.expires_at,
        }


class ImageForm(Form):
    image = forms.FileField(label=_("Image"))
    alt = forms.CharField(label=_("Description of the image"), max_length=300, required=False)


class FeedFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("All categories"))] + list(Announcement.Category.choices),
        required=False,
    )
    directorate = forms.ModelChoiceField(
        label=_("Directorate"),
        queryset=Directorate.objects.order_by("kind", "name_fr"),
        required=False,
        empty_label=_("All directorates"),
    )
