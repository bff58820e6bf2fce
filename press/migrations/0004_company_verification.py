"""Company verification is a procedure of the engine: one review step by the
press office's officers (auth group "press_office"), with its checklist
(statutes, trade register extract). Going back keeps the type."""

from django.db import migrations

CODE = "press-company-verification"
PDF_OR_IMAGE = ["application/pdf", "image/jpeg", "image/png"]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    RequestType = apps.get_model("staff_requests", "RequestType")
    office, _created = Group.objects.get_or_create(name="press_office")
    request_type, _created = RequestType.objects.get_or_create(
        code=CODE,
        defaults={
            "name_ar": "التحقق من المقاولة الصحفية",
            "name_fr": "Vérification de l'entreprise de presse",
            "name_en": "Press company verification",
            "family": "press_company",
            "applicant_kind": "organisation",
            "correction_days": 30,
        },
    )
    if not request_type.steps.exists():
        request_type.steps.create(
            position=1, stage="review", decider="unit_officers", group=office,
            actions=["approve", "reject", "return"], norm_days=5,
            name_ar="دراسة ملف المقاولة من طرف مصلحة الصحافة",
            name_fr="Examen de l'entreprise par le service de la presse",
            name_en="Review by the press office",
            applicant_text_ar="تتحقق مصلحة الصحافة من وثائق مقاولتكم.",
            applicant_text_fr="Le service de la presse vérifie les documents de votre entreprise.",
            applicant_text_en="The press office is checking your company's documents.",
        )
    if not request_type.documents.exists():
        for position, (ar, fr, en) in enumerate([
            ("النظام الأساسي", "Statuts", "Statutes"),
            ("مستخرج السجل التجاري", "Extrait du registre de commerce", "Trade register extract"),
        ], start=1):
            request_type.documents.create(
                position=position, label_ar=ar, label_fr=fr, label_en=en,
                accepted_types=PDF_OR_IMAGE, max_bytes=10 * 1024 * 1024, required=True)


class Migration(migrations.Migration):
    dependencies = [
        ("press", "0003_seed_dossier_types"),
        ("staff_requests", "0010_issued_document_holder"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
