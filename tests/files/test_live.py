"""Recipients are told live over their socket."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from files import services
from tests.conftest import connect_socket


async def next_event(communicator, name):
    for _ in range(10):
        frame = await communicator.receive_json_from(timeout=5)
        if frame.get("type") == "event" and frame["event"] == name:
            return frame["data"]
    raise AssertionError(f"no {name} event")


@pytest.mark.django_db(transaction=True)
async def test_share_and_revoke_reach_the_recipient_live(local_store, user_factory):
    owner = await sync_to_async(user_factory)()
    colleague = await sync_to_async(user_factory)(preferred_language="fr")
    version = await sync_to_async(services.upload_file)(
        owner, io.BytesIO(b"circular"), "note circulaire.txt"
    )
    communicator, connected, _ = await connect_socket(colleague)
    assert connected
    await communicator.receive_json_from(timeout=5)  # hello
    [share] = await sync_to_async(services.share_with_users)(version.file, [colleague], owner)
    notification = await next_event(communicator, "notification.created")
    assert notification["kind"] == "files.shared"
    assert "note circulaire.txt" in notification["title"]
    shared = await next_event(communicator, "files.shared")
    assert shared["file_id"] == version.file_id
    assert f'id="file-{version.file_id}"' in shared["html"]
    assert "Télécharger" in shared["html"]  # rendered in the recipient's language
    await sync_to_async(services.revoke_share)(share, owner)
    removed = await next_event(communicator, "files.removed")
    assert removed == {"file_id": version.file_id}
    await communicator.disconnect()
    # The thread that ran the sync calls keeps its connection otherwise
    # (CONN_MAX_AGE), and PostgreSQL then refuses to drop the test database.
    await sync_to_async(connections.close_all)()
