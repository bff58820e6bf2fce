"""The ministry's default request types and the demo seed for this app."""

from __future__ import annotations

from django.db import transaction

from .models import SOCIAL_AFFAIRS_GROUP, Decider, RequestType, Stage

M, H = Stage.MANAGER_DECISION, Stage.HR_PROCESSING
# Leave over this many days also goes to the director (a routing rule, editable).
DIRECTOR_LEAVE_DAYS = 10
DIRECTOR_STEP = {
    "stage": Stage.DIRECTOR_DECISION, "decider": Decider.DIRECTOR,
    "name_ar": "قرار المدير", "name_fr": "Décision du directeur", "name_en": "Director's decision",
    "rules": [("days", "gt", DIRECTOR_LEAVE_DAYS)],
}
# Groups of the units that answer procedures between directorates.
DSI_EQUIPMENT_GROUP = "dsi_equipment_desk"
DAJ_OPINIONS_GROUP = "daj_legal_opinions"
DEFAULT_TYPES = [
    # code, name_ar, name_fr, family, kind, extra, steps
    ("leave-annual", "رخصة إدارية سنوية", "Congé administratif annuel", "leave", "annual",
     {"deducts_from_balance": True}, [(M, Decider.DIRECT_MANAGER), DIRECTOR_STEP]),
    ("leave-sick", "رخصة مرض", "Congé de maladie", "leave", "sick",
     {"attachment_required": True, "attachment_label": "Certificat médical / شهادة طبية"},
     [(M, Decider.DIRECT_MANAGER)]),
    ("leave-exceptional", "رخصة استثنائية", "Congé exceptionnel", "leave", "exceptional",
     {"required_fields": ["reason"], "max_days": 10}, [(M, Decider.DIRECT_MANAGER)]),
    ("leave-parental", "رخصة الأمومة أو الأبوة", "Congé de maternité ou de paternité", "leave",
     "parental", {"counts_calendar_days": True},
     [(M, Decider.DIRECT_MANAGER), (H, Decider.HR_OFFICER)]),
    ("certificate-work", "شهادة العمل", "Attestation de travail", "certificate", "work", {},
     [(H, Decider.HR_OFFICER)]),
    ("certificate-salary", "شهادة الأجرة", "Attestation de salaire", "certificate", "salary", {},
     [(H, Decider.HR_OFFICER)]),
    ("social-services", "الخدمات الاجتماعية", "Services sociaux", "social", "",
     {"required_fields": ["description"]}, [(H, Decider.SOCIAL_AFFAIRS_OFFICER)]),
    # Procedures between directorates: a directorate applies, another answers.
    ("interservice-equipment", "طلب معدات معلوماتية", "Demande d'équipement informatique",
     "interservice", "",
     {"name_en": "IT equipment request", "applicant_kind": "directorate"},
     [{"stage": Stage.DIRECTOR_DECISION, "decider": Decider.DIRECTOR, "norm_days": 2,
       "actions": ["approve", "reject", "return"],
       "name_ar": "موافقة مدير المديرية الطالبة", "name_fr": "Visa du directeur demandeur",
       "name_en": "Applying director's approval"},
      {"stage": Stage.REVIEW, "decider": Decider.UNIT_OFFICERS, "group": DSI_EQUIPMENT_GROUP,
       "norm_days": 10, "actions": ["approve", "reject", "return", "forward", "suspend"],
       "name_ar": "مصلحة المعدات بمديرية نظم المعلومات",
       "name_fr": "Bureau de l'équipement (DSI)", "name_en": "Equipment desk (IT directorate)",
       "applicant_text_ar": "طلبكم قيد الدراسة لدى مديرية نظم المعلومات.",
       "applicant_text_fr": "Votre demande est à l'étude à la direction des systèmes "
                            "d'information.",
       "applicant_text_en": "Your request is being studied by the IT directorate."}]),
    ("interservice-legal-opinion", "طلب رأي قانوني", "Demande d'avis juridique",
     "interservice", "",
     {"name_en": "Legal opinion request", "applicant_kind": "directorate"},
     [{"stage": Stage.DIRECTOR_DECISION, "decider": Decider.DIRECTOR, "norm_days": 2,
       "actions": ["approve", "reject", "return"],
       "name_ar": "موافقة مدير المديرية الطالبة", "name_fr": "Visa du directeur demandeur",
       "name_en": "Applying director's approval"},
      {"stage": Stage.REVIEW, "decider": Decider.UNIT_OFFICERS, "group": DAJ_OPINIONS_GROUP,
       "norm_days": 15, "actions": ["approve", "reject", "return", "suspend"],
       "name_ar": "مديرية الشؤون القانونية", "name_fr": "Direction des affaires juridiques",
       "name_en": "Legal affairs directorate",
       "applicant_text_ar": "طلب الرأي قيد الدراسة لدى مديرية الشؤون القانونية.",
       "applicant_text_fr": "La demande d'avis est à l'étude à la direction des affaires "
                            "juridiques.",
       "applicant_text_en": "The opinion is being studied by the legal affairs directorate."}]),
]


def _fields_of(model) -> set[str]:
    return {f.name for f in model._meta.get_fields()}


def add_step(request_type, position: int, spec, group_model=None) -> None:
    """Create one step from a (stage, decider) pair or a dict; parts the model
    of the time does not know (migrations pass old models) are left out."""
    if isinstance(spec, tuple):
        spec = {"stage": spec[0], "decider": spec[1]}
    spec = dict(spec)
    rules = spec.pop("rules", [])
    group_name = spec.pop("group", None)
    step_model = request_type.steps.model
    known = _fields_of(step_model)
    values = {name: value for name, value in spec.items() if name in known}
    if group_name and "group" in known:
        if group_model is None:
            from django.contrib.auth.models import Group as group_model
        values["group"], _created = group_model.objects.get_or_create(name=group_name)
    step = request_type.steps.create(position=position, **values)
    if "rules" in known:
        for fact, operator, value in rules:
            step.rules.create(fact=fact, operator=operator, value=value)


def ensure_default_types(request_type_model=RequestType, group_model=None, *,
                         before_engine: bool = False) -> int:
    """Create the default types that are missing (never touches existing ones).

    ``before_engine``: what the migration written before the procedures engine
    created (the staff families, their plain steps); the engine's migration
    adds the rest, so fresh and upgraded databases end up alike."""
    created = 0
    for code, name_ar, name_fr, family, kind, extra, steps in DEFAULT_TYPES:
        if request_type_model.objects.filter(code=code).exists():
            continue
        if before_engine:
            if family not in ("leave", "certificate", "social"):
                continue
            steps = [step for step in steps if isinstance(step, tuple)]
        fields = {"leave": "leave_kind", "certificate": "certificate_kind"}.get(family)
        # Migrations pass the model of their time: leave out later fields.
        known = _fields_of(request_type_model)
        document = None
        if extra.get("attachment_required") and "documents" in known:
            document = extra.get("attachment_label", "")
        extra = {name: value for name, value in extra.items() if name in known}
        values = dict(code=code, name_ar=name_ar, name_fr=name_fr, family=family, **extra)
        if fields:
            values[fields] = kind
        request_type = request_type_model.objects.create(**values)
        if document is not None:
            request_type.documents.create(label_ar=document, label_fr=document, required=True)
        for position, spec in enumerate(steps, start=1):
            add_step(request_type, position, spec, group_model)
        created += 1
    return created


@transaction.atomic
def seed_requests_demo() -> dict:
    """Demo data for requests: default types, the social affairs officer and the
    units. Called by `seed_demo`. (Public holidays come from the holidays
    package: nothing to seed.)"""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from .models import LeavePolicy

    User = get_user_model()
    types = ensure_default_types()
    LeavePolicy.current()
    group, _created = Group.objects.get_or_create(name=SOCIAL_AFFAIRS_GROUP)
    social = User.objects.filter(username="drh.social").first()
    if social:
        social.groups.add(group)
    # The units answering procedures between directorates.
    for group_name, username in ((DSI_EQUIPMENT_GROUP, "dsi.agent1"),
                                 (DAJ_OPINIONS_GROUP, "daj.agent1")):
        unit, _created = Group.objects.get_or_create(name=group_name)
        officer = User.objects.filter(username=username).first()
        if officer:
            officer.groups.add(unit)
    return {"request_types": types}
