"""Reads for the training pages: catalogue, a learner's courses, reports.

Query counts do not grow with the page: seats taken and report figures are
aggregated in the database, one query per table shown."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from chat.text import search_terms
from collab.models import Directorate

from . import policies
from .models import Course, Enrolment, LiveSession

# ---- Catalogue -------------------------------------------------------------------------


def catalogue(user, *, text="", domain=None, language="", format="", directorate=None,
              grade="") -> QuerySet[Course]:
    courses = policies.visible_courses(user).filter(published=True)
    for term in search_terms(text):
        courses = courses.filter(search_text__contains=term)
    if domain is not None:
        courses = courses.filter(domain=domain)
    if language:
        courses = courses.filter(language=language)
    if format:
        courses = courses.filter(format=format)
    if directorate is not None:
        in_audience = Course.audience_directorates.through.objects.filter(
            course_id=OuterRef("pk"))
        courses = courses.filter(
            ~Exists(in_audience) | Exists(in_audience.filter(directorate_id=directorate.pk))
        )
    if grade:
        courses = courses.filter(Q(grades_text="") | Q(grades_text__contains=f"|{grade.strip()}|"))
    return courses.select_related("domain").order_by("domain__name_fr", "code")


def with_seats_and_status(user, courses) -> list[Course]:
    """The courses of one catalogue page with their seats taken and the viewer's
    status: two queries for the page, whatever its offset (annotating the
    catalogue would run both subqueries for every row skipped before the page)."""
    courses = list(courses)
    limited = [c.pk for c in courses if c.seats is not None]
    taken = dict(
        Enrolment.objects.filter(course_id__in=limited, status__in=Enrolment.SEATED)
        .values("course_id").annotate(n=Count("pk")).values_list("course_id", "n")
    ) if limited else {}
    mine = dict(Enrolment.objects.filter(user_id=user.pk, course_id__in=[c.pk for c in courses])
                .values_list("course_id", "status"))
    for course in courses:
        course.seats_taken = taken.get(course.pk, 0)
        course.my_status = mine.get(course.pk)
    return courses


def course_page(user, course: Course) -> dict:
    enrolment = course.enrolments.filter(user=user).first()
    sessions = list(course.sessions.select_related("trainer"))
    position = None
    if enrolment is not None and enrolment.status == Enrolment.Status.WAITING_LIST:
        from .services import waiting_position

        position = waiting_position(enrolment)
    return {
        "enrolment": enrolment,
        "sessions": sessions,
        "waiting_position": position,
        "seats_left": course.seats_left,
        "trainers": list(course.trainers.all()),
    }


def learners(course: Course):
    return (
        Enrolment.objects.filter(course=course)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("user", "user__directorate")
        .order_by("status", "user__last_name", "user__first_name")
    )


def session_attendance(session: LiveSession) -> list[dict]:
    present = dict(session.attendance.values_list("user_id", "present"))
    rows = []
    for enrolment in learners(session.course).filter(status__in=Enrolment.SEATED):
        rows.append({"user": enrolment.user, "present": present.get(enrolment.user_id)})
    return rows


# ---- A learner's dashboard --------------------------------------------------------------


def my_enrolments(user):
    return (
        Enrolment.objects.filter(user=user)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("course", "course__domain")
        .order_by("status", "due_date", "-requested_at")
    )


def my_upcoming_sessions(user, limit=5):
    return (
        LiveSession.objects.filter(
            course__enrolments__user=user,
            course__enrolments__status__in=(Enrolment.Status.ENROLLED,
                                            Enrolment.Status.IN_PROGRESS),
            ends_at__gte=timezone.now(),
        )
        .select_related("course")
        .order_by("starts_at")[:limit]
    )


# ---- Reports ---------------------------------------------------------------------------


@dataclass
class Figures:
    enrolled: int = 0
    in_progress: int = 0
    completed: int = 0
    overdue: int = 0
    waiting: int = 0

    @property
    def total(self) -> int:
        return self.enrolled + self.in_progress + self.completed


def _figures():
    today = timezone.localdate()
    S = Enrolment.Status
    return {
        "enrolled": Count("pk", filter=Q(status=S.ENROLLED)),
        "in_progress": Count("pk", filter=Q(status=S.IN_PROGRESS)),
        "completed": Count("pk", filter=Q(status=S.COMPLETED)),
        "waiting": Count("pk", filter=Q(status__in=(S.WAITING_LIST, S.PENDING_APPROVAL))),
        "overdue": Count("pk", filter=Q(due_date__lt=today,
                                        status__in=(S.ENROLLED, S.IN_PROGRESS))),
    }


def report_enrolments(*, course=None, directorate=None, kind=""):
    rows = Enrolment.objects.exclude(status=Enrolment.Status.WITHDRAWN)
    if course is not None:
        rows = rows.filter(course=course)
    if directorate is not None:
        rows = rows.filter(user__directorate_id__in=directorate.descendant_ids())
    if kind:
        rows = rows.filter(user__directorate__kind=kind)
    return rows


def totals(rows) -> Figures:
    return Figures(**rows.aggregate(**_figures()))


def by_course(rows, limit: int | None = None) -> list[dict]:
    """Figures per course, the most followed first (``limit``: the first ones only)."""
    figures = rows.values("course_id").annotate(**_figures(), total=Count("pk")).order_by(
        "-total", "course_id")
    if limit is not None:
        figures = figures[:limit]
    figures = list(figures)
    courses = Course.objects.in_bulk([f["course_id"] for f in figures])
    out = []
    for f in figures:
        f.pop("total")
        out.append({"course": courses[f.pop("course_id")], "figures": Figures(**f)})
    return out


def by_directorate(rows) -> list[dict]:
    figures = rows.values("user__directorate_id").annotate(**_figures()).order_by()
    directorates = Directorate.objects.in_bulk(
        [f["user__directorate_id"] for f in figures if f["user__directorate_id"]])
    out = []
    for f in figures:
        directorate = directorates.get(f.pop("user__directorate_id"))
        out.append({"directorate": directorate, "figures": Figures(**f)})
    return sorted(out, key=lambda item: (
        item["directorate"] is None,
        item["directorate"].kind if item["directorate"] else "",
        item["directorate"].name_fr if item["directorate"] else "",
    ))


def by_learner(rows):
    """One line per learner with their figures, by name (a page of them at a time)."""
    return (
        rows.values("user_id", "user__last_name", "user__first_name", "user__username")
        .annotate(**_figures())
        .order_by("user__last_name", "user__first_name", "user_id")
    )


def learner_lines(page_rows) -> list[dict]:
    """The page's learners as objects (names in the reader's language, directorates)."""
    from collab.models import User

    users = User.objects.select_related("directorate").in_bulk(
        [row["user_id"] for row in page_rows])
    lines = []
    for row in page_rows:
        figures = Figures(**{k: row[k] for k in ("enrolled", "in_progress", "completed",
                                                 "overdue", "waiting")})
        lines.append({"user": users[row["user_id"]], "figures": figures})
    return lines


def enrolment_lines(rows):
    """Every enrolment with its learner and course: the detailed export."""
    return rows.select_related("user", "user__directorate", "course").order_by(
        "user__last_name", "user__first_name", "user_id", "course__code")
