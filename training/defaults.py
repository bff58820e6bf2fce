"""The engine's procedure type for enrolments that need approval: one step,
decided by the applicant's manager (or acting manager). Used by the data
migration and, after a test flushed the tables, by the service itself."""

CODE = "training-enrolment"


def ensure_enrolment_type(RequestType=None):
    if RequestType is None:
        from requests.models import RequestType
    request_type, _created = RequestType.objects.get_or_create(
        code=CODE,
        defaults={
            "name_ar": "التسجيل في دورة تكوينية",
            "name_fr": "Inscription à une formation",
            "name_en": "Enrolment in a training course",
            "family": "training",
        },
    )
    if not request_type.steps.exists():
        request_type.steps.create(
            position=1,
            stage="manager_decision",
            decider="direct_manager",
            actions=["approve", "reject"],
            norm_days=5,
        )
    return request_type
