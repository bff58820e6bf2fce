"""Sharing, permission at request time, downloads and their headers."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from files import services
from files.models import File, FileVersion, Share, UploadReservation

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(user, data: bytes, name="doc.txt", replace=None) -> FileVersion:
    return services.upload_file(user, io.BytesIO(data), name, replace=replace)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def owner(user_factory):
    return user_factory()


@pytest.fixture
def colleague(user_factory):
    return user_factory()


@pytest.mark.django_db
def test_non_recipient_gets_404_everywhere(app_store, owner, colleague, client_for):
    file = upload(owner, PDF, "secret.pdf").file
    client = client_for(colleague)
    for url in (f"/files/{file.pk}/", f"/files/{file.pk}/download/", f"/files/{file.pk}/preview/"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/files/{file.pk + 1000}/download/").status_code == 404
    assert file.name not in client_for(colleague).get("/files/shared/").content.decode()


@pytest.mark.django_db
def test_share_with_user_grants_access_and_revoke_removes_it(
    app_store, owner, colleague, client_for
):
    file = upload(owner, b"minutes of the meeting", "minutes.txt").file
    client = client_for(colleague)
    [share] = services.share_with_users(file, [colleague], owner)
    assert body(client.get(f"/files/{file.pk}/download/")) == b"minutes of the meeting"
    assert "minutes.txt" in client.get("/files/shared/").content.decode()
    services.revoke_share(share, owner)
    assert client.get(f"/files/{file.pk}/download/").status_code == 404
    assert "minutes.txt" not in client.get("/files/shared/").content.decode()


@pytest.mark.django_db
def test_only_the_owner_shares_revokes_and_deletes(local_store, owner, colleague, client_for):
    file = upload(owner, b"x", "x.txt").file
    with pytest.raises(services.ShareRefused):
        services.share_with_users(file, [colleague], colleague)
    [share] = services.share_with_users(file, [colleague], owner)
    client = client_for(colleague)
    assert client.post(f"/files/{file.pk}/shares/{share.pk}/revoke/").status_code == 404
    assert client.post(f"/files/{file.pk}/delete/").status_code == 404
    assert Share.objects.get(pk=share.pk).revoked_at is None
    assert File.objects.filter(pk=file.pk).exists()


@pytest.mark.django_db
def test_share_with_directorates(
    local_store, owner, user_factory, directorate_factory, client_for
):
    finance, legal, other = directorate_factory(), directorate_factory(), directorate_factory()
    accountant = user_factory(directorate=finance)
    lawyer = user_factory(directorate=legal)
    outsider = user_factory(directorate=other)
    file = upload(owner, b"budget 2027", "budget.txt").file
    services.share_with_directorates(file, [finance, legal], owner)
    for person in (accountant, lawyer):
        client = client_for(person)
        assert body(client.get(f"/files/{file.pk}/download/")) == b"budget 2027"
        assert "budget.txt" in client.get("/files/directorate/").content.decode()
        assert person.notifications.filter(kind="files.shared").count() == 1
    outsider_client = client_for(outsider)
    assert outsider_client.get(f"/files/{file.pk}/download/").status_code == 404
    assert outsider_client.get(f"/files/directorate/{finance.pk}/").status_code == 404


@pytest.mark.django_db
def test_owner_delete_removes_access_at_once_and_unused_bytes(
    app_store, owner, colleague, client_for, django_capture_on_commit_callbacks
):
    file = upload(owner, b"to be deleted", "gone.txt").file
    services.share_with_users(file, [colleague], owner)
    key = file.current_version.blob_key
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(f"/files/{file.pk}/delete/")
    assert response.status_code == 302
    assert client_for(colleague).get(f"/files/{file.pk}/download/").status_code == 404
    assert not app_store.exists(key)


@pytest.mark.django_db
def test_delete_keeps_bytes_another_file_uses(
    local_store, owner, colleague, client_for, django_capture_on_commit_callbacks
):
    mine = upload(owner, b"identical", "a.txt").file
    theirs = upload(colleague, b"identical", "b.txt").file
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_file(mine, owner)
    assert local_store.exists(theirs.current_version.blob_key)
    assert body(client_for(colleague).get(f"/files/{theirs.pk}/download/")) == b"identical"


@pytest.mark.django_db
def test_local_download_headers_and_ranges(local_store, owner, client_for):
    data = bytes(range(256)) * 4
    file = upload(owner, data, "تقرير.bin").file
    client = client_for(owner)
    response = client.get(f"/files/{file.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%D8%AA" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == data
    partial = client.get(f"/files/{file.pk}/download/", HTTP_RANGE="bytes=10-19")
    assert partial.status_code == 206
    assert partial["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert body(partial) == data[10:20]
    suffix = client.get(f"/files/{file.pk}/download/", HTTP_RANGE="bytes=-5")
    assert body(suffix) == data[-5:]
    assert client.get(f"/files/{file.pk}/download/", HTTP_RANGE="bytes=5000-").status_code == 416


@pytest.mark.django_db
def test_previewable_types_inline_markup_never(local_store, owner, client_for):
    client = client_for(owner)
    pdf = upload(owner, PDF, "a.pdf").file
    png = upload(owner, PNG, "b.png").file
    html = upload(owner, b"<html><body><script>alert(1)</script></body></html>", "c.png").file
    svg = upload(owner, b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "d.svg")
    for file, ctype in ((pdf, "application/pdf"), (png, "image/png")):
        response = client.get(f"/files/{file.pk}/preview/")
        assert response["Content-Disposition"].startswith("inline;")
        assert response["Content-Type"] == ctype
        # Downloading is always an attachment.
        assert client.get(f"/files/{file.pk}/download/")["Content-Disposition"].startswith(
            "attachment;"
        )
    for file in (html, svg.file):
        response = client.get(f"/files/{file.pk}/preview/")
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_s3_download_streams_through_the_app_with_inert_headers(
    s3_server, owner, colleague, client_for, monkeypatch
):
    """Object storage is never handed to the browser: a signed URL could set
    the type and disposition of the store's answer but not nosniff or a CSP
    (SeaweedFS sends neither), and the bucket is private."""
    from files import storage
    from tests.files.conftest import make_s3_store

    store = make_s3_store(s3_server)
    monkeypatch.setattr(storage, "get_file_store", lambda: store)
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    file = upload(owner, svg, "x.svg").file
    assert client_for(colleague).get(f"/files/{file.pk}/download/").status_code == 404
    for page in ("preview", "download"):
        response = client_for(owner).get(f"/files/{file.pk}/{page}/")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")  # SVG never inline
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert "X-Amz" not in response.get("Location", "")
        assert body(response) == svg
    ranged = client_for(owner).get(f"/files/{file.pk}/download/", HTTP_RANGE="bytes=5-9")
    assert ranged.status_code == 206
    assert body(ranged) == svg[5:10]


@pytest.mark.django_db
def test_orphan_sweep_both_ways(app_store, owner, colleague):
    kept = upload(owner, b"kept", "kept.txt")
    dangling = upload(colleague, b"object will vanish", "lost.txt")
    orphan = app_store.save(io.BytesIO(b"no record points here"))
    app_store.put("tmp/interrupted", io.BytesIO(b"half an upload"))
    app_store.delete(dangling.blob_key)
    # Quota held by an upload whose process died hours ago, and one running now.
    stale_hold = services.QuotaReservation.take(owner, 10)
    UploadReservation.objects.filter(pk=stale_hold.row.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=1))
    running = services.QuotaReservation.take(owner, 20)
    out = io.StringIO()
    call_command("files_orphans", "--grace", "0", stdout=out)
    report = out.getvalue()
    assert orphan.key in report and "tmp/interrupted" in report
    assert f"file version {dangling.pk}" in report
    assert ("2 orphan object(s), 1 dangling version(s), 1 stale quota hold(s) removed."
            in report)
    assert list(UploadReservation.objects.values_list("pk", flat=True)) == [running.row.pk]
    assert sorted(app_store.keys()) == [kept.blob_key]
    assert not FileVersion.objects.filter(pk=dangling.pk).exists()
    assert not File.objects.filter(pk=dangling.file_id).exists()  # it had no other version
    assert FileVersion.objects.filter(pk=kept.pk).exists()


@pytest.mark.django_db
def test_orphan_sweep_dry_run_and_grace(local_store, owner):
    orphan = local_store.save(io.BytesIO(b"fresh orphan"))
    out = io.StringIO()
    call_command("files_orphans", stdout=out)  # default grace: too young to touch
    assert "0 orphan object(s)" in out.getvalue()
    out = io.StringIO()
    call_command("files_orphans", "--dry-run", "--grace", "0", stdout=out)
    assert f"would remove object without a record: {orphan.key}" in out.getvalue()
    assert local_store.exists(orphan.key)


@pytest.mark.django_db
def test_pages_search_filter_sort_and_htmx_pagination(local_store, owner, client_for):
    upload(owner, PNG, "holiday photo.png")
    upload(owner, PDF, "annual report.pdf")
    for n in range(25):
        upload(owner, f"note {n}".encode(), f"note-{n:02}.txt")
    client = client_for(owner)
    page = client.get("/files/").content.decode()
    assert 'id="upload-zone"' in page and "27" in page
    found = client.get("/files/", {"q": "REPORT"}).content.decode()
    assert "annual report.pdf" in found and "holiday photo.png" not in found
    images = client.get("/files/", {"kind": "image"}).content.decode()
    assert "holiday photo.png" in images and "annual report.pdf" not in images
    by_name = client.get("/files/", {"sort": "name"}).content.decode()
    assert by_name.index("annual report.pdf") < by_name.index("holiday photo.png")
    partial = client.get(
        "/files/",
        {"page": 2, "sort": "name"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="file-results",
    )
    text = partial.content.decode()
    assert "<html" not in text and "note-" in text and 'hx-target="#file-results"' in text


@pytest.mark.django_db
def test_detail_shows_versions_and_preview(local_store, owner, client_for):
    version = upload(owner, PNG, "scan.png")
    upload(owner, PDF, "scan.png", replace=version.file)
    page = client_for(owner).get(f"/files/{version.file_id}/").content.decode()
    assert "pdf-preview" in page  # current version is a PDF
    assert "?v=1" in page and "?v=2" in page


def real_png(size=(800, 600)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (11, 92, 74)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.django_db
def test_image_thumbnails(app_store, owner, colleague, client_for):
    from PIL import Image

    version = upload(owner, real_png(), "photo.png")
    assert version.thumbnail_key
    client = client_for(owner)
    response = client.get(f"/files/{version.file_id}/thumbnail/")
    thumb = Image.open(io.BytesIO(body(response)))
    assert thumb.format == "WEBP" and max(thumb.size) == 160
    assert f"/files/{version.file_id}/thumbnail/" in client.get("/files/").content.decode()
    assert client_for(colleague).get(f"/files/{version.file_id}/thumbnail/").status_code == 404
    # A thumbnail is referenced: the orphan sweep keeps it.
    call_command("files_orphans", "--grace", "0", stdout=io.StringIO())
    assert app_store.exists(version.thumbnail_key)
    # Not an image, or not decodable: no thumbnail, the upload still works.
    assert upload(owner, PNG, "broken.png").thumbnail_key == ""
    assert upload(owner, PDF, "doc.pdf").thumbnail_key == ""


@pytest.mark.django_db
def test_no_thumbnail_while_quarantined(local_store, owner, settings):
    settings.FILES_SCAN_ENABLED = True
    version = upload(owner, real_png(), "photo.png")
    assert version.scan_status == FileVersion.Scan.PENDING
    assert version.thumbnail_key == ""


def real_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.django_db
def test_pdf_thumbnail_and_friendly_type_names(app_store, owner, client_for):
    from PIL import Image

    version = upload(owner, real_pdf(), "circulaire.pdf")
    assert version.thumbnail_key
    client = client_for(owner)
    thumb = Image.open(io.BytesIO(body(client.get(f"/files/{version.file_id}/thumbnail/"))))
    assert thumb.format == "WEBP" and max(thumb.size) == 160
    text = upload(owner, b"hello", "notes.txt")
    listing = client.get("/files/").content.decode()  # the owner reads Arabic
    assert "مستند PDF" in listing and "ملف نصي" in listing
    assert "application/pdf</td>" not in listing and "text/plain</td>" not in listing
    detail = client.get(f"/files/{text.file_id}/").content.decode()
    assert 'title="text/plain"' in detail
    assert 'class="file-icon"' in listing
