from django.db import migrations


def plain_text_as_paragraphs(apps, schema_editor):
    # Bodies written before the editor were plain text: line breaks would be lost
    # in HTML. The sanitiser turns text without markup into paragraphs.
    from announcements.sanitize import clean_html

    Announcement = apps.get_model("announcements", "Announcement")
    for announcement in Announcement.objects.only("pk", "body_ar", "body_fr").iterator():
        body_ar, body_fr = clean_html(announcement.body_ar), clean_html(announcement.body_fr)
        if (body_ar, body_fr) != (announcement.body_ar, announcement.body_fr):
            Announcement.objects.filter(pk=announcement.pk).update(
                body_ar=body_ar, body_fr=body_fr
            )


class Migration(migrations.Migration):

    dependencies = [
        ("announcements", "0003_image"),
    ]

    operations = [
        migrations.RunPython(plain_text_as_paragraphs, migrations.RunPython.noop),
    ]
