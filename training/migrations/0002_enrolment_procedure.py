"""Enrolment in a course that needs approval is a procedure on the engine: one
step, decided by the applicant's manager (or acting manager). Going back keeps
the type: forwards finds it again, and applications may point at it."""

from django.db import migrations


def forwards(apps, schema_editor):
    from training.defaults import ensure_enrolment_type

    ensure_enrolment_type(apps.get_model("staff_requests", "RequestType"))


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0001_initial"),
        ("staff_requests", "0009_family_choices_registered"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
