"""Reads for course content: outlines with each learner's progress, locks
from prerequisites, completion."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from .models import Enrolment
from .models_content import AssignmentSubmission, Lesson, LessonProgress, Module, QuizAttempt

# Enrolments whose learner may open the course's lessons.
LEARNING_STATUSES = (
    Enrolment.Status.ENROLLED,
    Enrolment.Status.IN_PROGRESS,
    Enrolment.Status.COMPLETED,
)


def learning_enrolment(user, course_id: int) -> Enrolment | None:
    return (Enrolment.objects.filter(course_id=course_id, user=user,
                                     status__in=LEARNING_STATUSES)
            .select_related("course").first())


def completed_lesson_ids(user, course_id: int) -> set[int]:
    return set(
        LessonProgress.objects.filter(
            user=user, lesson__module__course_id=course_id, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )


def completion_of(user, course_id: int) -> tuple[int, bool]:
    """(percentage of required lessons completed, whether all are)."""
    required = set(
        Lesson.objects.filter(module__course_id=course_id, required=True)
        .values_list("pk", flat=True)
    )
    if not required:
        return 0, False
    done = len(required & completed_lesson_ids(user, course_id))
    return 100 * done // len(required), done == len(required)


def prerequisite_closure(module: Module) -> set[int]:
    """Ids of every module ``module`` depends on, directly or not."""
    through = Module.prerequisites.through
    edges: dict[int, set[int]] = {}
    for source, target in through.objects.filter(
        from_module__course_id=module.course_id
    ).values_list("from_module_id", "to_module_id"):
        edges.setdefault(source, set()).add(target)
    seen: set[int] = set()
    stack = [module.pk]
    while stack:
        for target in edges.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


@dataclass
class ModuleView:
    module: Module
    lessons: list = field(default_factory=list)
    locked_by: list = field(default_factory=list)  # unfinished prerequisite modules

    @property
    def locked(self) -> bool:
        return bool(self.locked_by)


def outline(course, user=None, *, preview: bool = False) -> list[ModuleView]:
    """The course's modules and lessons in order; with ``user``, each lesson
    carries ``done`` and each module what locks it. A preview (trainer) locks
    nothing and records nothing."""
    modules = list(
        course.modules.prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.order_by("position", "id")),
            "prerequisites",
        ).order_by("position", "id")
    )
    done = completed_lesson_ids(user, course.pk) if user is not None and not preview else set()
    finished = {
        m.pk for m in modules
        if all(lesson.pk in done for lesson in m.lessons.all() if lesson.required)
    }
    views = []
    for module in modules:
        view = ModuleView(module=module)
        for lesson in module.lessons.all():
            lesson.done = lesson.pk in done
            view.lessons.append(lesson)
        if not preview:
            view.locked_by = [p for p in module.prerequisites.all() if p.pk not in finished]
        views.append(view)
    return views


def lesson_lock(user, lesson: Lesson) -> list[Module]:
    """The unfinished prerequisite modules that keep ``lesson`` closed."""
    prerequisites = list(lesson.module.prerequisites.prefetch_related("lessons"))
    if not prerequisites:
        return []
    done = completed_lesson_ids(user, lesson.module.course_id)
    return [
        module for module in prerequisites
        if not all(each.pk in done for each in module.lessons.all() if each.required)
    ]


def progress_of(user, lesson: Lesson) -> LessonProgress | None:
    return LessonProgress.objects.filter(user=user, lesson=lesson).first()


def attempts_of(user, lesson: Lesson):
    return QuizAttempt.objects.filter(user=user, lesson=lesson).order_by("-number")


def submission_of(user, lesson: Lesson) -> AssignmentSubmission | None:
    return (AssignmentSubmission.objects.filter(user=user, lesson=lesson)
            .select_related("file__current_version", "graded_by").first())


def submissions_for(lesson: Lesson):
    return (lesson.submissions.select_related("user", "file__current_version", "graded_by")
            .order_by("grade", "-submitted_at"))


def lesson_with_course(pk: int) -> Lesson | None:
    return (Lesson.objects.select_related("module__course", "file__current_version")
            .filter(pk=pk).first())


def record_of(user):
    """The staff member's training record: completed enrolments and their certificates."""
    return (Enrolment.objects.filter(user=user, status=Enrolment.Status.COMPLETED)
            .select_related("course", "certificate__document")
            .order_by("-completed_at"))
