"""The audit log: sign-ins, lockout, denied access, admin changes, the
auditors' pages and exports, and the database refusing to change an entry."""

from __future__ import annotations

import datetime
import io
import logging

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.utils import timezone

from collab.models import AuditEntry, User

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AuditTest/1.0"


def browser(ip="198.51.100.7", **extra) -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=BROWSER, **extra)


def entries(action=None):
    found = AuditEntry.objects.order_by("pk")
    return list(found.filter(action=action) if action else found)


# ---- Sign-in, sign-out, lockout ----------------------------------------------


def test_sign_in_success_failure_and_sign_out_each_make_one_entry(user_factory):
    user = user_factory(username="amina", password="Right-pass-123")
    client = browser()
    response = client.post("/login/", {"username": "amina", "password": "wrong"})
    assert response.status_code == 200
    [failed] = entries()
    assert (failed.action, failed.username, failed.actor_id) == (
        Action.SIGN_IN_FAILED,
        "amina",
        None,
    )
    assert (failed.ip, failed.user_agent, failed.path) == ("198.51.100.7", BROWSER, "/login/")

    assert (
        client.post("/login/", {"username": "amina", "password": "Right-pass-123"}).status_code
        == 302
    )
    [signed_in] = entries(Action.SIGN_IN)
    assert (signed_in.actor_id, signed_in.username, signed_in.ip) == (
        user.pk,
        "amina",
        "198.51.100.7",
    )
    assert signed_in.user_agent == BROWSER

    client.post("/logout/")
    [signed_out] = entries(Action.SIGN_OUT)
    assert (signed_out.actor_id, signed_out.ip, signed_out.path) == (
        user.pk,
        "198.51.100.7",
        "/logout/",
    )
    assert len(entries()) == 3


def test_a_sign_in_for_an_unknown_account_is_recorded_with_the_name_typed(db):
    browser().post("/login/", {"username": "nobody-here", "password": "x"})
    [entry] = entries()
    assert (entry.action, entry.username, entry.actor_id) == (
        Action.SIGN_IN_FAILED,
        "nobody-here",
        None,
    )


def test_lockout_after_the_limit_with_a_page_in_the_users_language(user_factory, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user_factory(username="karim", password="Right-pass-123")
    client = browser(ip="203.0.113.9")
    client.cookies["django_language"] = "fr"
    for _ in range(2):
        assert client.post("/login/", {"username": "karim", "password": "bad"}).status_code == 200
    third = client.post("/login/", {"username": "karim", "password": "bad"})
    assert third.status_code == 429
    page = third.content.decode()
    assert "Connexion suspendue" in page and "15 minutes" in page
    # Locked out: even the right password is refused now, with the same page.
    refused = client.post("/login/", {"username": "karim", "password": "Right-pass-123"})
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    # One entry per attempt: two failures, then the lockout and the refused attempt.
    assert [e.action for e in entries()] == [
        Action.SIGN_IN_FAILED,
        Action.SIGN_IN_FAILED,
        Action.LOCKED_OUT,
        Action.LOCKED_OUT,
    ]
    lockout = entries(Action.LOCKED_OUT)[0]
    assert (lockout.username, lockout.ip, lockout.user_agent) == ("karim", "203.0.113.9", BROWSER)


def test_lockout_is_per_username_and_address(user_factory, settings):
    settings.AXES_FAILURE_LIMIT = 2
    user_factory(username="karim", password="Right-pass-123")
    attacker = browser(ip="203.0.113.9")
    for _ in range(2):
        attacker.post("/login/", {"username": "karim", "password": "bad"})
    assert attacker.post("/login/", {"username": "karim", "password": "bad"}).status_code == 429
    # The owner at their own desk still signs in.
    desk = browser(ip="198.51.100.20")
    assert (
        desk.post("/login/", {"username": "karim", "password": "Right-pass-123"}).status_code == 302
    )


def test_the_lockout_ends_after_the_cool_off(user_factory, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 2
    user_factory(username="karim", password="Right-pass-123")
    client = browser()
    for _ in range(2):
        client.post("/login/", {"username": "karim", "password": "bad"})
    assert (
        client.post("/login/", {"username": "karim", "password": "Right-pass-123"}).status_code
        == 429
    )
    # The cool-off is measured from the last counted failure: move it into the past.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1)
    )
    assert (
        client.post("/login/", {"username": "karim", "password": "Right-pass-123"}).status_code
        == 302
    )


# ---- Denied access --------------------------------------------------------------


def test_a_permission_denied_is_one_log_line_and_one_entry(user_factory, client_for, caplog):
    outsider = user_factory(username="outsider")
    client = client_for(outsider)
    before = {e.pk for e in entries()}
    with caplog.at_level(logging.WARNING, logger="django.request"):
        # The HR queue refuses everyone but HR officers with PermissionDenied.
        response = client.get("/requests/hr/", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="192.0.2.4")
    assert response.status_code == 403
    lines = [r for r in caplog.records if r.name == "django.request"]
    assert len(lines) == 1
    [line] = lines
    assert line.exc_info is None and line.exc_text is None
    assert "Forbidden" in line.getMessage() and "/requests/hr/" in line.getMessage()
    assert "Traceback" not in caplog.text
    [denied] = [e for e in entries() if e.pk not in before]
    assert (denied.action, denied.actor_id, denied.path) == (
        Action.DENIED,
        outsider.pk,
        "/requests/hr/",
    )
    assert (denied.ip, denied.user_agent, denied.detail) == ("192.0.2.4", BROWSER, {"status": 403})


def test_a_404_by_policy_is_recorded_but_a_missing_object_is_not(user_factory, client_for, caplog):
    import io as _io

    from files import services

    owner, other = user_factory(), user_factory()
    file = services.upload_file(owner, _io.BytesIO(b"secret"), "secret.txt").file
    client = client_for(other)
    before = {e.pk for e in entries()}
    with caplog.at_level(logging.WARNING, logger="django.request"):
        hidden = client.get(f"/files/{file.pk}/download/")
        missing = client.get(f"/files/{file.pk + 1000}/download/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    [denied] = [e for e in entries() if e.pk not in before]
    assert (denied.action, denied.actor_id, denied.detail) == (
        Action.DENIED,
        other.pk,
        {"status": 404},
    )
    assert denied.path == f"/files/{file.pk}/download/"
    assert all(r.exc_info is None for r in caplog.records if r.name == "django.request")


# ---- Admin changes ---------------------------------------------------------------


def test_admin_changes_and_bulk_actions_are_recorded(user_factory, directorate_factory):
    admin = user_factory(username="root", is_staff=True, is_superuser=True)
    victims = [user_factory(username=f"gone{n}") for n in range(2)]
    for victim in victims:
        browser().force_login(victim)  # some history of their own
    client = browser()
    client.force_login(admin)
    before = {e.pk for e in entries()}
    unit = directorate_factory()
    response = client.post(
        f"/admin/collab/directorate/{unit.pk}/change/",
        {
            "code": unit.code,
            "name_ar": "جديد",
            "name_fr": "Nouveau nom",
            "kind": "central",
            "parent": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        "/admin/collab/user/",
        {"action": "delete_selected", "_selected_action": [v.pk for v in victims], "post": "yes"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(username__startswith="gone").exists()
    new = [e for e in entries() if e.pk not in before]
    changed = [e for e in new if e.action == Action.ADMIN_CHANGE]
    deleted = [e for e in new if e.action == Action.ADMIN_DELETE]
    assert [(e.object_type, e.object_id) for e in changed] == [("collab.directorate", str(unit.pk))]
    assert "Name (French)" in changed[0].detail["change"]
    assert sorted(e.object_id for e in deleted) == sorted(str(v.pk) for v in victims)
    assert all(e.actor_id == admin.pk and e.ip == "198.51.100.7" for e in changed + deleted)
    # The deleted accounts' own history is still there, unchanged.
    kept = AuditEntry.objects.filter(action=Action.SIGN_IN, actor_id__in=[v.pk for v in victims])
    assert sorted(kept.values_list("username", flat=True)) == ["gone0", "gone1"]


# ---- Append-only ---------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_an_entry(user):
    from collab import audit

    entry = audit.record(Action.DOWNLOAD, actor=user, detail={"version": 1})
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    if connection.vendor != "postgresql":
        pytest.skip("the delete trigger is PostgreSQL's (SQLite's flush deletes rows)")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(username="someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE collab_auditentry SET ip = '10.0.0.1'")
    entry.refresh_from_db()
    assert entry.username == user.username and entry.ip is None


def test_nobody_edits_entries_in_the_admin(user_factory):
    admin = user_factory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/collab/auditentry/").status_code == 404


# ---- Auditors' pages -----------------------------------------------------------


@pytest.fixture
def auditor(user_factory):
    return user_factory(username="auditor", role=User.Role.AUDITOR, preferred_language="en")


def test_only_auditors_see_the_audit_pages_and_navigation(auditor, user_factory, client_for):
    admin = user_factory(
        username="root", is_staff=True, is_superuser=True, role=User.Role.ADMINISTRATOR
    )
    staff = user_factory(username="staffer")
    for person in (admin, staff):
        client = client_for(person)
        for url in ("/audit/", "/audit/export.csv", "/audit/export.xlsx"):
            assert client.get(url).status_code == 404, (person, url)
        assert "/audit/" not in client.get("/").content.decode()
    assert Client().get("/audit/").status_code == 302  # to the sign-in page
    client = client_for(auditor)
    assert client.get("/audit/").status_code == 200
    assert 'href="/audit/"' in client.get("/").content.decode()


@pytest.fixture
def log(user_factory):
    """Entries of several kinds, users and days."""
    amina, karim = user_factory(username="amina"), user_factory(username="karim")
    rows = [
        (Action.SIGN_IN, amina, "", "", "", 1),
        (Action.DOWNLOAD, amina, "files.file", "12", "budget.xlsx", 1),
        (Action.DOWNLOAD, karim, "files.file", "13", '=HYPERLINK("http://x")', 3),
        (Action.DELETE, karim, "files.file", "12", "budget.xlsx", 10),
    ]
    now = timezone.now()
    for action, actor, object_type, object_id, object_repr, days_ago in rows:
        AuditEntry.objects.create(
            action=action,
            actor=actor,
            username=actor.username,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr,
            ip="192.0.2.1",
            user_agent="+cmd|' /C calc'!A0",
            at=now - datetime.timedelta(days=days_ago),
        )
    return {"amina": amina, "karim": karim, "now": now}


def page_rows(response) -> int:
    return response.content.decode().count("<tr>") - 1  # minus the header


def test_filters_by_user_action_dates_and_object(auditor, log, client_for):
    client = client_for(auditor)
    assert page_rows(client.get("/audit/", {"user": "amina"})) == 2
    assert page_rows(client.get("/audit/", {"user": "karim", "action": "download"})) == 1
    today = timezone.localdate(log["now"])
    recent = client.get(
        "/audit/",
        {
            "date_from": (today - datetime.timedelta(days=5)).isoformat(),
            "date_to": today.isoformat(),
        },
    )
    assert "budget.xlsx" in recent.content.decode()
    # Everyone's entries but the one ten days ago (the auditor's own page views are not logged).
    assert AuditEntry.objects.filter(
        at__gte=log["now"] - datetime.timedelta(days=5)
    ).count() == page_rows(recent)
    assert page_rows(client.get("/audit/", {"obj": "files.file:12"})) == 2
    assert page_rows(client.get("/audit/", {"obj": "budget"})) == 2
    bad = client.get("/audit/", {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert (
        bad.status_code == 200 and "The start date is after the end date." in bad.content.decode()
    )


def test_csv_export_follows_the_filters_and_escapes_formulas(auditor, log, client_for):
    client = client_for(auditor)
    response = client.get("/audit/export.csv", {"user": "karim"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    import csv

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["When", "Action", "Username"]
    assert len(rows) == 2 and {row[2] for row in rows} == {"karim"}
    by_object = {row[5]: row for row in rows}
    assert by_object["13"][6] == '\'=HYPERLINK("http://x")'
    assert by_object["13"][8] == "'+cmd|' /C calc'!A0"
    assert by_object["12"][1] == "Deletion" and by_object["12"][7] == "192.0.2.1"


def test_xlsx_export_reads_back_with_text_not_formulas(auditor, log, client_for):
    from openpyxl import load_workbook

    client = client_for(auditor)
    response = client.get("/audit/export.xlsx", {"action": "download"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("When", "Action", "Username")
    assert len(rows) == 3 and {row[2] for row in rows[1:]} == {"amina", "karim"}
    assert all(isinstance(row[0], datetime.datetime) for row in rows[1:])
    for cell in sheet.iter_rows(min_row=2):
        assert all(c.data_type != "f" for c in cell)
    assert '\'=HYPERLINK("http://x")' in {row[6] for row in rows}


def test_audit_pages_in_arabic_and_french(auditor, log, client_for):
    client = client_for(auditor)
    for language, title, action in (
        ("ar", "سجل التدقيق", "تنزيل"),
        ("fr", "Journal d’audit", "Téléchargement"),
    ):
        auditor.preferred_language = language
        auditor.save()
        body = client.get("/audit/").content.decode()
        assert title in body and action in body, language
