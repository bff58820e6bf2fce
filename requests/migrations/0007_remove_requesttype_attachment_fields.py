# The single attachment of a type is now a line of its document checklist (0006).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("staff_requests", "0006_staff_procedures_on_the_engine")]

    operations = [
        migrations.RemoveField(model_name="requesttype", name="attachment_label"),
        migrations.RemoveField(model_name="requesttype", name="attachment_required"),
    ]
