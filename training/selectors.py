"""Reads for the training pages: catalogue, a learner's courses, reports."""

from __future__ import annotations

from django.db.models import Count, Q

from . import policies
from .models import Enrolment


def catalogue(user):
    seated = Q(enrolments__status__in=Enrolment.SEATED)
    return (
        policies.visible_courses(user)
        .filter(published=True)
        .select_related("domain")
        .annotate(seats_taken=Count("enrolments", filter=seated))
        .order_by("domain__name_fr", "code")
    )


def my_enrolments(user):
    return (
        Enrolment.objects.filter(user=user)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("course", "course__domain")
        .order_by("due_date", "-requested_at")
    )
