"""Moves the existing staff requests onto the procedures engine, keeping every
row: each request gets its current step, service-norm clock and decision time;
each transition becomes the next entry of its request's hash-chained timeline;
each type's single attachment becomes a line of its document checklist and the
attachments already given become its submitted documents. Leave balances and
their history are not touched. Adds the director's step (with its routing
rule) to annual leave and the two procedures between directorates.
"""

from django.db import migrations

TIMELINE = "staff_requests_timelineentry"
BATCH = 2000


def forwards(apps, schema_editor):
    from requests.clock import add_working_days
    from requests.defaults import DIRECTOR_STEP, add_step, ensure_default_types
    from requests.models_engine import chain_hash
    from requests.timeline import transition_payload

    RequestType = apps.get_model("staff_requests", "RequestType")
    Request = apps.get_model("staff_requests", "Request")
    Transition = apps.get_model("staff_requests", "RequestTransition")
    TimelineEntry = apps.get_model("staff_requests", "TimelineEntry")
    Attachment = apps.get_model("staff_requests", "RequestAttachment")
    SubmittedDocument = apps.get_model("staff_requests", "SubmittedDocument")
    PublicHoliday = apps.get_model("staff_requests", "PublicHoliday")
    Group = apps.get_model("auth", "Group")

    # The single "attachment required" of a type becomes a checklist line.
    requirement_of = {}
    for request_type in RequestType.objects.filter(attachment_required=True):
        label = request_type.attachment_label or "Pièce justificative / وثيقة مثبتة"
        requirement_of[request_type.pk] = request_type.documents.create(
            label_ar=label, label_fr=label, required=True)
    for attachment in Attachment.objects.select_related("request").iterator(chunk_size=BATCH):
        SubmittedDocument.objects.create(
            request_id=attachment.request_id, attachment=attachment,
            requirement=requirement_of.get(attachment.request.request_type_id),
        )

    # Leave over ten days also goes to the director.
    annual = RequestType.objects.filter(code="leave-annual").first()
    if annual is not None and not annual.steps.filter(decider="director").exists():
        last = annual.steps.order_by("-position").first()
        add_step(annual, (last.position if last else 0) + 1, DIRECTOR_STEP, Group)
    ensure_default_types(RequestType, Group)

    holidays = set(PublicHoliday.objects.values_list("date", flat=True))
    steps = {}
    for request_type in RequestType.objects.prefetch_related("steps"):
        steps[request_type.pk] = sorted(request_type.steps.all(), key=lambda s: (s.position, s.pk))
    final = {"completed", "rejected", "cancelled"}
    requests = Request.objects.order_by("pk")
    for request in requests.iterator(chunk_size=BATCH):
        transitions = list(Transition.objects.filter(request_id=request.pk).order_by("at", "pk"))
        last_at = transitions[-1].at if transitions else request.updated_at
        changes = {}
        if request.stage in final:
            changes["decided_at"] = last_at
        else:
            type_steps = steps.get(request.request_type_id, [])
            if 0 < request.step_position <= len(type_steps):
                step = type_steps[request.step_position - 1]
                changes.update(current_step_id=step.pk, stage_entered_at=last_at,
                               due_at=add_working_days(last_at, step.norm_days, holidays))
        if changes:
            Request.objects.filter(pk=request.pk).update(**changes)
        previous, rows = "", []
        for seq, transition in enumerate(transitions, start=1):
            payload = transition_payload(transition)
            digest = chain_hash(previous, request_id=request.pk, seq=seq, kind="transition",
                                public=True, actor_id=transition.actor_id, at=transition.at,
                                payload=payload)
            rows.append(TimelineEntry(
                request_id=request.pk, seq=seq, kind="transition", public=True,
                actor_id=transition.actor_id, transition=transition, payload=payload,
                at=transition.at, prev_hash=previous, hash=digest,
            ))
            previous = digest
        TimelineEntry.objects.bulk_create(rows)


def backwards(apps, schema_editor):
    # The timeline rows are append-only (triggers): the schema migration's
    # reversal drops the whole table; nothing to undo row by row here.
    pass


def timeline_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"""CREATE TRIGGER staff_requests_timeline_no_update BEFORE UPDATE ON {TIMELINE}
                BEGIN SELECT RAISE(ABORT, 'the timeline is append-only'); END"""
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            f"""CREATE TRIGGER staff_requests_timeline_append_only
                BEFORE UPDATE OR DELETE ON {TIMELINE}
                FOR EACH ROW EXECUTE FUNCTION staff_requests_append_only()"""
        )


def drop_timeline_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS staff_requests_timeline_no_update")
    elif vendor == "postgresql":
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS staff_requests_timeline_append_only ON {TIMELINE}")


class Migration(migrations.Migration):
    dependencies = [
        ("staff_requests", "0005_procedures_engine"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(timeline_guard, drop_timeline_guard),
    ]
