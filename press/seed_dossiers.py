"""The dossier types of the press space, as data: what the data migration
seeds (the ministry edits them afterwards in the admin). Written against the
historical models a migration gives (``apps``), never the current ones."""

from __future__ import annotations

import datetime
from decimal import Decimal

PDF_OR_IMAGE = ["application/pdf", "image/jpeg", "image/png"]
IMAGE = ["image/jpeg", "image/png"]
MB = 1024 * 1024

OFFICE, COMMITTEE, DIRECTOR = "press_office", "press_committee", "press_director"

# stage, decider, group, actions, norm (working days), names ar/fr/en, applicant text ar/fr/en
OFFICE_REVIEW = ("review", "unit_officers", OFFICE, ["approve", "reject", "return", "suspend",
                                                     "forward"], 10,
                 ("دراسة الملف من طرف مصلحة الصحافة", "Examen par le service de la presse",
                  "Review by the press office"),
                 ("ملفكم قيد الدراسة من طرف مصلحة الصحافة.",
                  "Votre dossier est examiné par le service de la presse.",
                  "The press office is reviewing your dossier."))
COMMITTEE_STEP = ("committee", "committee", COMMITTEE, ["approve", "reject", "return"], 20,
                  ("اللجنة", "Commission", "Committee"),
                  ("ملفكم معروض على اللجنة.", "Votre dossier est soumis à la commission.",
                   "Your dossier is before the committee."))
DIRECTOR_STEP = ("director_decision", "unit_officers", DIRECTOR, ["approve", "reject"], 5,
                 ("قرار مدير الاتصال", "Décision du directeur de la communication",
                  "Decision of the director of communication"),
                 ("ملفكم في انتظار قرار المدير.", "Votre dossier attend la décision du directeur.",
                  "Your dossier awaits the director's decision."))


def doc(ar, fr, en, types=PDF_OR_IMAGE, size=5, required=True, validity=None):
    return {"label_ar": ar, "label_fr": fr, "label_en": en, "accepted_types": types,
            "max_bytes": size * MB, "required": required, "validity_days": validity}


CIN = doc("نسخة من البطاقة الوطنية للتعريف", "Copie de la CIN", "Copy of the national ID card")
PHOTO = doc("صورة شمسية", "Photo d'identité", "Identity photo", types=IMAGE, size=2)

TYPES = [
    {
        "code": "press-card", "family": "press_card",
        "names": ("البطاقة المهنية للصحافة", "Carte de presse professionnelle",
                  "Professional press card"),
        "steps": [OFFICE_REVIEW], "correction_days": 15,
        "documents": [
            CIN,
            doc("السجل العدلي (أقل من 3 أشهر)", "Extrait du casier judiciaire (moins de 3 mois)",
                "Criminal record (less than 3 months old)", validity=90),
            doc("شهادة العمل تبين المهمة والأجر",
                "Attestation de l'employeur (fonction et salaire)",
                "Employer attestation (role and salary)"),
            doc("آخر ثلاث أوراق أداء", "Trois dernières fiches de paie", "Last three payslips",
                size=10),
            doc("التصريح لدى الصندوق الوطني للضمان الاجتماعي", "Déclaration CNSS",
                "CNSS declaration"),
            PHOTO,
        ],
    },
    {
        "code": "train-card", "family": "train_card",
        "names": ("بطاقة القطار", "Carte de train", "Train card"),
        "steps": [OFFICE_REVIEW], "correction_days": 10,
        "documents": [
            CIN, PHOTO,
            doc("نسخة من البطاقة المهنية", "Copie de la carte de presse", "Copy of the press card"),
        ],
    },
    {
        "code": "committee-number", "family": "press_committee",
        "names": ("رقم اللجنة الثنائية", "Numéro de la commission paritaire",
                  "Joint committee number"),
        "steps": [OFFICE_REVIEW, DIRECTOR_STEP], "correction_days": 15,
        "documents": [
            doc("وصل التصريح بالنشر", "Récépissé de déclaration de la publication",
                "Publication declaration receipt"),
            doc("نسخة من البطاقة الوطنية لمدير النشر", "CIN du directeur de publication",
                "ID card of the publication's director"),
            doc("آخر ثلاثة أعداد", "Trois derniers numéros", "Last three issues", size=20,
                required=False),
        ],
    },
    {
        "code": "direct-support", "family": "press_support",
        "names": ("الدعم العمومي المباشر الأساسي", "Soutien public direct de base",
                  "Basic direct public support"),
        "steps": [OFFICE_REVIEW, COMMITTEE_STEP, DIRECTOR_STEP], "correction_days": 15,
        "documents": [
            doc("القوائم المالية", "États financiers", "Financial statements", size=10),
            doc("شهادة الوضعية الجبائية", "Attestation de régularité fiscale",
                "Tax compliance certificate", validity=90),
            doc("شهادة الصندوق الوطني للضمان الاجتماعي", "Attestation CNSS", "CNSS attestation",
                validity=90),
            doc("لائحة الصحفيين المهنيين", "Liste des journalistes professionnels",
                "List of professional journalists"),
        ],
    },
    {
        "code": "filming-permit", "family": "filming_permit", "active": False,
        "names": ("رخصة التصوير", "Autorisation de tournage", "Filming permit"),
        "steps": [OFFICE_REVIEW, DIRECTOR_STEP], "correction_days": 7,
        "documents": [
            doc("ملخص العمل", "Synopsis", "Synopsis"),
            doc("شهادة التأمين", "Attestation d'assurance", "Insurance certificate"),
            doc("لائحة الطاقم", "Liste de l'équipe", "Crew list", required=False),
        ],
    },
]


def seed(apps, schema_editor=None, today: datetime.date | None = None):
    Group = apps.get_model("auth", "Group")
    RequestType = apps.get_model("staff_requests", "RequestType")
    WorkflowStep = apps.get_model("staff_requests", "WorkflowStep")
    DocumentRequirement = apps.get_model("staff_requests", "DocumentRequirement")
    groups = {name: Group.objects.get_or_create(name=name)[0]
              for name in (OFFICE, COMMITTEE, DIRECTOR)}
    for spec in TYPES:
        if RequestType.objects.filter(code=spec["code"]).exists():
            continue
        name_ar, name_fr, name_en = spec["names"]
        kind = RequestType.objects.create(
            code=spec["code"], family=spec["family"], name_ar=name_ar, name_fr=name_fr,
            name_en=name_en, applicant_kind="organisation", active=spec.get("active", True),
            correction_days=spec["correction_days"], draft_expiry_days=30)
        for position, step in enumerate(spec["steps"], start=1):
            stage, decider, group, actions, norm, names, texts = step
            if position == len(spec["steps"]):
                actions = [a for a in actions if a != "forward"]
            WorkflowStep.objects.create(
                request_type=kind, position=position, stage=stage, decider=decider,
                group=groups[group], actions=actions, norm_days=norm,
                name_ar=names[0], name_fr=names[1], name_en=names[2],
                applicant_text_ar=texts[0], applicant_text_fr=texts[1],
                applicant_text_en=texts[2])
        for position, line in enumerate(spec["documents"], start=1):
            DocumentRequirement.objects.create(request_type=kind, position=position, **line)
    # This year's configuration; the ministry sets the next ones in the admin.
    today = today or datetime.date.today()
    PressCampaign = apps.get_model("press", "PressCampaign")
    SalaryFloor = apps.get_model("press", "SalaryFloor")
    TrainCardQuota = apps.get_model("press", "TrainCardQuota")
    SupportEligibilityRule = apps.get_model("press", "SupportEligibilityRule")
    year = today.year + 1 if today.month >= 11 else today.year
    campaign, created = PressCampaign.objects.get_or_create(year=year, defaults={
        "deposit_opens": datetime.date(year - 1, 11, 1),
        "deposit_closes": datetime.date(year, 1, 31),
        "completion_opens": datetime.date(year, 2, 1),
        "completion_closes": datetime.date(year, 2, 28),
    })
    if created:
        for medium, amount in (("print", 5000), ("electronic", 4500), ("audiovisual", 6000),
                               ("agency", 5000)):
            SalaryFloor.objects.create(campaign=campaign, medium=medium,
                                       monthly_minimum=Decimal(amount))
    for quota_year in {today.year, year}:
        TrainCardQuota.objects.get_or_create(year=quota_year, defaults={"quota": 600})
    if not SupportEligibilityRule.objects.exists():
        SupportEligibilityRule.objects.create(
            fact="professional_journalists", operator="gte", value=Decimal(3),
            message_ar="يجب أن تشغل المقاولة ثلاثة صحفيين مهنيين على الأقل.",
            message_fr="L'entreprise doit employer au moins trois journalistes professionnels.",
            message_en="The company must employ at least three professional journalists.")
        SupportEligibilityRule.objects.create(
            fact="years_of_activity", operator="gte", value=Decimal(1),
            message_ar="يجب أن تكون للمقاولة سنة من النشاط على الأقل.",
            message_fr="L'entreprise doit avoir au moins un an d'activité.",
            message_en="The company must have at least one year of activity.")
        SupportEligibilityRule.objects.create(
            fact="requested_amount", operator="lte", value=Decimal(2000000),
            message_ar="لا يمكن أن يتجاوز المبلغ المطلوب 2.000.000 درهم.",
            message_fr="Le montant demandé ne peut dépasser 2 000 000 MAD.",
            message_en="The requested amount cannot exceed 2,000,000 MAD.")
