"""Enrolment in a course that needs approval is a procedure on the engine: one
step, decided by the applicant's manager (or acting manager). Going back keeps
the type: forwards finds it again, and applications may point at it."""

from django.db import migrations

CODE = "training-enrolment"


def forwards(apps, schema_editor):
    RequestType = apps.get_model("staff_requests", "RequestType")
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


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0001_initial"),
        ("staff_requests", "0009_family_choices_registered"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
