"""The public holidays table becomes HR's overrides on top of the holidays
package. Rows the old seed wrote (its fixed dates and its guessed lunar dates,
by their seeded French name) are dropped: the package now gives them. Rows HR
entered or renamed stay, as holidays added on top."""

from django.db import migrations, models

SEEDED_FIXED = {
    (1, 1, "Nouvel an"), (1, 11, "Manifeste de l'indépendance"), (1, 14, "Nouvel an amazigh"),
    (5, 1, "Fête du travail"), (7, 30, "Fête du trône"), (8, 14, "Allégeance de Oued Ed-Dahab"),
    (8, 20, "Révolution du roi et du peuple"), (8, 21, "Fête de la jeunesse"),
    (10, 31, "Fête de l'unité"), (11, 6, "Marche verte"), (11, 18, "Fête de l'indépendance"),
}
SEEDED_LUNAR = {
    "2026-03-20", "2026-03-21", "2026-05-27", "2026-05-28", "2026-06-17", "2026-08-26",
    "2027-03-10", "2027-03-11", "2027-05-17", "2027-05-18", "2027-06-06", "2027-08-15",
    "2028-02-27", "2028-02-28", "2028-05-05", "2028-05-06", "2028-05-25", "2028-08-03",
}
LUNAR_NAMES = {"Aïd al-Fitr", "Aïd al-Adha", "Nouvel an de l'Hégire", "Aïd al-Mawlid"}


def drop_seeded(apps, schema_editor):
    PublicHoliday = apps.get_model("staff_requests", "PublicHoliday")
    for row in PublicHoliday.objects.all():
        fixed = (row.date.month, row.date.day, row.name_fr) in SEEDED_FIXED
        lunar = row.date.isoformat() in SEEDED_LUNAR and row.name_fr in LUNAR_NAMES
        if fixed or lunar:
            row.delete()


class Migration(migrations.Migration):

    dependencies = [
        ('staff_requests', '0011_organisation_recent_index'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='publicholiday',
            options={'ordering': ['date'], 'verbose_name': 'public holiday override', 'verbose_name_plural': 'public holiday overrides'},
        ),
        migrations.AddField(
            model_name='publicholiday',
            name='is_holiday',
            field=models.BooleanField(default=True, help_text='Untick to cancel a date the calendar estimated (an Islamic holiday announced for another day).', verbose_name='public holiday'),
        ),
        migrations.AlterField(
            model_name='publicholiday',
            name='name_ar',
            field=models.CharField(blank=True, max_length=120, verbose_name='name (Arabic)'),
        ),
        migrations.AlterField(
            model_name='publicholiday',
            name='name_fr',
            field=models.CharField(blank=True, max_length=120, verbose_name='name (French)'),
        ),
        migrations.RunPython(drop_seeded, migrations.RunPython.noop),
    ]
