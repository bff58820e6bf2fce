"""Who may see a course, enrol in it, run it and read the training reports.

A course a user may not see answers the same 404 as a missing one (views call
``visible_courses`` and look the course up inside it), so codes cannot be probed."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from collab.models import User

from .models import Course, Enrolment

# Roles that run the training unit: assign mandatory courses, read every report.
TRAINING_ADMIN_ROLES = {User.Role.HR_OFFICER, User.Role.ADMINISTRATOR}


def is_training_admin(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.role in TRAINING_ADMIN_ROLES or user.is_superuser)
    )


def is_trainer(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == User.Role.TRAINER)


def visible_courses(user) -> QuerySet[Course]:
    """Published courses whose audience includes the user's directorate, plus
    the courses the user trains or is enrolled in; everything for HR."""
    if not (user.is_authenticated and user.is_active):
        return Course.objects.none()
    if is_training_admin(user):
        return Course.objects.all()
    audience = Q(audience_directorates__isnull=True)
    if user.directorate_id is not None:
        audience |= Q(audience_directorates=user.directorate_id)
    # Subqueries, not joins: a course must come out once, whatever matched.
    in_audience = Course.objects.filter(audience).values("pk")
    mine = Enrolment.objects.filter(user=user).values("course_id")
    trained = Course.trainers.through.objects.filter(user_id=user.pk).values("course_id")
    return Course.objects.filter(
        Q(published=True, pk__in=in_audience) | Q(pk__in=mine) | Q(pk__in=trained)
    )


def can_view_course(user, course: Course) -> bool:
    return visible_courses(user).filter(pk=course.pk).exists()


def can_enrol(user, course: Course) -> bool:
    """Published and addressed to the user (enrolled or not yet)."""
    if not (user.is_authenticated and user.is_active and course.published):
        return False
    ids = set(course.audience_directorates.values_list("pk", flat=True))
    return not ids or user.directorate_id in ids


def can_manage_course(user, course: Course) -> bool:
    """Edit content, sessions, attendance, announcements: its trainers and HR."""
    if is_training_admin(user):
        return True
    return is_trainer(user) and course.trainers.filter(pk=user.pk).exists()


def can_create_course(user) -> bool:
    return is_trainer(user) or is_training_admin(user)


def can_assign_mandatory(user) -> bool:
    return is_training_admin(user)


def can_read_reports(user) -> bool:
    return is_training_admin(user)


def can_view_enrolment(user, enrolment: Enrolment) -> bool:
    return enrolment.user_id == user.pk or can_manage_course(user, enrolment.course)
