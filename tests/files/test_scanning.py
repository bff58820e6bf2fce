"""Malware scanning against a real clamd holding only a signature we wrote."""

from __future__ import annotations

import io

import pytest

from files import services
from files.models import FileVersion
from files.scanning import CLEAN, FAILED, INFECTED, ClamdScanner
from tests.files.conftest import EICAR


@pytest.fixture
def scanning(settings, clamd_socket):
    settings.FILES_SCAN_ENABLED = True
    settings.CLAMD_SOCKET = clamd_socket
    return clamd_socket


def test_clamd_verdicts(clamd_socket):
    scanner = ClamdScanner(clamd_socket)
    assert scanner.scan([b"an ordinary memo"]).verdict == CLEAN
    infected = scanner.scan([EICAR[:20], EICAR[20:]])
    assert infected.verdict == INFECTED
    assert "Eicar-Test-Sig" in infected.detail


def test_over_the_scanners_limits_is_never_clean(clamd_socket):
    # clamd in the fixture: MaxFileSize 1M, StreamMaxLength 2M, AlertExceedsMax yes.
    scanner = ClamdScanner(clamd_socket)
    over_file_size = scanner.scan(b"z" * 65536 for _ in range(24))  # 1.5 MiB
    assert over_file_size.verdict == FAILED
    assert "Heuristics.Limits.Exceeded" in over_file_size.detail
    over_stream = scanner.scan(b"z" * 65536 for _ in range(40))  # 2.5 MiB
    assert over_stream.verdict == FAILED
    assert "size limit" in over_stream.detail


def test_scanner_down_is_never_clean(tmp_path):
    result = ClamdScanner(str(tmp_path / "no.sock")).scan([b"memo"])
    assert result.verdict == FAILED
    assert "unavailable" in result.detail


@pytest.mark.django_db
def test_quarantine_until_clean(local_store, scanning, user_factory, client_for):
    owner, colleague = user_factory(), user_factory()
    version = services.upload_file(owner, io.BytesIO(b"clean report"), "report.txt")
    assert version.scan_status == FileVersion.Scan.PENDING
    # Being checked: the owner sees it, nobody else can, it cannot be shared yet.
    assert "report.txt" in client_for(owner).get("/files/").content.decode()
    with pytest.raises(services.ShareRefused):
        services.share_with_users(version.file, [colleague], owner)
    services.scan_version(version.pk)
    version.refresh_from_db()
    assert version.scan_status == FileVersion.Scan.CLEAN
    services.share_with_users(version.file, [colleague], owner)
    response = client_for(colleague).get(f"/files/{version.file_id}/download/")
    assert b"".join(response.streaming_content) == b"clean report"


@pytest.mark.django_db
def test_infected_file_is_blocked_and_owner_and_admins_told(
    local_store, scanning, user_factory, client_for
):
    owner = user_factory()
    admin = user_factory(role="administrator")
    bystander = user_factory()
    version = services.upload_file(owner, io.BytesIO(EICAR), "invoice.txt")
    services.scan_version(version.pk)
    version.refresh_from_db()
    assert version.scan_status == FileVersion.Scan.INFECTED
    assert "Eicar-Test-Sig" in version.scan_detail
    assert owner.notifications.filter(kind="files.infected").count() == 1
    assert admin.notifications.filter(kind="files.infected").count() == 1
    assert not bystander.notifications.exists()
    # Blocked for everyone, its owner included.
    assert client_for(owner).get(f"/files/{version.file_id}/download/").status_code == 404


@pytest.mark.django_db
def test_scanner_down_keeps_the_file_quarantined(local_store, settings, user_factory, tmp_path):
    settings.FILES_SCAN_ENABLED = True
    settings.CLAMD_SOCKET = str(tmp_path / "clamd-is-down.sock")
    owner, colleague = user_factory(), user_factory()
    version = services.upload_file(owner, io.BytesIO(b"memo"), "memo.txt")
    services.scan_version(version.pk)
    version.refresh_from_db()
    assert version.scan_status == FileVersion.Scan.FAILED
    with pytest.raises(services.ShareRefused):
        services.share_with_users(version.file, [colleague], owner)


@pytest.mark.django_db(transaction=True)
def test_upload_endpoint_scans_after_storing(local_store, scanning, user, uploader):
    response = uploader(user)(EICAR, "eicar.com")
    assert response.status_code == 200
    assert response.json()["scan_status"] == "pending"
    # The scan runs as the response's background task, before the call returns.
    version = FileVersion.objects.get(pk=response.json()["version_id"])
    assert version.scan_status == FileVersion.Scan.INFECTED


@pytest.mark.django_db
def test_scanning_disabled_files_are_available_at_once(local_store, settings, user):
    settings.FILES_SCAN_ENABLED = False
    version = services.upload_file(user, io.BytesIO(b"memo"), "memo.txt")
    assert version.scan_status == FileVersion.Scan.NOT_SCANNED


@pytest.mark.django_db
def test_scan_command_retries_what_could_not_be_checked(
    local_store, settings, clamd_socket, user, tmp_path
):
    from django.core.management import call_command

    settings.FILES_SCAN_ENABLED = True
    settings.CLAMD_SOCKET = str(tmp_path / "down.sock")
    version = services.upload_file(user, io.BytesIO(b"memo"), "memo.txt")
    services.scan_version(version.pk)
    version.refresh_from_db()
    assert version.scan_status == FileVersion.Scan.FAILED
    settings.CLAMD_SOCKET = clamd_socket  # the scanner is back
    out = io.StringIO()
    call_command("files_scan", stdout=out)
    version.refresh_from_db()
    assert version.scan_status == FileVersion.Scan.CLEAN
    assert f"version {version.pk}: clean" in out.getvalue()
