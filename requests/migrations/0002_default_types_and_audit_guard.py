from django.db import migrations


def default_types(apps, schema_editor):
    from requests.defaults import ensure_default_types

    ensure_default_types(apps.get_model("staff_requests", "RequestType"), before_engine=True)


# The audit trail is append-only in the database too, not only in Python.
SQLITE = [
    """CREATE TRIGGER staff_requests_transition_no_update
       BEFORE UPDATE ON staff_requests_requesttransition
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION staff_requests_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END; $$ LANGUAGE plpgsql""",
    # TRUNCATE (test flushes) is not a row event: only UPDATE and DELETE are refused.
    """CREATE TRIGGER staff_requests_transition_append_only
       BEFORE UPDATE OR DELETE ON staff_requests_requesttransition
       FOR EACH ROW EXECUTE FUNCTION staff_requests_append_only()""",
]


def audit_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def drop_audit_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS staff_requests_transition_no_update")
    elif vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS staff_requests_transition_append_only "
            "ON staff_requests_requesttransition"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS staff_requests_append_only()")


class Migration(migrations.Migration):
    dependencies = [("staff_requests", "0001_initial")]

    operations = [
        migrations.RunPython(default_types, migrations.RunPython.noop),
        migrations.RunPython(audit_guard, drop_audit_guard),
    ]
