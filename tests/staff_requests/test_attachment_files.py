"""A leave request's medical certificate is a file of the files app: stored
once by content, served to the request's readers only, quarantined while it
is being checked, and counted as used by the orphan sweep."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from files import selectors as file_selectors
from files import services as file_services
from files.models import File, FileVersion
from files.storage import blob_key, get_file_store
from requests import services
from requests.models import RequestAttachment
from tests.files import conftest as files_conftest

EICAR = files_conftest.EICAR
clamd_socket = files_conftest.clamd_socket  # the private clamd of the files suite

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
CERTIFICATE = b"%PDF-1.4\n% certificat medical: repos de 3 jours\n%%EOF\n"


def sick_leave(org, types, data=CERTIFICATE, name="certificat.pdf", who="employee"):
    today = timezone.localdate()
    return services.submit_leave(
        org[who], types["leave-sick"], start=today, end=today + 2 * DAY,
        uploads=[SimpleUploadedFile(name, data, "application/octet-stream")],
    )


def url(req) -> str:
    return f"/requests/{req.pk}/attachments/{req.attachments.get().pk}/"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def store_keys() -> list[str]:
    return sorted(get_file_store().keys())


def test_medical_certificate_is_stored_once_with_the_same_file_in_my_files(
    org, types, client_for
):
    employee = org["employee"]
    mine = file_services.upload_file(employee, io.BytesIO(CERTIFICATE), "scan.pdf")
    used_before = file_selectors.used_bytes(employee)
    keys_before = store_keys()

    req = sick_leave(org, types, name="../../certificat\x00médical.pdf")
    attachment = req.attachments.get()
    version = attachment.version
    # Same bytes, same object: nothing new in the store, one more record.
    assert version.blob_key == mine.blob_key == blob_key(mine.sha256)
    assert store_keys() == keys_before
    assert FileVersion.objects.filter(blob_key=mine.blob_key).count() == 2
    # Through the files app's own path: type from the bytes, name sanitised.
    assert version.content_type == "application/pdf"
    assert "/" not in attachment.filename and "\x00" not in attachment.filename
    assert attachment.file.owner == employee
    assert attachment.file.attached_to == "staff_requests"
    # Not a document of My files: not listed, not counted in the quota,
    # not reachable by the files app's own URLs.
    my_files = client_for(employee).get("/files/").content.decode()
    assert "scan.pdf" in my_files and attachment.filename not in my_files
    assert file_selectors.used_bytes(employee) == used_before
    assert client_for(employee).get(f"/files/{attachment.file_id}/download/").status_code == 404


def test_certificate_is_served_to_the_requester_and_the_deciding_manager_only(
    org, types, client_for
):
    req = sick_leave(org, types)
    for reader in ("employee", "director", "hr"):
        response = client_for(org[reader]).get(url(req))
        assert response.status_code == 200, reader
        assert body(response) == CERTIFICATE
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
    for stranger in ("outsider", "colleague"):
        assert client_for(org[stranger]).get(url(req)).status_code == 404, stranger
    # An attachment of another request under this one's URL: 404 as well.
    other = sick_leave(org, types, data=b"%PDF-1.4 other", who="colleague")
    wrong = f"/requests/{req.pk}/attachments/{other.attachments.get().pk}/"
    assert client_for(org["director"]).get(wrong).status_code == 404
    # Range requests work as for My files (local store streams).
    partial = client_for(org["director"]).get(url(req), HTTP_RANGE="bytes=0-7")
    assert partial.status_code == 206
    assert body(partial) == CERTIFICATE[:8]


@pytest.fixture
def scanning(settings, clamd_socket):
    settings.FILES_SCAN_ENABLED = True
    settings.CLAMD_SOCKET = clamd_socket
    return clamd_socket


def test_certificate_is_blocked_while_being_scanned(org, types, client_for, scanning):
    req = sick_leave(org, types)
    version = req.attachments.get().version
    assert version.scan_status == FileVersion.Scan.PENDING
    # The manager cannot fetch it yet; its owner can.
    assert client_for(org["director"]).get(url(req)).status_code == 404
    assert body(client_for(org["employee"]).get(url(req))) == CERTIFICATE
    file_services.scan_version(version.pk)
    version.refresh_from_db()
    assert version.scan_status == FileVersion.Scan.CLEAN
    assert body(client_for(org["director"]).get(url(req))) == CERTIFICATE


def test_infected_certificate_is_scanned_on_commit_and_blocked_for_everyone(
    org, types, client_for, scanning, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        req = sick_leave(org, types, data=EICAR, name="certificat.txt")
    version = req.attachments.get().version
    assert version.scan_status == FileVersion.Scan.INFECTED
    assert client_for(org["director"]).get(url(req)).status_code == 404
    assert client_for(org["employee"]).get(url(req)).status_code == 404
    told = org["employee"].notifications.get(kind="files.infected")
    assert told.link == ""  # no page of the files app for an attachment


def test_orphan_sweep_counts_the_certificate_as_used(org, types, client_for):
    req = sick_leave(org, types)
    key = req.attachments.get().version.blob_key
    stray = get_file_store().save(io.BytesIO(b"left behind by a crash")).key
    found = file_services.sweep_orphans(grace_seconds=0)
    assert found["objects"] == [stray]  # the sweep does remove what nothing uses
    assert found["versions"] == []
    assert get_file_store().exists(key)
    assert body(client_for(org["director"]).get(url(req))) == CERTIFICATE


def test_a_refused_leave_keeps_no_file_and_no_object(org, types):
    today = timezone.localdate()
    with pytest.raises(services.WorkflowError):
        services.submit_leave(
            org["employee"], types["leave-sick"], start=today - 40 * DAY,
            end=today - 38 * DAY,
            uploads=[SimpleUploadedFile("c.pdf", b"%PDF-1.4 too late", "application/pdf")],
        )
    assert not File.objects.exists()
    assert not RequestAttachment.objects.exists()
    assert store_keys() == []
