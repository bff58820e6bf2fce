"""Behind the production proxy, the audit log and the lockout see the address
nginx forwards, through a real Daphne worker started with --proxy-headers as
in docker/compose.yml."""

from __future__ import annotations

import httpx
import pytest

from collab.models import AuditEntry
from tests import multiproc

pytestmark = [pytest.mark.multiprocess]


def sign_in(base: str, username: str, password: str, forwarded_for: str) -> httpx.Response:
    with httpx.Client(base_url=base, headers={"User-Agent": "ProxyTest/1.0"}) as client:
        client.get("/login/")
        token = client.cookies["csrftoken"]
        return client.post(
            "/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"X-Forwarded-For": forwarded_for, "Referer": f"{base}/login/"},
        )


def test_the_forwarded_address_is_recorded(
    transactional_db, settings, tmp_path, user_factory, monkeypatch
):
    from django.db import connection

    user_factory(username="amina", password="Right-pass-123")
    monkeypatch.setattr(multiproc, "DAPHNE_ARGS", [*multiproc.DAPHNE_ARGS, "--proxy-headers"])
    with multiproc.shared_test_database(connection, tmp_path) as database_url:
        env = multiproc.worker_env(
            database_url=database_url, redis_url=None, prefix=multiproc.unique_prefix(),
            secret_key=settings.SECRET_KEY, var_dir=tmp_path / "var", AXES_FAILURE_LIMIT=2,
        )
        worker = multiproc.start_daphne(env, tmp_path, "proxy")
        try:
            base = worker.http_url
            assert sign_in(base, "amina", "wrong", "203.0.113.50").status_code == 200
            assert sign_in(base, "amina", "wrong", "203.0.113.50").status_code == 429
            # Another address (another desk, as nginx reports it) is not locked out.
            assert sign_in(base, "amina", "Right-pass-123", "198.51.100.8").status_code == 302
        finally:
            worker.close()
    entries = list(AuditEntry.objects.exclude(action=AuditEntry.Action.SIGN_IN,
                                              ip__isnull=True).order_by("pk"))
    assert [(e.action, e.ip, e.username) for e in entries] == [
        (AuditEntry.Action.SIGN_IN_FAILED, "203.0.113.50", "amina"),
        (AuditEntry.Action.LOCKED_OUT, "203.0.113.50", "amina"),
        (AuditEntry.Action.SIGN_IN, "198.51.100.8", "amina"),
    ]
    assert all(e.user_agent == "ProxyTest/1.0" for e in entries)
