"""PostgreSQL full-text index on the folded search text; channels for existing directorates."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS chat_msg_search ON chat_message "
    "USING gin (to_tsvector('simple', search_text))"
)
DROP = "DROP INDEX IF EXISTS chat_msg_search"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def open_channels(apps, schema_editor):
    Directorate = apps.get_model("collab", "Directorate")
    User = apps.get_model("collab", "User")
    Conversation = apps.get_model("chat", "Conversation")
    Membership = apps.get_model("chat", "Membership")
    for directorate in Directorate.objects.all():
        conversation, _ = Conversation.objects.get_or_create(
            directorate=directorate, defaults={"kind": "directorate"}
        )
        for user in User.objects.filter(directorate=directorate, is_active=True):
            Membership.objects.get_or_create(conversation=conversation, user=user)


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial"), ("collab", "0001_initial")]

    operations = [
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(open_channels, migrations.RunPython.noop),
    ]
