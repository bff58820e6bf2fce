"""The press space's dossier types, their stages and checklists, this year's
campaign, train card quota and support rules (press/seed_dossiers.py)."""

from django.db import migrations


def seed(apps, schema_editor):
    from press.seed_dossiers import seed as seed_types

    seed_types(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("press", "0002_dossiers"),
        ("staff_requests", "0010_issued_document_holder"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
