"""The announcement editor's server side: what the sanitiser keeps, images
placed in the text (stored in the file store, seen by the audience only), the
preview (nothing saved), and bodies written before the editor."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from PIL import Image as PILImage

from announcements import services
from announcements.models import Announcement, Image, Receipt
from announcements.sanitize import clean_html
from collab.models import Notification
from collab.testing import capture_events
from files.storage import get_file_store

from .conftest import data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("file_store")]


def png(size=(4, 3)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def served(response) -> bytes:
    return b"".join(response.streaming_content)


# ---- sanitiser ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("dirty", "forbidden"),
    [
        ('<p>a</p><script>alert(1)</script>', "alert"),
        ('<p onmouseover="steal()">a</p>', "onmouseover"),
        ('<img src="/announcements/images/1/" onload="steal()" alt="x">', "onload"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ('<p style="background:url(https://tracker.example/p)">a</p>', "style"),
        ('<iframe src="https://evil.example/"></iframe><p>a</p>', "iframe"),
        ('<object data="/x.swf"></object>', "object"),
        ('<p dir="rtl;color:red" class="x">a</p>', "color"),
        ('<p class="huge">a</p>', "class"),
    ],
)
def test_sanitiser_strips_what_the_editor_never_produces(dirty, forbidden):
    assert forbidden not in clean_html(dirty).lower()


def test_sanitiser_keeps_exactly_the_editor_markup():
    written = (
        '<h2 dir="rtl">عنوان</h2><h3>Sous-titre</h3>'
        '<p dir="ltr"><strong>gras</strong> <em>italique</em> <u>souligné</u> <s>barré</s></p>'
        '<ul><li><p>un</p></li></ul><ol start="3"><li><p>trois</p></li></ol>'
        '<blockquote><p>cité</p></blockquote>'
        '<table><tbody><tr><th colspan="1" rowspan="1"><p>A</p></th>'
        '<td colspan="2" rowspan="1"><p>B</p></td></tr></tbody></table>'
        '<p><a href="https://www.gov.ma/">lien</a><br>ligne</p>'
        '<img src="/announcements/images/7/" alt="Le nouveau bâtiment">'
    )
    kept = clean_html(written)
    for piece in [
        '<h2 dir="rtl">', "<h3>", '<p dir="ltr">', "<strong>gras</strong>", "<em>", "<u>",
        "<s>", "<ul><li><p>un</p></li></ul>", '<ol start="3">', "<blockquote>",
        '<th colspan="1" rowspan="1">', '<td colspan="2" rowspan="1">', "<br>",
        '<img src="/announcements/images/7/" alt="Le nouveau bâtiment">',
    ]:
        assert piece in kept, piece
    link = re.search(r"<a [^>]*>", kept).group(0)
    assert 'href="https://www.gov.ma/"' in link
    assert "noopener" in link and "noreferrer" in link


def test_plain_text_from_before_the_editor_becomes_paragraphs():
    assert clean_html("Réunion lundi.\nSalle 2.\n\nMerci & bonne journée") == (
        "<p>Réunion lundi.<br>Salle 2.</p><p>Merci &amp; bonne journée</p>"
    )
    # Stored plain text was escaped by the sanitiser already: not escaped twice.
    assert clean_html("R&amp;D &lt;équipe&gt;") == "<p>R&amp;D &lt;équipe&gt;</p>"


def test_migration_turns_stored_plain_text_into_paragraphs(ministry):
    from importlib import import_module

    from django.apps import apps

    old = services.save_announcement(ministry["officer"], data(to_all_staff=True),
                                      services.PUBLISH)
    Announcement.objects.filter(pk=old.pk).update(body_fr="Ligne 1\nLigne 2", body_ar="")
    migration = import_module("announcements.migrations.0004_plain_text_bodies")
    migration.plain_text_as_paragraphs(apps, connection.schema_editor())
    old.refresh_from_db()
    assert old.body_fr == "<p>Ligne 1<br>Ligne 2</p>"
    assert old.body_ar == ""


# ---- images ------------------------------------------------------------------


def upload(client: Client, content: bytes, name="photo.png"):
    return client.post("/announcements/images/", {
        "image": SimpleUploadedFile(name, content, "image/png"), "alt": "Le hall",
    })


def test_image_goes_to_the_file_store_and_is_seen_by_the_audience_only(ministry, client_for):
    officer = client_for(ministry["officer"])
    response = upload(officer, png())
    assert response.status_code == 201
    src = response.json()["src"]
    image = Image.objects.get()
    assert src == f"/announcements/images/{image.pk}/"
    assert image.file.attached_to == "announcements"
    assert image.version.content_type == "image/png"
    assert get_file_store().exists(image.version.blob_key)
    # Before any saved text shows it: its uploader only.
    assert served(officer.get(src)) == png()
    assert client_for(ministry["casa_staff"]).get(src).status_code == 404

    body = f'<p>Le hall</p><img src="{src}" alt="Le hall">'
    announcement = services.save_announcement(
        ministry["officer"],
        data(body_ar=body, body_fr=body, directorate_ids=[ministry["casa"].pk]),
        services.PUBLISH,
    )
    image.refresh_from_db()
    assert image.announcement == announcement
    reader = client_for(ministry["casa_staff"])
    response = reader.get(src)
    assert served(response) == png()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "inline" in response["Content-Disposition"]
    assert src in reader.get(announcement.get_absolute_url()).content.decode()
    # Outside the audience the image does not exist, like the announcement.
    assert client_for(ministry["fes_staff"]).get(src).status_code == 404
    # Another author cannot take it into their own announcement.
    other = services.save_announcement(
        ministry["admin"], data(body_fr=body, to_all_staff=True), services.PUBLISH
    )
    image.refresh_from_db()
    assert image.announcement == announcement != other


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"%PDF-1.4\n%%EOF\n", "photo.png"),  # a PDF named like an image
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg"),
        (b"MZ\x90\x00 not an image", "photo.jpg"),
    ],
)
def test_what_is_not_an_image_is_refused_with_a_translated_reason(
    ministry, client_for, content, name
):
    ministry["officer"].preferred_language = "fr"
    ministry["officer"].save(update_fields=["preferred_language"])
    response = upload(client_for(ministry["officer"]), content, name)
    assert response.status_code == 400
    assert response.json()["error"] == "Choisissez une image PNG, JPEG, GIF ou WebP."
    assert not Image.objects.exists()
    assert list(get_file_store().keys()) == []


def test_too_large_image_is_refused_and_nothing_is_kept(ministry, client_for, monkeypatch):
    monkeypatch.setattr(services, "IMAGE_MAX_BYTES", 100)
    response = upload(client_for(ministry["officer"]), png((64, 64)))  # Arabic by default
    assert response.status_code == 400
    assert "100" in response.json()["error"]
    assert "الصورة" in response.json()["error"]
    assert not Image.objects.exists()
    assert list(get_file_store().keys()) == []


def test_only_authors_upload_images(ministry, client_for):
    response = upload(client_for(ministry["casa_staff"]), png())
    assert response.status_code == 403
    assert not Image.objects.exists()


def test_an_image_taken_out_of_the_text_is_gone_for_readers(
    ministry, client_for, django_capture_on_commit_callbacks
):
    src = upload(client_for(ministry["officer"]), png()).json()["src"]
    shown = data(body_ar=f'<p>صورة</p><img src="{src}" alt="x">', to_all_staff=True)
    announcement = services.save_announcement(ministry["officer"], shown, services.PUBLISH)
    key = Image.objects.get().version.blob_key
    reader = client_for(ministry["casa_staff"])
    assert served(reader.get(src)) == png()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_announcement(
            ministry["officer"], data(body_ar="<p>بدون صورة</p>", to_all_staff=True),
            services.PUBLISH, announcement=announcement,
        )
    assert not Image.objects.exists()
    assert reader.get(src).status_code == 404
    assert not get_file_store().exists(key)


def test_images_no_saved_text_took_are_dropped_with_their_bytes(
    ministry, client_for, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    officer = client_for(ministry["officer"])
    kept_src = upload(officer, png()).json()["src"]
    abandoned_src = upload(officer, png((5, 5))).json()["src"]
    services.save_announcement(
        ministry["officer"], data(body_fr=f'<img src="{kept_src}" alt="x">', to_all_staff=True),
        services.PUBLISH,
    )
    abandoned = Image.objects.get(announcement__isnull=True)
    key = abandoned.version.blob_key
    assert services.discard_unused_images() == 0  # still being written, maybe
    Image.objects.update(created_at=timezone.now() - services.UNUSED_IMAGE_AGE
                         - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.discard_unused_images() == 1
    assert Image.objects.get().announcement_id is not None
    assert not get_file_store().exists(key)
    assert officer.get(abandoned_src).status_code == 404
    assert served(client_for(ministry["casa_staff"]).get(kept_src)) == png()


# ---- preview -----------------------------------------------------------------


def test_preview_shows_the_sanitised_text_and_saves_nothing(ministry, client_for):
    form = {
        "title_ar": "إعلان", "title_fr": "Annonce",
        "body_ar": '<p dir="rtl"><strong>مهم</strong></p><script>steal()</script>',
        "body_fr": '<p onclick="steal()">Texte <em>important</em></p>',
        "category": "news", "priority": "urgent", "to_all_staff": "on",
    }
    with capture_events() as events:
        response = client_for(ministry["officer"]).post(
            "/announcements/preview/", form, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p dir="rtl"><strong>مهم</strong></p>' in html
    assert "<p>Texte <em>important</em></p>" in html
    assert "steal" not in html
    assert 'data-ann-back' in html
    assert list(events) == []
    assert not Announcement.objects.exists()
    assert not Notification.objects.exists()
    assert not Receipt.objects.exists()


def test_preview_works_before_the_audience_is_chosen(ministry, client_for):
    response = client_for(ministry["officer"]).post("/announcements/preview/", {
        "title_fr": "Annonce", "body_fr": "<p>Bientôt</p>",
    })
    assert response.status_code == 200
    assert "<p>Bientôt</p>" in response.content.decode()
    assert not Announcement.objects.exists()


def test_preview_of_a_published_edit_changes_nothing(ministry, client_for):
    published = services.save_announcement(
        ministry["officer"], data(to_all_staff=True), services.PUBLISH
    )
    before = Announcement.objects.values().get(pk=published.pk)
    edit = client_for(ministry["officer"]).get(f"/announcements/{published.pk}/edit/")
    assert """hx-vals='{"published": "1"}'""" in edit.content.decode()
    response = client_for(ministry["officer"]).post("/announcements/preview/", {
        "title_fr": "Changé", "body_fr": "<p>Nouveau</p>", "to_all_staff": "on",
        "published": "1",
    })
    assert "Nouveau" in response.content.decode()
    assert 'value="publish">حفظ' in response.content.decode()  # "Save changes"
    assert Announcement.objects.values().get(pk=published.pk) == before


def test_readers_cannot_use_the_preview(ministry, client_for):
    response = client_for(ministry["casa_staff"]).post("/announcements/preview/", {
        "title_fr": "x", "body_fr": "<p>y</p>",
    })
    assert response.status_code == 403


def test_the_form_carries_the_editor_in_the_page_language(ministry, client_for):
    html = client_for(ministry["officer"]).get("/announcements/new/").content.decode()
    assert "data-django-prose-editor-announcements" in html
    assert "/static/django_prose_editor/editor.js" in html  # served by us, no CDN
    assert "/static/announcements/editor.js" in html
    assert "\\u062a\\u0631\\u0627\\u062c\\u0639" in html or "تراجع" in html  # "Undo"
