"""An announcement's attachment is a file of the files app: stored once by
content, served to the audience only, quarantined while it is being checked,
counted as used by the orphan sweep; served from S3 by a short-lived URL."""

from __future__ import annotations

import io

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from announcements import services
from files import services as file_services
from files.models import FileVersion
from files.storage import get_file_store
from tests.files import conftest as files_conftest

from .conftest import data

clamd_socket = files_conftest.clamd_socket  # the private clamd of the files suite

# A store of each test's own: the orphan sweep below must not see anyone else's objects.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("file_store")]
CIRCULAR = b"%PDF-1.4\n% circulaire 12/2026: horaires de ramadan\n%%EOF\n"


def publish_to_casa(ministry, content=CIRCULAR, name="circulaire.pdf"):
    return services.save_announcement(
        ministry["officer"], data(directorate_ids=[ministry["casa"].pk]), services.PUBLISH,
        uploads=[SimpleUploadedFile(name, content, "text/plain")],
    )


def url(announcement) -> str:
    return f"/announcements/{announcement.pk}/attachments/{announcement.attachments.get().pk}/"


def body(response) -> bytes:
    if response.status_code == 302:
        return httpx.get(response["Location"]).content
    return b"".join(response.streaming_content)


def test_attachment_is_stored_once_with_the_same_file_in_my_files(ministry, client_for):
    officer = ministry["officer"]
    mine = file_services.upload_file(officer, io.BytesIO(CIRCULAR), "circulaire-v1.pdf")
    keys_before = sorted(get_file_store().keys())
    announcement = publish_to_casa(ministry)
    attachment = announcement.attachments.get()
    assert attachment.version.blob_key == mine.blob_key
    assert sorted(get_file_store().keys()) == keys_before
    assert attachment.version.content_type == "application/pdf"  # from the bytes
    assert attachment.file.attached_to == "announcements"
    assert attachment.file.owner == officer
    # The audience downloads it; outside the audience it does not exist.
    assert body(client_for(ministry["casa_staff"]).get(url(announcement))) == CIRCULAR
    assert client_for(ministry["fes_staff"]).get(url(announcement)).status_code == 404
    assert client_for(ministry["central_staff"]).get(url(announcement)).status_code == 404
    # The detail page lists it by name and size.
    page = client_for(ministry["casa_staff"]).get(announcement.get_absolute_url())
    assert "circulaire.pdf" in page.content.decode()


def test_oversized_attachment_is_a_form_error_and_nothing_is_kept(
    ministry, client_for, monkeypatch
):
    monkeypatch.setattr(services, "ATTACHMENT_MAX_BYTES", 10)
    response = client_for(ministry["officer"]).post("/announcements/new/", {
        "title_ar": "مذكرة", "body_ar": "<p>نص</p>", "category": "service_note",
        "priority": "normal", "to_all_staff": "on", "action": "draft",
        "attachments": [SimpleUploadedFile("big.pdf", b"x" * 11)],
    })
    assert response.status_code == 200
    assert "big.pdf" in response.content.decode()  # named in the form's error, any language
    assert not services.Announcement.objects.exists()
    assert list(get_file_store().keys()) == []


@pytest.fixture
def scanning(settings, clamd_socket):
    settings.FILES_SCAN_ENABLED = True
    settings.CLAMD_SOCKET = clamd_socket
    return clamd_socket


def test_attachment_is_blocked_for_readers_while_being_scanned(ministry, client_for, scanning):
    announcement = publish_to_casa(ministry)
    version = announcement.attachments.get().version
    assert version.scan_status == FileVersion.Scan.PENDING
    assert client_for(ministry["casa_staff"]).get(url(announcement)).status_code == 404
    assert body(client_for(ministry["officer"]).get(url(announcement))) == CIRCULAR  # owner
    file_services.scan_version(version.pk)
    assert body(client_for(ministry["casa_staff"]).get(url(announcement))) == CIRCULAR


def test_infected_attachment_is_blocked_for_everyone(
    ministry, client_for, scanning, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announcement = publish_to_casa(ministry, files_conftest.EICAR, "note.txt")
    assert announcement.attachments.get().version.scan_status == FileVersion.Scan.INFECTED
    assert client_for(ministry["casa_staff"]).get(url(announcement)).status_code == 404
    assert client_for(ministry["officer"]).get(url(announcement)).status_code == 404


def test_orphan_sweep_counts_the_attachment_as_used(ministry, client_for):
    announcement = publish_to_casa(ministry)
    key = announcement.attachments.get().version.blob_key
    stray = get_file_store().save(io.BytesIO(b"an interrupted upload")).key
    found = file_services.sweep_orphans(grace_seconds=0)
    assert (found["objects"], found["versions"]) == ([stray], [])
    assert get_file_store().exists(key)
    assert body(client_for(ministry["casa_staff"]).get(url(announcement))) == CIRCULAR


def test_s3_attachment_is_served_after_the_audience_check(
    ministry, client_for, s3_server, monkeypatch
):
    from files import storage

    store = files_conftest.make_s3_store(s3_server)
    monkeypatch.setattr(storage, "get_file_store", lambda: store)
    announcement = publish_to_casa(ministry)
    assert client_for(ministry["fes_staff"]).get(url(announcement)).status_code == 404
    response = client_for(ministry["casa_staff"]).get(url(announcement))
    assert response.status_code == 200
    assert body(response) == CIRCULAR
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
