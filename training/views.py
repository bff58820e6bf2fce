"""Thin views: parse, check permission, call one service or selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import policies, selectors


def _context(request, **extra):
    return {"can_read_training_reports": policies.can_read_reports(request.user), **extra}


def _course_or_404(user, code: str):
    # A course outside the user's audience answers like a missing one.
    course = policies.visible_courses(user).filter(code=code).select_related("domain").first()
    if course is None:
        raise Http404
    return course


@login_required
@require_GET
def catalogue(request):
    courses = selectors.catalogue(request.user)
    return render(request, "training/catalogue.html", _context(request, courses=courses))


@login_required
@require_GET
def course(request, code):
    found = _course_or_404(request.user, code)
    enrolment = found.enrolments.filter(user=request.user).first()
    return render(
        request,
        "training/course.html",
        _context(request, course=found, enrolment=enrolment),
    )


@login_required
@require_GET
def mine(request):
    return render(
        request,
        "training/mine.html",
        _context(request, enrolments=selectors.my_enrolments(request.user)),
    )


@login_required
@require_GET
def reports(request):
    if not policies.can_read_reports(request.user):
        raise PermissionDenied
    return render(request, "training/reports.html", _context(request))
