"""Downloads, shares, revocations and deletions each leave one audit entry,
recorded through the pages people use."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from collab.models import AuditEntry
from files import services
from files.models import Share

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action
AGENT = "AuditTest/2.0"


def signed_in(user, ip) -> Client:
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=AGENT)
    client.force_login(user)
    return client


def new_entries(before: set[int]) -> list[AuditEntry]:
    return list(AuditEntry.objects.exclude(pk__in=before).order_by("pk"))


def mark() -> set[int]:
    return set(AuditEntry.objects.values_list("pk", flat=True))


def test_share_download_revoke_delete_through_the_pages(local_store, user_factory):
    owner, reader = user_factory(username="owner"), user_factory(username="reader")
    file = services.upload_file(owner, io.BytesIO(b"minutes"), "minutes.txt").file
    as_owner, as_reader = signed_in(owner, "192.0.2.10"), signed_in(reader, "192.0.2.20")

    before = mark()
    response = as_owner.post(f"/files/{file.pk}/share/", {"users": [reader.username]})
    assert response.status_code == 302
    [shared] = new_entries(before)
    assert (shared.action, shared.actor_id, shared.ip, shared.user_agent) == (
        Action.SHARE, owner.pk, "192.0.2.10", AGENT)
    assert (shared.object_type, shared.object_id, shared.object_repr) == (
        "files.file", str(file.pk), "minutes.txt")
    assert shared.detail == {"with_user": "reader"} and shared.path == f"/files/{file.pk}/share/"

    before = mark()
    download = as_reader.get(f"/files/{file.pk}/download/")
    assert b"".join(download.streaming_content) == b"minutes"
    # The rest of the file, fetched by range, continues the same download.
    as_reader.get(f"/files/{file.pk}/download/", HTTP_RANGE="bytes=3-")
    [downloaded] = new_entries(before)
    assert (downloaded.action, downloaded.actor_id, downloaded.ip) == (
        Action.DOWNLOAD, reader.pk, "192.0.2.20")
    assert downloaded.object_id == str(file.pk) and downloaded.detail["version"] == 1

    share = Share.objects.get(file=file, user=reader)
    before = mark()
    as_owner.post(f"/files/{file.pk}/shares/{share.pk}/revoke/")
    [revoked] = new_entries(before)
    assert (revoked.action, revoked.actor_id, revoked.object_id) == (
        Action.UNSHARE, owner.pk, str(file.pk))

    before = mark()
    as_owner.post(f"/files/{file.pk}/delete/")
    [deleted] = new_entries(before)
    assert (deleted.action, deleted.actor_id, deleted.ip) == (Action.DELETE, owner.pk, "192.0.2.10")
    assert (deleted.object_type, deleted.object_id, deleted.object_repr) == (
        "files.file", str(file.pk), "minutes.txt")


def test_a_refused_share_or_delete_is_recorded_as_denied_only(local_store, user_factory):
    owner, other = user_factory(), user_factory()
    file = services.upload_file(owner, io.BytesIO(b"x"), "x.txt").file
    client = signed_in(other, "192.0.2.30")
    before = mark()
    assert client.post(f"/files/{file.pk}/delete/").status_code == 404
    assert client.post(f"/files/{file.pk}/share/", {"users": [other.username]}).status_code == 404
    denials = new_entries(before)
    assert [(e.action, e.actor_id, e.detail) for e in denials] == [
        (Action.DENIED, other.pk, {"status": 404})] * 2
    assert [e.path for e in denials] == [f"/files/{file.pk}/delete/", f"/files/{file.pk}/share/"]
    # A missing file is not a denial.
    before = mark()
    assert client.post(f"/files/{file.pk + 999}/delete/").status_code == 404
    assert new_entries(before) == []
