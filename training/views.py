"""Thin views: parse, check permission, call one service or selector, render.

A course outside the user's audience (or a session of one) answers the same 404
as a missing one; for a visible course, what the user may not do answers 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from collab import exports

from . import charts, ics, policies, selectors, services
from .forms import (
    AnnouncementForm,
    CatalogueFilterForm,
    MandatoryForm,
    ReportFilterForm,
    SessionForm,
)
from .models import Enrolment, LiveSession

PAGE_SIZE = 24
REPORT_PAGE_SIZE = 50
# The dashboard charts and lists the most followed courses; exports have them all.
REPORT_TOP_COURSES = 20


def _context(request, **extra):
    return {"can_read_training_reports": policies.can_read_reports(request.user), **extra}


def _course_or_404(user, code: str):
    course = policies.visible_courses(user).filter(code=code).select_related("domain").first()
    if course is None:
        raise Http404
    return course


def _managed_course(user, code: str):
    course = _course_or_404(user, code)
    if not policies.can_manage_course(user, course):
        raise PermissionDenied
    return course


def _session_or_404(course, pk: int) -> LiveSession:
    session = course.sessions.filter(pk=pk).select_related("course").first()
    if session is None:
        raise Http404
    return session


# ---- Catalogue and course page ------------------------------------------------------------


@login_required
@require_GET
def catalogue(request):
    form = CatalogueFilterForm(request.GET or None)
    values = {}
    if form.is_valid():
        data = form.cleaned_data
        values = {
            "text": data["q"], "domain": data["domain"], "language": data["language"],
            "format": data["format"], "directorate": data["directorate"],
            "grade": data["grade"],
        }
    page = Paginator(selectors.catalogue(request.user, **values), PAGE_SIZE).get_page(
        request.GET.get("page"))
    page.object_list = selectors.with_seats_and_status(request.user, page.object_list)
    context = _context(request, form=form, page=page, hx_target="#course-results")
    if request.htmx and request.htmx.target == "course-results":
        return render(request, "training/partials/catalogue_results.html", context)
    return render(request, "training/catalogue.html", context)


def _course_context(request, course, **extra):
    user = request.user
    context = _context(
        request, course=course, **selectors.course_page(user, course),
        can_manage=policies.can_manage_course(user, course),
        can_assign=policies.can_assign_mandatory(user),
        can_enrol=policies.can_enrol(user, course),
        announcement_form=AnnouncementForm(),
    )
    context.update(extra)
    return context


@login_required
@require_GET
def course(request, code):
    found = _course_or_404(request.user, code)
    return render(request, "training/course.html", _course_context(request, found))


@login_required
@require_POST
def enrol(request, code):
    found = _course_or_404(request.user, code)
    try:
        enrolment = services.enrol(request.user, found)
    except services.TrainingError as error:
        messages.error(request, error.message)
        return redirect(found)
    if enrolment.status == Enrolment.Status.ENROLLED:
        messages.success(request, _("You are enrolled."))
    elif enrolment.status == Enrolment.Status.WAITING_LIST:
        messages.info(request, _(
            "The course is full: you are number %(n)s on the waiting list. You will be "
            "enrolled when a seat frees up.") % {"n": services.waiting_position(enrolment)})
    else:
        messages.info(request, _("Your request was sent to your manager for approval."))
    return redirect(found)


@login_required
@require_POST
def withdraw(request, code):
    found = _course_or_404(request.user, code)
    try:
        services.withdraw(request.user, found)
    except services.TrainingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You have left the course."))
    return redirect(found)


# ---- Learner dashboard --------------------------------------------------------------------


@login_required
@require_GET
def mine(request):
    return render(request, "training/mine.html", _context(
        request,
        enrolments=selectors.my_enrolments(request.user),
        sessions=selectors.my_upcoming_sessions(request.user),
    ))


# ---- Running a course (trainers, HR) -------------------------------------------------------


@login_required
@require_GET
def learners(request, code):
    found = _managed_course(request.user, code)
    return render(request, "training/learners.html", _context(
        request, course=found, enrolments=selectors.learners(found)))


@login_required
@require_http_methods(["GET", "POST"])
def mandatory(request, code):
    found = _course_or_404(request.user, code)
    if not policies.can_assign_mandatory(request.user):
        raise PermissionDenied
    form = MandatoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _assignment, count = services.assign_mandatory(
                request.user, found, due_date=data["due_date"],
                directorate=data["directorate"], group=data["group"])
        except services.TrainingError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, ngettext("The course is now mandatory for %(n)s person.",
                                               "The course is now mandatory for %(n)s people.",
                                               count) % {"n": count})
            return redirect(found)
    return render(request, "training/mandatory.html", _context(request, course=found, form=form))


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request, code):
    found = _managed_course(request.user, code)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.schedule_session(
                request.user, found, starts_at=data["starts_at"], ends_at=data["ends_at"],
                meeting_url=data["meeting_url"], title=data["title"])
        except services.TrainingError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The session is scheduled; learners were notified."))
            return redirect(found)
    return render(request, "training/session_form.html",
                  _context(request, course=found, form=form))


@login_required
@require_http_methods(["GET", "POST"])
def attendance(request, code, pk):
    found = _managed_course(request.user, code)
    session = _session_or_404(found, pk)
    error = None
    if request.method == "POST":
        try:
            ids = [int(v) for v in request.POST.getlist("present")]
            services.record_attendance(request.user, session, ids)
        except ValueError:
            error = _("Someone ticked is not enrolled in this course.")
        except services.TrainingError as refusal:
            error = refusal.message
        else:
            messages.success(request, _("Attendance recorded."))
            return redirect("training:attendance", code=found.code, pk=session.pk)
    return render(request, "training/attendance.html", _context(
        request, course=found, session=session, error=error,
        rows=selectors.session_attendance(session)),
        status=200)


@login_required
@require_GET
def session_ics(request, code, pk):
    found = _course_or_404(request.user, code)
    session = _session_or_404(found, pk)
    seated = found.enrolments.filter(user=request.user, status__in=Enrolment.SEATED).exists()
    if not (seated or policies.can_manage_course(request.user, found)):
        raise PermissionDenied
    body = ics.invitation(session, request.build_absolute_uri(found.get_absolute_url()))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.code}-{session.pk}.ics"'
    return response


@login_required
@require_POST
def announce(request, code):
    found = _managed_course(request.user, code)
    form = AnnouncementForm(request.POST)
    if form.is_valid():
        try:
            count = services.announce(request.user, found, title=form.cleaned_data["title"],
                                      body=form.cleaned_data["body"])
        except services.TrainingError as error:
            form.add_error("title", error.message)
        else:
            messages.success(request, ngettext("Announcement sent to %(n)s learner.",
                                               "Announcement sent to %(n)s learners.",
                                               count) % {"n": count})
            return redirect(found)
    return render(request, "training/course.html",
                  _course_context(request, found, announcement_form=form))


# ---- Reports (HR) ------------------------------------------------------------------------


def _report_rows(request):
    if not policies.can_read_reports(request.user):
        raise PermissionDenied
    form = ReportFilterForm(request.GET or None)
    values = {}
    if form.is_valid():
        values = {k: form.cleaned_data[k] for k in ("course", "directorate", "kind")}
    return form, selectors.report_enrolments(**values)


@login_required
@require_GET
def reports(request):
    form, rows = _report_rows(request)
    rtl = translation.get_language_bidi()
    per_course = selectors.by_course(rows, limit=REPORT_TOP_COURSES)
    per_directorate = selectors.by_directorate(rows)
    return render(request, "training/reports.html", _context(
        request, form=form, totals=selectors.totals(rows),
        per_course=per_course, per_directorate=per_directorate,
        directorate_chart=charts.stacked_bars(
            [(d["directorate"] or _("No directorate"), d["figures"]) for d in per_directorate],
            title=_("Learners per directorate"), rtl=rtl),
        course_chart=charts.stacked_bars(
            [(c["course"].title, c["figures"]) for c in per_course],
            title=_("Learners per course"), rtl=rtl),
    ))


@login_required
@require_GET
def report_learners(request):
    form, rows = _report_rows(request)
    page = Paginator(selectors.by_learner(rows), REPORT_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "training/report_learners.html", _context(
        request, form=form, page=page, lines=selectors.learner_lines(page.object_list)))


def _figures_header():
    return [_("Enrolled"), _("In progress"), _("Completed"), _("Overdue")]


def _figures_row(f):
    return [f.enrolled, f.in_progress, f.completed, f.overdue]


@login_required
@require_GET
def report_export(request):
    form, rows = _report_rows(request)
    scope = request.GET.get("scope", "learner")
    fmt = request.GET.get("format", "csv")
    if scope not in ("learner", "course", "directorate") or fmt not in ("csv", "xlsx"):
        raise Http404
    if scope == "course":
        header = [_("Code"), _("Course"), *_figures_header()]
        data = ([c["course"].code, c["course"].title, *_figures_row(c["figures"])]
                for c in selectors.by_course(rows))
    elif scope == "directorate":
        header = [_("Directorate"), _("Kind"), *_figures_header()]
        data = ([str(d["directorate"] or ""),
                 d["directorate"].get_kind_display() if d["directorate"] else "",
                 *_figures_row(d["figures"])] for d in selectors.by_directorate(rows))
    else:
        header = [_("Username"), _("Name"), _("Directorate"), _("Course"), _("Status"),
                  _("Progress"), _("Due date"), _("Overdue"), _("Completed on")]
        data = (
            [e.user.username, e.user.display_name, str(e.user.directorate or ""),
             e.course.code, e.get_status_display(), e.progress_percent,
             e.due_date.isoformat() if e.due_date else "",
             _("Yes") if e.is_overdue else "",
             timezone.localtime(e.completed_at).date().isoformat() if e.completed_at else ""]
            for e in selectors.enrolment_lines(rows).iterator(chunk_size=500)
        )
    name = f"training-{scope}-{timezone.localdate().isoformat()}"
    if fmt == "xlsx":
        return exports.xlsx_response(f"{name}.xlsx", header, data, title=scope)
    return exports.csv_response(f"{name}.csv", header, data)
