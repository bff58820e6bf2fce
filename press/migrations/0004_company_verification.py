"""Company verification is a procedure of the engine: one review step by the
press office's officers (auth group "press_office"), with its checklist
(statutes, trade register extract). Going back keeps the type."""

from django.db import migrations


def forwards(apps, schema_editor):
    from press.verification import seed_type

    seed_type(apps.get_model("auth", "Group"), apps.get_model("staff_requests", "RequestType"))


class Migration(migrations.Migration):
    dependencies = [
        ("press", "0003_seed_dossier_types"),
        ("staff_requests", "0010_issued_document_holder"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
