"""Demo distance training for ``make run``: five domains, a trainer, the three
demo courses (``demo-video``, ``demo-quiz``, ``demo-sessions``) and a few more
for the catalogue, and enrolments at every stage: enrolled, in progress,
awaiting the manager's approval, on a waiting list, mandatory and overdue.
Runs after the demo ministry and the request types exist."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

DOMAINS = [
    ("communication", "التواصل", "Communication", "Communication"),
    ("law", "القانون", "Droit", "Law"),
    ("information-systems", "نظم المعلومات", "Systèmes d'information", "Information systems"),
    ("management", "التدبير", "Management", "Management"),
    ("languages", "اللغات", "Langues", "Languages"),
]

COURSES = [
    # code, domain, titles (ar, fr, en), language, hours, format, mode, seats
    ("demo-video", "communication",
     ("التواصل المؤسساتي", "Communication institutionnelle", "Institutional communication"),
     "ar", 6, "self_paced", "open", None),
    ("demo-quiz", "law",
     ("قانون الصحافة والنشر", "Code de la presse et de l'édition", "Press and publishing law"),
     "fr", 8, "self_paced", "manager_approval", 30),
    ("demo-sessions", "management",
     ("تدبير المشاريع", "Gestion de projet", "Project management"),
     "fr", 12, "scheduled", "open", 3),
    ("arabic-admin-writing", "languages",
     ("الكتابة الإدارية", "Rédaction administrative en arabe", "Administrative writing in Arabic"),
     "ar", 10, "blended", "open", 25),
    ("cybersecurity-basics", "information-systems",
     ("أساسيات الأمن السيبراني", "Les bases de la cybersécurité", "Cybersecurity basics"),
     "fr", 4, "self_paced", "open", None),
]

DESCRIPTIONS = {
    "demo-video": (
        "مدخل مصور إلى مبادئ التواصل المؤسساتي، مع وثيقة مرجعية ونص للقراءة.",
        "Une introduction filmée aux principes de la communication institutionnelle, "
        "avec un document de référence et une page de lecture.",
    ),
    "demo-quiz": (
        "قراءة في القانون 88.13 المتعلق بالصحافة والنشر، ثم اختبار وتمرين.",
        "Lecture commentée de la loi 88-13 relative à la presse et à l'édition, puis un "
        "quiz et un devoir.",
    ),
    "demo-sessions": (
        "ثلاث حصص مباشرة عن بعد لتخطيط المشاريع وتتبعها.",
        "Trois séances en direct, à distance, pour planifier et suivre un projet.",
    ),
}


def _user(username):
    from collab.models import User

    return User.objects.filter(username=username).first()


@transaction.atomic
def seed_training_demo() -> dict:
    from collab.demo import DEMO_PASSWORD
    from collab.models import Directorate, User

    from . import services
    from .models import Course, Domain, Enrolment, LiveSession

    if Course.objects.exists():
        return {"courses": 0}
    drh = Directorate.objects.filter(code="drh").first()
    trainer = User(
        username="drh.formateur", first_name="Samira", last_name="Bennani",
        full_name_ar="سميرة بناني", email="drh.formateur@mincom.gov.ma",
        directorate=drh, role=User.Role.TRAINER, job_title="Formatrice",
        manager=_user("drh.directeur"),
    )
    trainer.set_password(DEMO_PASSWORD)
    trainer.save()

    domains = {
        code: Domain.objects.create(code=code, name_ar=ar, name_fr=fr, name_en=en)
        for code, ar, fr, en in DOMAINS
    }
    courses = {}
    for code, domain, (t_ar, t_fr, t_en), language, hours, fmt, mode, seats in COURSES:
        d_ar, d_fr = DESCRIPTIONS.get(code, ("", ""))
        course = Course.objects.create(
            code=code, domain=domains[domain], title_ar=t_ar, title_fr=t_fr, title_en=t_en,
            description_ar=d_ar, description_fr=d_fr, language=language,
            duration_hours=hours, format=fmt, enrolment_mode=mode, seats=seats,
            published=True,
        )
        course.trainers.add(trainer)
        courses[code] = course
    regional = Directorate.objects.filter(kind=Directorate.Kind.REGIONAL)
    courses["arabic-admin-writing"].audience_directorates.add(*regional)

    # Three sessions of the scheduled course, the first tomorrow at 10:00.
    tomorrow = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    for week in range(3):
        start = tomorrow + datetime.timedelta(days=1 + 7 * week)
        LiveSession.objects.create(
            course=courses["demo-sessions"], title=f"Séance {week + 1}",
            starts_at=start, ends_at=start + datetime.timedelta(hours=2),
            meeting_url=f"https://visio.mincom.gov.ma/formation/gestion-projet-{week + 1}",
            trainer=trainer,
        )

    def enrol(username, code):
        person = _user(username)
        return services.enrol(person, courses[code]) if person else None

    # Enrolled, and in progress on the video course.
    enrol("dsi.agent1", "demo-video")
    started = enrol("dsi.agent2", "demo-video")
    if started is not None:
        Enrolment.objects.filter(pk=started.pk).update(status="in_progress", progress_percent=40)
    # Awaiting the manager (dcom.directeur sees the request in the notifications).
    enrol("dcom.agent1", "demo-quiz")
    # The scheduled course fills its three seats; the fourth waits.
    for username in ("dsi.agent3", "daf.agent1", "dcom.agent2", "daj.agent1"):
        enrol(username, "demo-sessions")
    # Mandatory for the communication directorate, one of them already overdue.
    hr = _user("drh.rh")
    dcom = Directorate.objects.filter(code="dcom").first()
    if hr is not None and dcom is not None:
        services.assign_mandatory(
            hr, courses["cybersecurity-basics"], directorate=dcom,
            due_date=timezone.localdate() + datetime.timedelta(days=30))
        late = _user("dcom.agent3")
        if late is not None:
            Enrolment.objects.filter(user=late, course=courses["cybersecurity-basics"]).update(
                due_date=timezone.localdate() - datetime.timedelta(days=3))

    from .demo_content import seed_course_content

    lessons = seed_course_content()
    return {"courses": len(courses), "lessons": lessons,
            "enrolments": Enrolment.objects.count()}
