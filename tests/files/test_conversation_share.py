"""Sharing a file with a chat conversation: access follows membership, the
attachment message is posted through chat and reaches members live."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.utils import translation

from chat import services as chat
from chat.models import Message
from files import services
from files.models import FileVersion, Share
from tests.conftest import connect_socket
from tests.files.conftest import EICAR
from tests.files.test_access import body, real_png


def upload(user, data: bytes, name="doc.txt") -> FileVersion:
    return services.upload_file(user, io.BytesIO(data), name)


@pytest.fixture
def people(user_factory):
    owner = user_factory()
    member = user_factory(preferred_language="fr")
    outsider = user_factory()
    group = chat.create_group(owner, "Comité de lecture", [member.pk])
    return owner, member, outsider, group


@pytest.mark.django_db
def test_members_download_others_get_404(local_store, people, client_for):
    owner, member, outsider, group = people
    file = upload(owner, "ordre du jour — جدول الأعمال".encode(), "ordre.txt").file
    services.share_with_conversation(file, group.pk, owner)
    [message] = Message.objects.filter(conversation=group)
    [attachment] = message.attachments
    assert attachment["file_id"] == file.pk and attachment["name"] == "ordre.txt"
    assert attachment["url"] == f"/files/{file.pk}/download/?v=1"
    response = client_for(member).get(attachment["url"])
    assert response.status_code == 200
    assert body(response) == "ordre du jour — جدول الأعمال".encode()
    assert client_for(outsider).get(attachment["url"]).status_code == 404
    assert client_for(outsider).get(f"/files/{file.pk}/").status_code == 404
    # The member finds it under "Shared with me" too.
    assert "ordre.txt" in client_for(member).get("/files/shared/").content.decode()


@pytest.mark.django_db
def test_removed_member_loses_access_at_once(local_store, people, client_for):
    owner, member, _outsider, group = people
    file = upload(owner, b"minutes", "minutes.txt").file
    services.share_with_conversation(file, group.pk, owner)
    client = client_for(member)
    assert client.get(f"/files/{file.pk}/download/").status_code == 200
    chat.remove_member(owner, group.pk, member.pk)
    assert client.get(f"/files/{file.pk}/download/").status_code == 404
    assert "minutes.txt" not in client.get("/files/shared/").content.decode()


@pytest.mark.django_db
def test_member_who_leaves_loses_access(local_store, people, client_for):
    owner, member, _outsider, group = people
    file = upload(owner, b"memo", "memo.txt").file
    services.share_with_conversation(file, group.pk, owner)
    chat.leave(member, group.pk)
    assert client_for(member).get(f"/files/{file.pk}/download/").status_code == 404


@pytest.mark.django_db
def test_sharing_with_a_conversation_one_is_not_in_is_refused(local_store, people):
    owner, _member, outsider, group = people
    file = upload(outsider, b"note", "note.txt").file
    with translation.override("en"), pytest.raises(services.ShareRefused) as refused:
        services.share_with_conversation(file, group.pk, outsider)
    assert "member" in refused.value.message
    with pytest.raises(services.ShareRefused):
        services.share_with_conversation(file, 999_999, outsider)  # no such conversation
    assert not Share.objects.exists()
    assert not Message.objects.filter(conversation=group).exists()
    # Only the owner of a file can share it, even with their own conversation.
    own = upload(owner, b"mine", "mine.txt").file
    with pytest.raises(services.ShareRefused):
        services.share_with_conversation(own, group.pk, outsider)
    assert not Share.objects.exists()


@pytest.mark.django_db
def test_share_endpoint_refusal_is_translated_and_records_nothing(
    local_store, people, client_for
):
    owner, member, outsider, group = people
    outsider.preferred_language = "fr"
    outsider.save()
    file = upload(outsider, b"note", "note.txt").file
    client = client_for(outsider)
    client.cookies["django_language"] = "fr"
    response = client.post(
        f"/files/{file.pk}/share/conversation/", {"conversation": group.pk},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is False and "membre" in data["error"]
    assert not Share.objects.exists()
    # Someone else's file: 404, not a hint that it exists.
    theirs = upload(owner, b"x", "x.txt").file
    assert client.post(
        f"/files/{theirs.pk}/share/conversation/", {"conversation": group.pk}
    ).status_code == 404
    ok = client_for(owner).post(
        f"/files/{theirs.pk}/share/conversation/", {"conversation": group.pk}
    )
    assert ok.json() == {"ok": True}
    assert Share.objects.get().conversation_id == group.pk


@pytest.mark.django_db
def test_attachment_is_escaped_and_shows_the_thumbnail(local_store, people, client_for):
    owner, member, _outsider, group = people
    version = upload(owner, real_png(), '<img src=x onerror="alert(1)">.png')
    assert version.thumbnail_key
    services.share_with_conversation(version.file, group.pk, owner)
    [message] = Message.objects.filter(conversation=group)
    html = chat.render_message(message)
    assert "<img src=x" not in html and "&lt;img src=x" in html
    thumb = f"/files/{version.file_id}/thumbnail/?v=1"
    assert f'src="{thumb}"' in html
    assert client_for(member).get(thumb).status_code == 200
    page = client_for(member).get(f"/chat/{group.pk}/").content.decode()
    assert f'href="/files/{version.file_id}/download/?v=1"' in page
    assert 'id="chat-attach"' in page and "conversation_attach.js" in page


@pytest.mark.django_db
def test_revoked_or_deleted_file_leaves_a_note_in_the_conversation(
    local_store, people, client_for
):
    owner, member, _outsider, group = people
    file = upload(owner, b"draft", "draft.txt").file
    share = services.share_with_conversation(file, group.pk, owner)
    services.revoke_share(share, owner)
    message = Message.objects.get(pk=share.message_id)
    assert message.attachments[0]["state"] == "removed"
    html = chat.render_message(message, "en")
    assert "no longer shared" in html and "download/" not in html
    assert client_for(member).get(f"/files/{file.pk}/download/").status_code == 404
    again = services.share_with_conversation(file, group.pk, owner)
    assert client_for(member).get(f"/files/{file.pk}/download/?v=1").status_code == 200
    services.delete_file(file, owner)
    assert Message.objects.get(pk=again.message_id).attachments[0]["state"] == "removed"
    assert client_for(member).get(f"/files/{file.pk}/download/").status_code == 404


@pytest.fixture
def scanning(settings, clamd_socket):
    settings.FILES_SCAN_ENABLED = True
    settings.CLAMD_SOCKET = clamd_socket
    return clamd_socket


@pytest.mark.django_db
def test_quarantined_file_shows_being_checked_until_clean(
    local_store, scanning, people, client_for
):
    owner, member, _outsider, group = people
    version = upload(owner, b"an ordinary memo", "memo.txt")
    assert version.scan_status == FileVersion.Scan.PENDING
    services.share_with_conversation(version.file, group.pk, owner)
    message = Message.objects.get(conversation=group)
    assert message.attachments[0]["state"] == "checking"
    html = chat.render_message(message, "en")
    assert "Being checked" in html and "download/" not in html
    assert client_for(member).get(f"/files/{version.file_id}/download/").status_code == 404
    services.scan_version(version.pk)
    message.refresh_from_db()
    assert "state" not in message.attachments[0] and message.change > 0
    assert "download/?v=1" in chat.render_message(message, "en")
    assert body(client_for(member).get(message.attachments[0]["url"])) == b"an ordinary memo"


@pytest.mark.django_db
def test_infected_file_shared_with_a_conversation_is_blocked(local_store, scanning, people):
    owner, _member, _outsider, group = people
    version = upload(owner, EICAR, "eicar.txt")
    services.share_with_conversation(version.file, group.pk, owner)
    services.scan_version(version.pk)
    message = Message.objects.get(conversation=group)
    assert message.attachments[0]["state"] == "blocked"
    assert "download/" not in chat.render_message(message, "en")
    with pytest.raises(services.ShareRefused):  # a blocked file is not shared again
        services.share_with_conversation(version.file, group.pk, owner)


async def next_event(communicator, name, timeout=5):
    for _ in range(20):
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame.get("type") == "event" and frame["event"] == name:
            return frame["data"]
    raise AssertionError(f"no {name} event")


@pytest.mark.django_db(transaction=True)
async def test_attachment_message_reaches_members_live_and_no_one_else(local_store, user_factory):
    owner = await sync_to_async(user_factory)()
    member = await sync_to_async(user_factory)(preferred_language="fr")
    outsider = await sync_to_async(user_factory)()
    group = await sync_to_async(chat.create_group)(owner, "Cellule", [member.pk])
    version = await sync_to_async(upload)(owner, b"budget 2027", "budget.txt")
    sockets = {}
    for name, person in (("member", member), ("outsider", outsider)):
        communicator, connected, _ = await connect_socket(person)
        assert connected
        await communicator.receive_json_from(timeout=5)  # hello
        sockets[name] = communicator
    await sync_to_async(services.share_with_conversation)(version.file, group.pk, owner)
    data = await next_event(sockets["member"], "chat.message")
    assert data["conversation"] == group.pk and data["author_id"] == owner.pk
    html = data["html"]["fr"]
    assert "budget.txt" in html and f"/files/{version.file_id}/download/?v=1" in html
    assert data["preview"] == "budget.txt"
    assert await sockets["outsider"].receive_nothing(timeout=1)
    # Deleting the file changes the message live, for members only.
    await sync_to_async(services.delete_file)(version.file, owner)
    changed = await next_event(sockets["member"], "chat.message.changed")
    assert changed["seq"] == data["seq"] and "download/" not in changed["html"]["fr"]
    assert await sockets["outsider"].receive_nothing(timeout=1)
    for communicator in sockets.values():
        await communicator.disconnect()
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db
def test_file_page_shares_with_the_owners_conversations(local_store, people, client_for):
    owner, member, outsider, group = people
    file = upload(owner, b"rapport", "rapport.txt").file
    client = client_for(owner)
    page = client.get(f"/files/{file.pk}/").content.decode()
    # The picker offers the owner's conversations, named as the owner sees them.
    assert 'name="conversations"' in page and "Comité de lecture" in page
    other = chat.create_group(outsider, "Not mine", [])
    assert "Not mine" not in page
    response = client.post(f"/files/{file.pk}/share/", {"conversations": [group.pk]})
    assert response.status_code == 302
    [message] = Message.objects.filter(conversation=group)
    assert message.attachments[0]["file_id"] == file.pk
    assert client_for(member).get(f"/files/{file.pk}/download/").status_code == 200
    # The share list names the conversation.
    assert "Comité de lecture" in client.get(f"/files/{file.pk}/").content.decode()
    # A conversation the owner is not in is not a valid choice: nothing is shared.
    client.post(f"/files/{file.pk}/share/", {"conversations": [other.pk]})
    assert not Share.objects.filter(conversation_id=other.pk).exists()
    assert not Message.objects.filter(conversation=other).exists()
