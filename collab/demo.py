"""The demo ministry that `make run` seeds into an empty database."""

from __future__ import annotations

from django.db import transaction

from .models import Directorate, User

DEMO_PASSWORD = "Collab-2026"

SECRETARIAT = ("sg", "الكتابة العامة", "Secrétariat général")
CENTRAL = [
    ("drh", "مديرية الموارد البشرية", "Direction des ressources humaines"),
    ("daf", "مديرية الشؤون الإدارية والمالية", "Direction des affaires administratives et financières"),
    ("dcom", "مديرية التواصل والعلاقات العامة", "Direction de la communication et des relations publiques"),
    ("dedm", "مديرية الدراسات وتنمية وسائل الاتصال", "Direction des études et du développement des médias"),
    ("dsi", "مديرية نظم المعلومات", "Direction des systèmes d'information"),
    ("daj", "مديرية الشؤون القانونية", "Direction des affaires juridiques"),
]
# The twelve regions of Morocco (2015 division).
REGIONS = [
    ("tth", "طنجة تطوان الحسيمة", "Tanger-Tétouan-Al Hoceïma"),
    ("ori", "الشرق", "l'Oriental"),
    ("fme", "فاس مكناس", "Fès-Meknès"),
    ("rsk", "الرباط سلا القنيطرة", "Rabat-Salé-Kénitra"),
    ("bmk", "بني ملال خنيفرة", "Béni Mellal-Khénifra"),
    ("cas", "الدار البيضاء سطات", "Casablanca-Settat"),
    ("msa", "مراكش آسفي", "Marrakech-Safi"),
    ("dta", "درعة تافيلالت", "Drâa-Tafilalet"),
    ("sma", "سوس ماسة", "Souss-Massa"),
    ("gon", "كلميم واد نون", "Guelmim-Oued Noun"),
    ("lsh", "العيون الساقية الحمراء", "Laâyoune-Sakia El Hamra"),
    ("dod", "الداخلة وادي الذهب", "Dakhla-Oued Ed-Dahab"),
]

# (Latin, Arabic, gender): documents agree with the gender.
FIRST_NAMES = [
    ("Karim", "كريم", "male"), ("Salma", "سلمى", "female"), ("Youssef", "يوسف", "male"),
    ("Nadia", "نادية", "female"), ("Hicham", "هشام", "male"),
    ("Fatima Zahra", "فاطمة الزهراء", "female"), ("Omar", "عمر", "male"),
    ("Imane", "إيمان", "female"), ("Rachid", "رشيد", "male"), ("Khadija", "خديجة", "female"),
    ("Mehdi", "المهدي", "male"), ("Asmae", "أسماء", "female"), ("Anas", "أنس", "male"),
    ("Hajar", "هاجر", "female"), ("Said", "سعيد", "male"), ("Loubna", "لبنى", "female"),
]
# Job titles in French (as given below) -> Arabic and English, by gender where
# the words differ.
JOB_TITLES = {
    "Secrétaire général": ("الكاتب العام", "Secretary General"),
    "Administrateur du système": ("مدير النظام", "System administrator"),
    "Auditeur interne": ("مدقق داخلي", "Internal auditor"),
    "Directeur": ("مدير", "Director"),
    "Chargé des ressources humaines": ("مكلف بالموارد البشرية", "Human resources officer"),
    "Chargé des affaires sociales": ("مكلف بالشؤون الاجتماعية", "Social affairs officer"),
    "Chargé de communication": ("مكلف بالتواصل", "Communication officer"),
    "Cadre administratif": ("إطار إداري", "Administrative officer"),
    "Ingénieur d'État": ("مهندس دولة", "State engineer"),
    "Technicien": ("تقني", "Technician"),
}
FEMININE = {
    "Secrétaire général": ("Secrétaire générale", "الكاتبة العامة"),
    "Administrateur du système": ("Administratrice du système", "مديرة النظام"),
    "Auditeur interne": ("Auditrice interne", "مدققة داخلية"),
    "Directeur": ("Directrice", "مديرة"),
    "Chargé des ressources humaines": ("Chargée des ressources humaines",
                                       "مكلفة بالموارد البشرية"),
    "Chargé des affaires sociales": ("Chargée des affaires sociales",
                                     "مكلفة بالشؤون الاجتماعية"),
    "Chargé de communication": ("Chargée de communication", "مكلفة بالتواصل"),
    "Cadre administratif": ("Cadre administrative", "إطار إداري"),
    "Ingénieur d'État": ("Ingénieure d'État", "مهندسة دولة"),
    "Technicien": ("Technicienne", "تقنية"),
}
LAST_NAMES = [
    ("Benali", "بنعلي"), ("El Idrissi", "الإدريسي"), ("Alaoui", "العلوي"), ("Bennani", "بناني"),
    ("Tazi", "التازي"), ("Chraibi", "الشرايبي"), ("El Amrani", "العمراني"), ("Berrada", "برادة"),
    ("Ouazzani", "الوزاني"), ("Fassi", "الفاسي"), ("Ziani", "الزياني"), ("Lahlou", "لحلو"),
    ("Skalli", "السقلي"), ("Kettani", "الكتاني"), ("Sebti", "السبتي"), ("Naciri", "الناصري"),
]


def titles(job_title: str, gender: str) -> dict:
    """The job title in French, Arabic and English, agreeing with ``gender``."""
    title_ar, title_en = JOB_TITLES.get(job_title, ("", ""))
    if gender == "female" and job_title in FEMININE:
        job_title, title_ar = FEMININE[job_title]
    return {"job_title": job_title, "job_title_ar": title_ar, "job_title_en": title_en}


class _People:
    def __init__(self):
        self.index = 0

    def make(self, directorate, role, job_title, manager=None, username=None, **extra):
        first, first_ar, gender = FIRST_NAMES[self.index % len(FIRST_NAMES)]
        last, last_ar = LAST_NAMES[(self.index * 7 + 3) % len(LAST_NAMES)]
        self.index += 1
        username = username or f"{first.split()[0].lower()}.{last.replace(' ', '').lower()}"
        base, n = username, 2
        while User.objects.filter(username=username).exists():
            username, n = f"{base}{n}", n + 1
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            full_name_ar=f"{first_ar} {last_ar}",
            email=f"{username}@mincom.gov.ma",
            directorate=directorate,
            role=role,
            manager=manager,
            gender=gender,
            **titles(job_title, gender),
            **extra,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user


@transaction.atomic
def seed_demo_ministry() -> dict:
    """Create directorates and demo staff. Only call on an empty database."""
    people = _People()
    sg = Directorate.objects.create(
        code=SECRETARIAT[0], name_ar=SECRETARIAT[1], name_fr=SECRETARIAT[2],
        kind=Directorate.Kind.CENTRAL,
    )
    secretary_general = people.make(
        sg, User.Role.MANAGER, "Secrétaire général", username="sg.directeur"
    )
    people.make(
        sg, User.Role.ADMINISTRATOR, "Administrateur du système", username="admin",
        is_staff=True, is_superuser=True,
    )
    # Reads the audit log; kept apart from the administrator whose actions it records.
    people.make(sg, User.Role.AUDITOR, "Auditeur interne", username="auditeur")
    directorates = [sg]
    for code, name_ar, name_fr in CENTRAL:
        directorates.append(Directorate.objects.create(
            code=code, name_ar=name_ar, name_fr=name_fr, kind=Directorate.Kind.CENTRAL, parent=sg,
        ))
    for code, name_ar, name_fr in REGIONS:
        directorates.append(Directorate.objects.create(
            code=f"dr-{code}",
            name_ar=f"المديرية الجهوية لجهة {name_ar}",
            name_fr=f"Direction régionale de {name_fr}",
            kind=Directorate.Kind.REGIONAL,
            parent=sg,
        ))

    for directorate in directorates[1:]:
        prefix = directorate.code
        director = people.make(
            directorate, User.Role.MANAGER, "Directeur", manager=secretary_general,
            username=f"{prefix}.directeur",
        )
        if prefix == "drh":
            people.make(directorate, User.Role.HR_OFFICER, "Chargé des ressources humaines",
                        manager=director, username="drh.rh")
            people.make(directorate, User.Role.HR_OFFICER, "Chargé des affaires sociales",
                        manager=director, username="drh.social")
        if prefix == "dcom":
            people.make(directorate, User.Role.COMMUNICATION_OFFICER, "Chargé de communication",
                        manager=director, username="dcom.communication")
        titles = ["Cadre administratif", "Ingénieur d'État", "Technicien"]
        for i, title in enumerate(titles[: 3 if directorate.kind == "central" else 2]):
            people.make(directorate, User.Role.STAFF, title, manager=director,
                        username=f"{prefix}.agent{i + 1}")
    return {"directorates": Directorate.objects.count(), "users": User.objects.count()}
