"""The hash-chained timeline and ``manage.py verify_timeline``."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from requests import services, timeline
from requests.models import TimelineEntry

pytestmark = pytest.mark.django_db


def certificate_with_history(org, types):
    req = services.submit_certificate(org["employee"], types["certificate-work"],
                                      language="fr")
    services.post_message(req.pk, org["employee"], "Pour la banque, merci")
    services.post_message(req.pk, org["hr"], "Vérifier le contrat", internal=True)
    services.return_for_correction(req.pk, org["hr"], items=[{"kind": "text", "text": "x"}])
    services.resubmit(req.pk, org["employee"], comment="Fait")
    return req


def verify_output() -> tuple[bool, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_timeline", stdout=out, stderr=err)
    except CommandError as exc:
        return False, f"{exc}\n{err.getvalue()}"
    return True, out.getvalue()


def test_every_move_message_and_note_extends_one_chain(org, types):
    req = certificate_with_history(org, types)
    entries = list(TimelineEntry.objects.filter(request=req).order_by("seq"))
    assert [e.kind for e in entries] == [
        "transition", "message", "note", "transition", "deadline", "transition"]
    assert entries[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert verify_output() == (True, "timeline intact\n")
    # The applicant sees public entries only; officers see the note too.
    public = [e.kind for e in timeline.entries_for(req, officer=False)]
    assert "note" not in public and "message" in public
    assert "note" in [e.kind for e in timeline.entries_for(req, officer=True)]


def test_the_database_refuses_changes_and_removals(org, types):
    req = certificate_with_history(org, types)
    entry = TimelineEntry.objects.filter(request=req).first()
    for statement in (f"UPDATE staff_requests_timelineentry SET public = false "
                      f"WHERE id = {entry.pk}",
                      f"DELETE FROM staff_requests_timelineentry WHERE id = {entry.pk}"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement)
    with pytest.raises(IntegrityError), transaction.atomic():
        TimelineEntry(request=req, seq=1, kind="message", hash="x").save()


def _tamper(sql: str) -> None:
    # What a database superuser could do: run with the guards (triggers) off.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.mark.parametrize("how", ["edit", "delete", "transition"])
def test_verify_timeline_reports_the_first_broken_entry(org, types, how):
    certificate_with_history(org, types)
    req = certificate_with_history(org, types)
    entries = list(TimelineEntry.objects.filter(request=req).order_by("seq"))
    if how == "edit":
        _tamper("UPDATE staff_requests_timelineentry SET payload = '{\"message\": 1}' "
                f"WHERE id = {entries[1].pk}")
        broken = entries[1]
    elif how == "delete":
        _tamper(f"DELETE FROM staff_requests_timelineentry WHERE id = {entries[2].pk}")
        broken = entries[3]
    else:
        _tamper("UPDATE staff_requests_requesttransition SET comment = 'rewritten' "
                f"WHERE id = {entries[3].transition_id}")
        broken = entries[3]
    ok, report = verify_output()
    assert not ok
    assert f"first broken entry: {broken.pk} (application {req.pk}, #{broken.seq})" in report
    assert "1 broken chain(s)" in report
