"""The ministry's default request types and the demo seed for this app."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import SOCIAL_AFFAIRS_GROUP, Decider, RequestType, Stage

M, H = Stage.MANAGER_DECISION, Stage.HR_PROCESSING
DEFAULT_TYPES = [
    # code, name_ar, name_fr, family, kind, extra, steps
    ("leave-annual", "رخصة إدارية سنوية", "Congé administratif annuel", "leave", "annual",
     {"deducts_from_balance": True}, [(M, Decider.DIRECT_MANAGER)]),
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
]


def ensure_default_types(request_type_model=RequestType) -> int:
    """Create the default types that are missing (never touches existing ones)."""
    created = 0
    for code, name_ar, name_fr, family, kind, extra, steps in DEFAULT_TYPES:
        if request_type_model.objects.filter(code=code).exists():
            continue
        fields = {"leave": "leave_kind", "certificate": "certificate_kind"}.get(family)
        # Migrations pass the model of their time: leave out later fields.
        known = {f.name for f in request_type_model._meta.get_fields()}
        extra = {name: value for name, value in extra.items() if name in known}
        values = dict(code=code, name_ar=name_ar, name_fr=name_fr, family=family, **extra)
        if fields:
            values[fields] = kind
        request_type = request_type_model.objects.create(**values)
        for position, (stage, decider) in enumerate(steps, start=1):
            request_type.steps.create(position=position, stage=stage, decider=decider)
        created += 1
    return created


@transaction.atomic
def seed_requests_demo() -> dict:
    """Demo data for requests: default types, Moroccan public holidays for this
    year and the next, the social affairs officer. Called by `seed_demo`."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from .leave import seed_public_holidays
    from .models import LeavePolicy

    User = get_user_model()
    types = ensure_default_types()
    LeavePolicy.current()
    year = timezone.localdate().year
    holidays = seed_public_holidays([year, year + 1])
    group, _created = Group.objects.get_or_create(name=SOCIAL_AFFAIRS_GROUP)
    social = User.objects.filter(username="drh.social").first()
    if social:
        social.groups.add(group)
    return {"request_types": types, "public_holidays": holidays}
