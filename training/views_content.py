"""Learning a course (outline, lessons, video, quizzes, assignments), the
training record and certificates, and authoring for trainers.

Thin views: parse, check permission (policies), call one service, render.
A course or lesson the user may not reach answers the same 404 as a missing
one.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from collab.audit import Concealed

from . import policies
from . import selectors_content as selectors
from . import services_content as services
from .forms_content import GradeForm, LessonForm, ModuleForm, QuestionForm
from .models import Course
from .models_content import AssignmentSubmission, Certificate, Lesson, Module, Question

# ---- Access ----------------------------------------------------------------


class Access:
    """How the user reaches a course: as a learner, or as its trainer
    previewing it (sees everything, records nothing)."""

    def __init__(self, course, enrolment, manager: bool):
        self.course = course
        self.enrolment = enrolment
        self.manager = manager

    @property
    def preview(self) -> bool:
        return self.enrolment is None


def _access(user, course: Course) -> Access:
    enrolment = selectors.learning_enrolment(user, course.pk)
    manager = policies.can_manage_course(user, course)
    if enrolment is None and not manager:
        raise Concealed
    return Access(course, enrolment, manager)


def _course(user, code: str) -> Access:
    return _access(user, get_object_or_404(Course, code=code))


def _lesson(user, pk: int) -> tuple[Lesson, Access]:
    lesson = selectors.lesson_with_course(pk)
    if lesson is None:
        raise Http404
    return lesson, _access(user, lesson.module.course)


def _managed_course(user, code: str) -> Course:
    course = get_object_or_404(Course, code=code)
    if not policies.can_manage_course(user, course):
        raise Concealed
    return course


def _managed_lesson(user, pk: int) -> Lesson:
    lesson = selectors.lesson_with_course(pk)
    if lesson is None:
        raise Http404
    if not policies.can_manage_course(user, lesson.module.course):
        raise Concealed
    return lesson


def _managed_module(user, pk: int) -> Module:
    module = get_object_or_404(Module.objects.select_related("course"), pk=pk)
    if not policies.can_manage_course(user, module.course):
        raise Concealed
    return module


# ---- Learning --------------------------------------------------------------


@login_required
@require_GET
def outline(request, code):
    access = _course(request.user, code)
    return render(request, "training/learn.html", {
        "course": access.course,
        "access": access,
        "modules": selectors.outline(access.course, request.user, preview=access.preview),
    })


def _lesson_context(request, lesson: Lesson, access: Access, **extra) -> dict:
    user = request.user
    context = {"lesson": lesson, "course": access.course, "access": access,
               "locked_by": [] if access.preview else selectors.lesson_lock(user, lesson),
               **extra}
    if not access.preview:
        context["progress"] = selectors.progress_of(user, lesson)
    if lesson.kind == Lesson.Kind.QUIZ:
        questions = list(lesson.questions.prefetch_related("choices"))
        # A stable order per learner and attempt: a reload shows the same page.
        attempts = list(selectors.attempts_of(user, lesson)) if not access.preview else []
        seed = f"{user.pk}:{lesson.pk}:{len(attempts)}"
        if lesson.shuffle:
            questions = services.shuffled(questions, seed)
        for question in questions:
            choices = list(question.choices.all())
            question.shown_choices = (
                services.shuffled(choices, f"{seed}:{question.pk}") if lesson.shuffle
                else choices
            )
        context["questions"] = questions
        context["attempts"] = attempts
        context["attempts_left"] = (
            None if lesson.max_attempts is None else max(lesson.max_attempts - len(attempts), 0)
        )
    if lesson.kind == Lesson.Kind.ASSIGNMENT and not access.preview:
        context["submission"] = selectors.submission_of(user, lesson)
    return context


@login_required
@require_GET
def lesson(request, pk):
    lesson, access = _lesson(request.user, pk)
    return render(request, "training/lesson.html", _lesson_context(request, lesson, access))


@xframe_options_sameorigin  # PDFs show in an iframe on the lesson page
@login_required
@require_GET
def lesson_media(request, pk):
    """The lesson's video or PDF, streamed from the file store with Range."""
    from files.views import serve_version

    lesson, access = _lesson(request.user, pk)
    if lesson.file is None or (not access.preview and selectors.lesson_lock(request.user, lesson)):
        raise Http404
    return serve_version(request, lesson.file.current_version, inline=True)


# What a SCORM package's own pages may do: run their scripts and reach
# their own package's files, nothing from elsewhere (no other site, no
# forms posted out, no plugins), and never be framed by another site.
SCORM_CSP = (
    "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; "
    "connect-src 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'self'"
)


@xframe_options_sameorigin  # shown in the lesson page's iframe
@login_required
@require_GET
def scorm_member(request, pk, member):
    """One file of the lesson's SCORM package, read from the stored zip."""
    from . import scorm

    lesson, access = _lesson(request.user, pk)
    if (lesson.kind != Lesson.Kind.SCORM or lesson.file is None
            or (not access.preview and selectors.lesson_lock(request.user, lesson))):
        raise Http404
    version = lesson.file.current_version
    found = scorm.read_member(version, member) if version and version.available else None
    if found is None:
        raise Http404
    data, content_type = found
    if content_type.startswith("text/") or content_type.endswith(("javascript", "json", "xml")):
        content_type += "; charset=utf-8"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Security-Policy"] = SCORM_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def scorm_runtime(request, pk):
    """The runtime API's commit: JSON {"cmi.core.lesson_status": ...}."""
    import json

    lesson, access = _lesson(request.user, pk)
    if lesson.kind != Lesson.Kind.SCORM:
        raise Http404
    if access.preview:
        return JsonResponse({"ok": True, "preview": True})
    if selectors.lesson_lock(request.user, lesson):
        return _refused(_("This lesson is not open to you yet."))
    try:
        values = json.loads(request.body or b"{}")
        progress = services.record_scorm(request.user, lesson, values)
    except ValueError:
        return _refused(_("These values cannot be read."))
    except services.ContentRefused as exc:
        return _refused(exc.message)
    return JsonResponse({"ok": True, "completed": progress.completed_at is not None})


def _refused(message: str) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=400)


@login_required
@require_POST
def lesson_progress(request, pk):
    """The player's report of where the learner is: JSON."""
    lesson, access = _lesson(request.user, pk)
    if access.preview:
        return JsonResponse({"ok": True, "preview": True})
    if selectors.lesson_lock(request.user, lesson):
        return _refused(_("This lesson is not open to you yet."))
    try:
        progress = services.record_video_position(request.user, lesson,
                                                  request.POST.get("position"))
    except services.ContentRefused as exc:
        return _refused(exc.message)
    enrolment = selectors.learning_enrolment(request.user, access.course.pk)
    return JsonResponse({
        "ok": True,
        "completed": progress.completed_at is not None,
        "progress": enrolment.progress_percent if enrolment else 0,
    })


@login_required
@require_POST
def lesson_done(request, pk):
    lesson, access = _lesson(request.user, pk)
    if not access.preview:
        try:
            if selectors.lesson_lock(request.user, lesson):
                raise services.ContentRefused(_("This lesson is not open to you yet."))
            services.mark_read(request.user, lesson)
        except services.ContentRefused as exc:
            messages.error(request, exc.message)
    return redirect("training:lesson", pk=lesson.pk)


@login_required
@require_POST
def quiz_submit(request, pk):
    lesson, access = _lesson(request.user, pk)
    if access.preview:
        messages.info(request, _("Preview: answers are not recorded."))
        return redirect("training:lesson", pk=lesson.pk)
    answers = {key: request.POST.getlist(key) for key in request.POST
               if key != "csrfmiddlewaretoken"}
    try:
        if selectors.lesson_lock(request.user, lesson):
            raise services.ContentRefused(_("This lesson is not open to you yet."))
        attempt = services.submit_quiz(request.user, lesson, answers)
    except services.ContentRefused as exc:
        context = _lesson_context(request, lesson, access, error=exc.message)
        return render(request, "training/lesson.html", context)
    return render(request, "training/lesson.html",
                  _lesson_context(request, lesson, access, result=_result(lesson, attempt)))


def _result(lesson: Lesson, attempt) -> dict:
    """Right or wrong per question, with its feedback; never the right answers."""
    rows = []
    for question in lesson.questions.prefetch_related("choices"):
        chosen = set(attempt.answers.get(str(question.pk), []))
        right = {c.pk for c in question.choices.all() if c.correct}
        rows.append({"question": question, "right": chosen == right})
    return {"attempt": attempt, "rows": rows}


@login_required
@require_POST
def assignment_submit(request, pk):
    lesson, access = _lesson(request.user, pk)
    if access.preview:
        messages.info(request, _("Preview: nothing is submitted."))
        return redirect("training:lesson", pk=lesson.pk)
    try:
        if selectors.lesson_lock(request.user, lesson):
            raise services.ContentRefused(_("This lesson is not open to you yet."))
        services.submit_assignment(request.user, lesson, request.FILES.get("file"))
    except services.ContentRefused as exc:
        return render(request, "training/lesson.html",
                      _lesson_context(request, lesson, access, error=exc.message))
    messages.success(request, _("Your work was submitted."))
    return redirect("training:lesson", pk=lesson.pk)


@login_required
@require_GET
def submission_file(request, pk):
    from files.views import serve_version

    submission = (AssignmentSubmission.objects
                  .select_related("lesson__module__course", "file__current_version")
                  .filter(pk=pk).first())
    if submission is None:
        raise Http404
    if submission.user_id != request.user.pk and not policies.can_manage_course(
        request.user, submission.lesson.module.course
    ):
        raise Concealed
    return serve_version(request, submission.file.current_version)


# ---- Record and certificates ------------------------------------------------


@login_required
@require_GET
def record(request):
    return render(request, "training/record.html",
                  {"enrolments": selectors.record_of(request.user)})


@login_required
@require_GET
def certificate(request, pk):
    from collab import documents

    cert = (Certificate.objects.select_related("enrolment__course", "enrolment__user",
                                               "document").filter(pk=pk).first())
    if cert is None:
        raise Http404
    if not policies.can_view_enrolment(request.user, cert.enrolment):
        raise Concealed
    language = request.GET.get("lang") or (get_language() or "ar")[:2]
    if language not in ("ar", "fr"):
        language = "fr"
    document = cert.document
    statement = document.statement
    pdf = documents.render_pdf(
        "training/documents/certificate.html",
        {
            # Frozen at issue: the PDF says what the verification page attests.
            "holder": statement.get(f"holder_{language}") or document.holder_name,
            "course_title": statement.get(f"course_{language}") or statement.get("course_fr"),
            "hours": int(statement.get("hours") or 0),
            "completed_on": documents.short_date(
                datetime.date.fromisoformat(statement["completed_on"])
            ),
            "holder_name": document.holder_name,
            "issued_on": document.issued_at,
            "reference": document.reference,
        },
        language=language, code=document.code,
    )
    response = documents.pdf_response(pdf, f"certificate-{document.code}-{language}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response


# ---- Authoring -------------------------------------------------------------


@login_required
def author(request, code):
    course = _managed_course(request.user, code)
    form = ModuleForm(request.POST or None, course=course)
    if request.method == "POST" and form.is_valid():
        services.create_module(course, form.cleaned_data["title"])
        messages.success(request, _("Module added."))
        return redirect("training:author", code=course.code)
    return render(request, "training/author.html", {
        "course": course, "form": form, "kinds": Lesson.Kind.choices,
        "modules": selectors.outline(course, preview=True),
    })


@login_required
def author_module(request, pk):
    module = _managed_module(request.user, pk)
    form = ModuleForm(request.POST or None, course=module.course, instance=module)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_module(module, form.cleaned_data["title"],
                                   form.cleaned_data["prerequisites"])
        except services.ContentRefused as exc:
            form.add_error("prerequisites", exc.message)
        else:
            messages.success(request, _("Module saved."))
            return redirect("training:author", code=module.course.code)
    return render(request, "training/author_module.html",
                  {"course": module.course, "module": module, "form": form})


@login_required
@require_POST
def author_move(request, what, pk):
    if what == "module":
        item = _managed_module(request.user, pk)
        course = item.course
    elif what != "lesson":
        raise Http404
    else:
        item = _managed_lesson(request.user, pk)
        course = item.module.course
    services.move(item, -1 if request.POST.get("direction") == "up" else 1)
    return redirect("training:author", code=course.code)


@login_required
def author_lesson_add(request, pk):
    module = _managed_module(request.user, pk)
    kind = request.GET.get("kind") or request.POST.get("kind")
    if kind not in Lesson.Kind.values:
        raise Http404
    return _lesson_form(request, module, None, kind)


@login_required
def author_lesson(request, pk):
    lesson = _managed_lesson(request.user, pk)
    return _lesson_form(request, lesson.module, lesson, lesson.kind)


def _lesson_form(request, module, lesson, kind):
    form = LessonForm(request.POST or None, request.FILES or None, instance=lesson, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "kind": kind}
        try:
            if kind == Lesson.Kind.SCORM:
                lesson = services.import_scorm(request.user, module, data,
                                               form.cleaned_data.get("package"), lesson)
            else:
                lesson = services.save_lesson(request.user, module, data, lesson)
        except services.ContentRefused as exc:
            form.add_error("package" if kind == Lesson.Kind.SCORM else None, exc.message)
        else:
            messages.success(request, _("Lesson saved."))
            return redirect("training:author_lesson", pk=lesson.pk)
    return render(request, "training/author_lesson.html", {
        "course": module.course, "module": module, "lesson": lesson, "kind": kind,
        "kind_label": Lesson.Kind(kind).label, "form": form,
        "question_form": QuestionForm() if lesson and kind == Lesson.Kind.QUIZ else None,
        "questions": lesson.questions.prefetch_related("choices") if lesson else [],
    })


@login_required
@require_POST
def author_lesson_delete(request, pk):
    lesson = _managed_lesson(request.user, pk)
    code = lesson.module.course.code
    lesson.delete()
    messages.success(request, _("Lesson deleted."))
    return redirect("training:author", code=code)


@login_required
@require_POST
def author_question_add(request, pk):
    lesson = _managed_lesson(request.user, pk)
    if lesson.kind != Lesson.Kind.QUIZ:
        raise Http404
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.add_question(lesson, form.cleaned_data["kind"], form.cleaned_data["text"],
                                  form.cleaned_data["feedback"], form.cleaned_data["choices"])
        except services.ContentRefused as exc:
            form.add_error("choices", exc.message)
        else:
            messages.success(request, _("Question added."))
            return redirect("training:author_lesson", pk=lesson.pk)
    return render(request, "training/author_lesson.html", {
        "course": lesson.module.course, "module": lesson.module, "lesson": lesson,
        "kind": lesson.kind, "kind_label": lesson.get_kind_display(),
        "form": LessonForm(instance=lesson, kind=lesson.kind), "question_form": form,
        "questions": lesson.questions.prefetch_related("choices"),
    })


@login_required
@require_POST
def author_question_delete(request, pk):
    question = get_object_or_404(Question.objects.select_related("lesson__module__course"), pk=pk)
    if not policies.can_manage_course(request.user, question.lesson.module.course):
        raise Concealed
    question.delete()
    return redirect("training:author_lesson", pk=question.lesson_id)


@login_required
def submissions(request, pk):
    lesson = _managed_lesson(request.user, pk)
    if lesson.kind != Lesson.Kind.ASSIGNMENT:
        raise Http404
    return render(request, "training/submissions.html", {
        "course": lesson.module.course, "lesson": lesson,
        "submissions": selectors.submissions_for(lesson), "form": GradeForm(),
    })


@login_required
@require_POST
def grade(request, pk):
    submission = get_object_or_404(
        AssignmentSubmission.objects.select_related("lesson__module__course", "user"), pk=pk
    )
    lesson = submission.lesson
    if not policies.can_manage_course(request.user, lesson.module.course):
        raise Concealed
    form = GradeForm(request.POST)
    if form.is_valid():
        services.grade_submission(request.user, submission, form.cleaned_data["grade"],
                                  form.cleaned_data["comment"])
        messages.success(request, _("Grade recorded."))
        return redirect("training:submissions", pk=lesson.pk)
    return render(request, "training/submissions.html", {
        "course": lesson.module.course, "lesson": lesson,
        "submissions": selectors.submissions_for(lesson), "form": form,
        "form_for": submission.pk,
    })
