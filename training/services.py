"""Writes of the training app: enrolling, withdrawing, mandatory assignments,
live sessions and their attendance, course announcements.

Seats are counted under a row lock on the course, so two people taking the
last seat at once (or an approval landing while someone withdraws) cannot both
win. Enrolments that need approval are applications on the procedures engine:
``requests.lifecycle`` moves them and calls this family's hooks."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from collab import events
from collab.later import gettext_later, in_every_language
from collab.services import notify
from requests import lifecycle, registry
from requests.models import Request, RequestTransition, RequestType

from . import policies
from .models import Attendance, Course, Enrolment, LiveSession, MandatoryAssignment

User = get_user_model()

FAMILY = "training"


class TrainingError(Exception):
    """A refusal the user reads as is (enrolling twice, a course gone...)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _course_title(course: Course):
    """The course title for a notification, shown in its reader's language."""
    return in_every_language(lambda: course.title)


# ---- Seats -----------------------------------------------------------------------------


def _locked_course(course_id: int) -> Course:
    # Every seat count happens under this lock: it serialises enrolments,
    # approvals, withdrawals and promotions of one course.
    return Course.objects.select_for_update().get(pk=course_id)


def _seats_taken(course: Course) -> int:
    return Enrolment.objects.filter(course=course, status__in=Enrolment.SEATED).count()


def _has_free_seat(course: Course) -> bool:
    return course.seats is None or _seats_taken(course) < course.seats


def waiting_position(enrolment: Enrolment) -> int:
    return Enrolment.objects.filter(
        course_id=enrolment.course_id,
        status=Enrolment.Status.WAITING_LIST,
        requested_at__lte=enrolment.requested_at,
    ).exclude(Q(requested_at=enrolment.requested_at) & Q(pk__gt=enrolment.pk)).count()


# ---- Enrolling -------------------------------------------------------------------------


def _seat(enrolment: Enrolment, course: Course) -> None:
    """Give a seat if there is one, else the waiting list (course locked)."""
    now = timezone.now()
    if _has_free_seat(course):
        enrolment.status = Enrolment.Status.ENROLLED
        enrolment.enrolled_at = now
    else:
        enrolment.status = Enrolment.Status.WAITING_LIST
        # Waiting order is the moment the seat was asked for, not approved.
    enrolment.save()
    if enrolment.status == Enrolment.Status.ENROLLED:
        _joined(enrolment, course)


def _joined(enrolment: Enrolment, course: Course) -> None:
    from chat import services as chat

    conversation = course.conversation
    if conversation is None:
        conversation = chat.create_kept_group(course.title or course.code)
        Course.objects.filter(pk=course.pk).update(conversation=conversation)
        course.conversation = conversation
        chat.keep_members(conversation, join=list(course.trainers.all()))
    chat.keep_members(conversation, join=[enrolment.user])
    _changed(enrolment)


def _left(enrolment: Enrolment, course: Course) -> None:
    from chat import services as chat

    if course.conversation_id is not None:
        chat.keep_members(course.conversation, leave=[enrolment.user])
    _changed(enrolment)


def _changed(enrolment: Enrolment) -> None:
    events.publish(
        events.TRAINING_ENROLMENT_CHANGED,
        to=enrolment.user_id,
        course=enrolment.course.code,
        status=enrolment.status,
    )


def _enrolment_type() -> RequestType:
    from .defaults import ensure_enrolment_type

    return ensure_enrolment_type()


def enrol(user, course: Course) -> Enrolment:
    """Self-enrolment: enrolled, on the waiting list, or sent to the manager."""
    if not policies.can_enrol(user, course):
        raise TrainingError(_("This course is not open to you."))
    with transaction.atomic():
        course = _locked_course(course.pk)
        enrolment = Enrolment.objects.filter(course=course, user=user).first()
        if enrolment is not None and enrolment.status != Enrolment.Status.WITHDRAWN:
            raise TrainingError(already_message(enrolment))
        if enrolment is None:
            enrolment = Enrolment(course=course, user=user)
        enrolment.source = Enrolment.Source.SELF
        enrolment.requested_at = timezone.now()
        enrolment.enrolled_at = enrolment.completed_at = None
        enrolment.progress_percent = 0
        enrolment.application = None
        if course.enrolment_mode == Course.EnrolmentMode.MANAGER_APPROVAL:
            if user.manager_id is None:
                raise TrainingError(
                    _("This course needs your manager's approval, and no manager is set "
                      "for you in the directory.")
                )
            enrolment.status = Enrolment.Status.PENDING_APPROVAL
            application = lifecycle.start(_enrolment_type(), user, comment=course.title)
            enrolment.application = application
            enrolment.save()
            lifecycle.submit(application)
            _changed(enrolment)
        else:
            _seat(enrolment, course)
    return enrolment


def already_message(enrolment: Enrolment) -> str:
    messages = {
        Enrolment.Status.PENDING_APPROVAL: _(
            "You have already asked to enrol: your manager has not answered yet."),
        Enrolment.Status.WAITING_LIST: _("You are already on the waiting list of this course."),
        Enrolment.Status.COMPLETED: _("You have already completed this course."),
    }
    return messages.get(enrolment.status, _("You are already enrolled in this course."))


def withdraw(user, course: Course) -> Enrolment:
    """The learner leaves a course (or cancels a request to enrol); the seat
    goes to the first person on the waiting list."""
    with transaction.atomic():
        course = _locked_course(course.pk)
        enrolment = (
            Enrolment.objects.select_for_update().filter(course=course, user=user).first()
        )
        if enrolment is None or enrolment.status == Enrolment.Status.WITHDRAWN:
            raise TrainingError(_("You are not enrolled in this course."))
        if enrolment.status == Enrolment.Status.COMPLETED:
            raise TrainingError(_("A completed course stays in your training record."))
        if enrolment.source == Enrolment.Source.ASSIGNED:
            raise TrainingError(_("This course is mandatory for you: only HR can release you."))
        if enrolment.status == Enrolment.Status.PENDING_APPROVAL and enrolment.application_id:
            # The engine cancels the application; its hook marks us withdrawn.
            lifecycle.cancel(enrolment.application_id, user, _("Enrolment withdrawn."))
            enrolment.refresh_from_db()
            return enrolment
        _withdraw(enrolment, course)
    return enrolment


def _withdraw(enrolment: Enrolment, course: Course) -> None:
    held_seat = enrolment.status in Enrolment.SEATED
    enrolment.status = Enrolment.Status.WITHDRAWN
    enrolment.save(update_fields=["status"])
    _left(enrolment, course)
    if held_seat:
        promote_waiting(course)


def promote_waiting(course: Course) -> list[Enrolment]:
    """Seat people from the waiting list, first come first served (course locked)."""
    promoted = []
    waiting = (
        Enrolment.objects.filter(course=course, status=Enrolment.Status.WAITING_LIST)
        .select_related("user", "course")
        .order_by("requested_at", "pk")
    )
    for enrolment in waiting:
        if not _has_free_seat(course):
            break
        enrolment.status = Enrolment.Status.ENROLLED
        enrolment.enrolled_at = timezone.now()
        enrolment.save(update_fields=["status", "enrolled_at"])
        _joined(enrolment, course)
        notify(
            enrolment.user,
            kind="training.seat",
            title=gettext_later("A seat freed up: you are now enrolled in %(course)s",
                                course=_course_title(course)),
            link=course.get_absolute_url(),
        )
        promoted.append(enrolment)
    return promoted


# ---- Engine hooks ----------------------------------------------------------------------


def _enrolment_of(request: Request) -> Enrolment | None:
    return Enrolment.objects.select_related("user").filter(application=request).first()


def _approved(request, actor, extra):
    # In the decision's transaction: a seat now, or the waiting list.
    enrolment = _enrolment_of(request)
    if enrolment is None or enrolment.status != Enrolment.Status.PENDING_APPROVAL:
        return
    course = _locked_course(enrolment.course_id)
    _seat(enrolment, course)
    if enrolment.status == Enrolment.Status.WAITING_LIST:
        # Approved, but the seats went while the manager decided.
        notify(
            enrolment.user,
            kind="training.waiting",
            title=gettext_later("Approved, but %(course)s is full: you are number %(n)s on the "
                                "waiting list", course=_course_title(course),
                                n=waiting_position(enrolment)),
            link=course.get_absolute_url(),
        )


def _ended_without_seat(request, actor, from_stage) -> None:
    enrolment = _enrolment_of(request)
    if enrolment is not None and enrolment.status == Enrolment.Status.PENDING_APPROVAL:
        enrolment.status = Enrolment.Status.WITHDRAWN
        enrolment.save(update_fields=["status"])
        _changed(enrolment)


def _on_transition(request, transition) -> None:
    if request.request_type.family != FAMILY:
        return
    if transition.action in (RequestTransition.Action.REJECTED, RequestTransition.Action.EXPIRED):
        _ended_without_seat(request, transition.actor, transition.from_stage)


def _summary(request) -> str:
    enrolment = Enrolment.objects.select_related("course").filter(application=request).first()
    if enrolment is None:
        return ""
    course = enrolment.course
    return _("%(course)s (%(hours)s h, %(format)s)") % {
        "course": course.title,
        "hours": course.duration_hours,
        "format": course.get_format_display(),
    }


def register_family() -> None:
    registry.register_family(
        FAMILY,
        registry.FamilyHooks(
            on_completed=_approved, on_cancelled=_ended_without_seat, summary=_summary
        ),
        label=gettext_lazy("Distance training"),
    )
    if _on_transition not in registry.TRANSITION_LISTENERS:
        registry.TRANSITION_LISTENERS.append(_on_transition)


# ---- Mandatory courses -----------------------------------------------------------------


def assign_mandatory(
    hr, course: Course, *, due_date: datetime.date, directorate=None, group=None
) -> tuple[MandatoryAssignment, int]:
    """Make ``course`` mandatory for a directorate (and those below it) or a
    group. Returns the assignment and how many people it enrolled or updated.
    Mandatory enrolments do not wait for a seat: HR decided who must train."""
    if not policies.can_assign_mandatory(hr):
        raise TrainingError(_("Only HR can make a course mandatory."))
    if (directorate is None) == (group is None):
        raise TrainingError(_("Choose a directorate or a group."), field="directorate")
    if due_date < timezone.localdate():
        raise TrainingError(_("The due date is in the past."), field="due_date")
    with transaction.atomic():
        course = _locked_course(course.pk)
        assignment = MandatoryAssignment.objects.create(
            course=course, directorate=directorate, group=group, due_date=due_date,
            assigned_by=hr,
        )
        people = User.objects.filter(is_active=True)
        if directorate is not None:
            people = people.filter(directorate_id__in=directorate.descendant_ids())
        else:
            people = people.filter(groups=group)
        people = list(people.distinct())
        existing = {
            e.user_id: e
            for e in Enrolment.objects.filter(course=course, user__in=people).select_for_update()
        }
        now = timezone.now()
        touched = []
        for person in people:
            enrolment = existing.get(person.pk)
            if enrolment is not None and enrolment.status == Enrolment.Status.COMPLETED:
                continue
            if enrolment is None:
                enrolment = Enrolment(course=course, user=person, requested_at=now)
            if enrolment.status not in (Enrolment.Status.ENROLLED, Enrolment.Status.IN_PROGRESS):
                if enrolment.status == Enrolment.Status.PENDING_APPROVAL and (
                    enrolment.application_id
                ):
                    # HR's assignment supersedes the request to the manager.
                    lifecycle.cancel(enrolment.application_id, enrolment.user,
                                     _("Made mandatory by HR."))
                    enrolment.refresh_from_db()
                enrolment.status = Enrolment.Status.ENROLLED
                enrolment.enrolled_at = now
                enrolment.progress_percent = 0
            if enrolment.due_date is None or due_date < enrolment.due_date:
                enrolment.due_date = due_date
            enrolment.source = Enrolment.Source.ASSIGNED
            enrolment.save()
            enrolment.user = person
            _joined(enrolment, course)
            touched.append(enrolment)
        for enrolment in touched:
            notify(
                enrolment.user,
                kind="training.mandatory",
                title=gettext_later("Mandatory training: %(course)s, to complete by %(date)s",
                                    course=_course_title(course), date=enrolment.due_date),
                link=course.get_absolute_url(),
            )
    return assignment, len(touched)


# ---- Live sessions ---------------------------------------------------------------------


def _learners(course: Course):
    return User.objects.filter(
        enrolments__course=course,
        enrolments__status__in=(Enrolment.Status.ENROLLED, Enrolment.Status.IN_PROGRESS),
        is_active=True,
    )


def schedule_session(
    user, course: Course, *, starts_at, ends_at, meeting_url: str, title: str = ""
) -> LiveSession:
    if not policies.can_manage_course(user, course):
        raise TrainingError(_("You do not run this course."))
    if ends_at <= starts_at:
        raise TrainingError(_("The session must end after it starts."), field="ends_at")
    with transaction.atomic():
        session = LiveSession.objects.create(
            course=course, title=title.strip()[:200], starts_at=starts_at, ends_at=ends_at,
            meeting_url=meeting_url, trainer=user if policies.is_trainer(user) else None,
        )
        title = gettext_later("New live session of %(course)s on %(when)s",
                              course=_course_title(course), when=starts_at)
        for learner in _learners(course):
            notify(learner, kind="training.session", title=title,
                   link=course.get_absolute_url())
    return session


def record_attendance(user, session: LiveSession, present_ids) -> int:
    """The trainer ticks who attended; everyone enrolled gets a row."""
    if not policies.can_manage_course(user, session.course):
        raise TrainingError(_("You do not run this course."))
    present_ids = {int(i) for i in present_ids}
    with transaction.atomic():
        learners = list(
            User.objects.filter(
                enrolments__course_id=session.course_id,
                enrolments__status__in=Enrolment.SEATED,
            )
        )
        known = {p.pk for p in learners}
        if present_ids - known:
            raise TrainingError(_("Someone ticked is not enrolled in this course."))
        now = timezone.now()
        for learner in learners:
            Attendance.objects.update_or_create(
                session=session, user=learner,
                defaults={"present": learner.pk in present_ids, "recorded_by": user,
                          "recorded_at": now},
            )
    return len(present_ids)


def send_reminders(now: datetime.datetime | None = None, *, ahead=datetime.timedelta(hours=24)):
    """Remind learners of sessions starting within ``ahead`` (once per session)
    and of mandatory courses due within a week or overdue. Returns counts."""
    now = now or timezone.now()
    sent = {"sessions": 0, "deadlines": 0}
    sessions = LiveSession.objects.filter(
        starts_at__gt=now, starts_at__lte=now + ahead, reminded_at__isnull=True
    ).select_related("course")
    for session in sessions:
        with transaction.atomic():
            # Claim the session first: two runs at once remind once.
            if not LiveSession.objects.filter(pk=session.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            title = gettext_later("Reminder: live session of %(course)s at %(when)s",
                                  course=_course_title(session.course), when=session.starts_at)
            for learner in _learners(session.course):
                notify(learner, kind="training.reminder", title=title, body=session.meeting_url,
                       link=session.course.get_absolute_url())
                sent["sessions"] += 1
    today = timezone.localdate()
    due_soon = Enrolment.objects.filter(
        due_date__isnull=False,
        due_date__lte=today + datetime.timedelta(days=7),
        status__in=(Enrolment.Status.ENROLLED, Enrolment.Status.IN_PROGRESS),
    ).select_related("user", "course")
    for enrolment in due_soon:
        # One deadline notice per enrolment per day, whatever the schedule.
        kind = f"training.deadline.{enrolment.pk}.{today.isoformat()}"
        if enrolment.user.notifications.filter(kind=kind).exists():
            continue
        if enrolment.due_date < today:
            title = gettext_noop("Overdue: %(course)s was due on %(date)s")
        else:
            title = gettext_noop("Deadline: complete %(course)s by %(date)s")
        notify(
            enrolment.user,
            kind=kind,
            title=gettext_later(title, course=_course_title(enrolment.course),
                                date=enrolment.due_date),
            link=enrolment.course.get_absolute_url(),
        )
        sent["deadlines"] += 1
    return sent


# ---- Announcements to a course's learners ------------------------------------------------


def announce(user, course: Course, *, title: str, body: str = "") -> int:
    """A notification to every learner of the course (and a line in its chat)."""
    if not policies.can_manage_course(user, course):
        raise TrainingError(_("You do not run this course."))
    title = " ".join((title or "").split())
    if not title:
        raise TrainingError(_("Write a title."), field="title")
    if len(title) > 150:
        raise TrainingError(_("A title can have at most 150 characters."), field="title")
    body = (body or "").strip()[:4000]
    learners = list(_learners(course))
    with transaction.atomic():
        message = gettext_later("%(course)s: %(title)s", course=_course_title(course),
                                title=title)
        for learner in learners:
            notify(learner, kind="training.announcement", title=message, body=body,
                   link=reverse("training:course", args=[course.code]))
    return len(learners)
