from django import forms
from django.utils.translation import gettext_lazy as _

from collab.forms import Form, ModelForm

from .models_content import Lesson, Module, Question


class ModuleForm(ModelForm):
    class Meta:
        model = Module
        fields = ["title", "prerequisites"]
        widgets = {"prerequisites": forms.CheckboxSelectMultiple}

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        others = course.modules.all()
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        else:
            del self.fields["prerequisites"]
            return
        self.fields["prerequisites"].queryset = others
        self.fields["prerequisites"].required = False


# Fields each kind of lesson shows (title and required for all).
KIND_FIELDS = {
    Lesson.Kind.VIDEO: ["duration_seconds", "body"],
    Lesson.Kind.DOCUMENT: ["body"],
    Lesson.Kind.TEXT: ["body"],
    Lesson.Kind.QUIZ: ["body", "pass_mark", "max_attempts", "shuffle", "due_at"],
    Lesson.Kind.ASSIGNMENT: ["body", "pass_mark", "due_at"],
    Lesson.Kind.SCORM: ["body", "package"],
}


class LessonForm(ModelForm):
    # The id the streaming upload (/upload/) answered: filled by the page's script.
    file_id = forms.CharField(required=False, widget=forms.HiddenInput)
    # SCORM 1.2 package: checked by the service before it is stored.
    package = forms.FileField(
        label=_("SCORM 1.2 package (.zip)"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
        help_text=_("Leave empty to keep the current package."),
    )

    class Meta:
        model = Lesson
        fields = ["title", "required", "duration_seconds", "body", "pass_mark", "max_attempts",
                  "shuffle", "due_at"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 8, "dir": "auto"}),
            "due_at": forms.DateTimeInput(attrs={"type": "datetime-local"},
                                          format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        keep = {"title", "required", "file_id", *KIND_FIELDS[kind]}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if kind not in (Lesson.Kind.VIDEO, Lesson.Kind.DOCUMENT):
            del self.fields["file_id"]
        if "duration_seconds" in self.fields:
            self.fields["duration_seconds"].required = True
            self.fields["duration_seconds"].min_value = 1
            self.fields["duration_seconds"].widget.attrs["min"] = 1
        if "due_at" in self.fields:
            self.fields["due_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class QuestionForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    choices = forms.CharField(
        label=_("Answers"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One answer per line; start the correct ones with *. For true or false, "
                    "write * if the statement is true, nothing if it is false."),
    )
    feedback = forms.CharField(label=_("Feedback after the answer"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))

    def clean_choices(self):
        lines = [line.strip() for line in self.cleaned_data["choices"].splitlines()]
        parsed = []
        for line in lines:
            if not line:
                continue
            correct = line.startswith("*")
            text = line.lstrip("*").strip()
            if len(text) > 500:
                raise forms.ValidationError(_("An answer is limited to 500 characters."))
            parsed.append((text, correct))
        return parsed


class GradeForm(Form):
    grade = forms.IntegerField(label=_("Grade (out of 100)"), min_value=0, max_value=100)
    comment = forms.CharField(label=_("Comment"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
