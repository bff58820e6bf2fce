"""Feed, archive, filters, search, pagination, editing and attachments through HTTP."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from announcements import services
from announcements.models import Announcement, Attachment
from files.models import File
from files.storage import blob_key, get_file_store

from .conftest import data, future

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("file_store")]


def publish(user, **overrides):
    return services.save_announcement(user, data(**overrides), services.PUBLISH)


def ids_in(html):
    return [int(x) for x in re.findall(r'id="ann-(\d+)"', html)]


def test_feed_newest_first_with_pinned_on_top(ministry, client_for):
    old_pinned = publish(ministry["officer"], to_all_staff=True, pinned=True)
    first = publish(ministry["officer"], to_all_staff=True)
    second = publish(ministry["officer"], to_all_staff=True)
    Announcement.objects.filter(pk=old_pinned.pk).update(
        published_at=timezone.now() - timedelta(days=3))
    html = client_for(ministry["casa_staff"]).get("/announcements/").content.decode()
    assert ids_in(html) == [old_pinned.pk, second.pk, first.pk]


def test_category_directorate_filters_and_search(ministry, client_for):
    circular = publish(ministry["officer"], to_all_staff=True, category="circular",
                       title_fr="Horaires du ramadan", body_fr="<p>Nouveaux horaires</p>")
    event = publish(ministry["officer"], directorate_ids=[ministry["casa"].pk],
                    category="event", title_ar="حفل", title_fr="Cérémonie",
                    body_ar="<p>حفل التكريم السنوي</p>")
    client = client_for(ministry["casa_staff"])
    assert ids_in(client.get("/announcements/?category=circular").content.decode()) == [
        circular.pk]
    assert ids_in(client.get(
        f"/announcements/?directorate={ministry['casa'].pk}").content.decode()) == [event.pk]
    assert ids_in(client.get("/announcements/?q=horaires").content.decode()) == [circular.pk]
    assert ids_in(client.get("/announcements/?q=التكريم").content.decode()) == [event.pk]
    assert ids_in(client.get("/announcements/?q=introuvable").content.decode()) == []


def test_htmx_pagination_returns_the_results_fragment(ministry, client_for):
    made = [publish(ministry["officer"], to_all_staff=True) for _ in range(12)]
    client = client_for(ministry["casa_staff"])
    page2 = client.get("/announcements/?page=2", HTTP_HX_REQUEST="true",
                       HTTP_HX_TARGET="ann-results")
    html = page2.content.decode()
    assert "<html" not in html  # a fragment for htmx, not a page
    assert ids_in(html) == [made[1].pk, made[0].pk]
    assert 'hx-target="#ann-results"' in client.get("/announcements/").content.decode()


def test_archive_keeps_expired_ones(ministry, client_for):
    a = publish(ministry["officer"], to_all_staff=True, expires_at=future(5))
    Announcement.objects.filter(pk=a.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = client_for(ministry["casa_staff"])
    assert a.pk not in ids_in(client.get("/announcements/").content.decode())
    assert a.pk in ids_in(client.get("/announcements/archive/").content.decode())
    assert client.get(a.get_absolute_url()).status_code == 200


def test_officer_writes_previews_and_publishes_through_the_ui(ministry, client_for):
    client = client_for(ministry["officer"])
    assert client.get("/announcements/new/").status_code == 200
    upload = SimpleUploadedFile("note.pdf", b"%PDF-1.4 hello", content_type="application/pdf")
    response = client.post("/announcements/new/", {
        "title_ar": "مذكرة", "body_ar": "<p>نص <b>مهم</b></p>", "category": "service_note",
        "priority": "normal", "directorates": [ministry["casa"].pk], "action": "draft",
        "attachments": [upload],
    })
    assert response.status_code == 302
    a = Announcement.objects.get()
    assert a.state == "draft"
    preview = client.get(a.get_absolute_url()).content.decode()
    assert "<b>مهم</b>" in preview
    client.post(f"/announcements/{a.pk}/publish/")
    a.refresh_from_db()
    assert a.state == "published"

    attachment = Attachment.objects.get()
    assert attachment.version.sha256 == hashlib.sha256(b"%PDF-1.4 hello").hexdigest()
    assert get_file_store().exists(attachment.version.blob_key)
    url = f"/announcements/{a.pk}/attachments/{attachment.pk}/"
    got = client_for(ministry["casa_staff"]).get(url)
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == b"%PDF-1.4 hello"
    assert "attachment" in got["Content-Disposition"]
    # Outside the audience: the file is as invisible as the announcement.
    assert client_for(ministry["fes_staff"]).get(url).status_code == 404


def test_same_file_is_stored_once(ministry):
    content = b"same bytes"
    for _ in range(2):
        services.save_announcement(
            ministry["officer"], data(to_all_staff=True), services.DRAFT,
            uploads=[SimpleUploadedFile("a.txt", content)],
        )
    digests = set(Attachment.objects.values_list("file__current_version__sha256", flat=True))
    assert digests == {hashlib.sha256(content).hexdigest()}
    keys = set(Attachment.objects.values_list("file__current_version__blob_key", flat=True))
    assert keys == {blob_key(hashlib.sha256(content).hexdigest())}
    assert Attachment.objects.count() == 2


def test_editing_a_published_one_shows_updated_to_readers(ministry, client_for):
    a = publish(ministry["officer"], to_all_staff=True, title_fr="Avant")
    client = client_for(ministry["officer"])
    response = client.post(f"/announcements/{a.pk}/edit/", {
        "title_ar": "إعلان", "body_ar": "<p>نص</p>", "title_fr": "Après", "body_fr": "<p>x</p>",
        "category": "news", "priority": "normal", "to_all_staff": "on", "action": "publish",
    })
    assert response.status_code == 302
    reader = ministry["fes_staff"]  # reads French
    html = client_for(reader).get("/announcements/").content.decode()
    assert "Après" in html and "Mise à jour" in html


def test_reader_sees_own_language_with_fallback(ministry, client_for):
    publish(ministry["officer"], to_all_staff=True, title_ar="عنوان عربي", title_fr="Titre FR")
    publish(ministry["officer"], to_all_staff=True, title_ar="عربي فقط", title_fr="",
            body_fr="")
    fr = client_for(ministry["fes_staff"]).get("/announcements/").content.decode()
    assert "Titre FR" in fr and "عنوان عربي" not in fr and "عربي فقط" in fr
    ar = client_for(ministry["casa_staff"]).get("/announcements/").content.decode()
    assert "عنوان عربي" in ar and "Titre FR" not in ar


def test_author_pages_render(ministry, client_for):
    draft = services.save_announcement(ministry["officer"], data(to_all_staff=True),
                                       services.DRAFT)
    scheduled = services.save_announcement(
        ministry["officer"], data(to_all_staff=True, publish_at=future(30)), services.SCHEDULE)
    client = client_for(ministry["officer"])
    mine = client.get("/announcements/mine/").content.decode()
    assert draft.get_absolute_url() in mine and scheduled.get_absolute_url() in mine
    edit = client.get(f"/announcements/{scheduled.pk}/edit/")
    assert edit.status_code == 200 and 'name="publish_at"' in edit.content.decode()
    assert client_for(ministry["casa_staff"]).get("/announcements/mine/").status_code == 403
    # Another author cannot edit it.
    assert client_for(ministry["manager"]).get(
        f"/announcements/{draft.pk}/edit/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_removing_an_attachment_deletes_unused_bytes_only(ministry, client_for):
    shared, own = b"shared bytes", b"only here"
    keep = services.save_announcement(
        ministry["officer"], data(to_all_staff=True), services.DRAFT,
        uploads=[SimpleUploadedFile("shared.txt", shared)])
    a = services.save_announcement(
        ministry["officer"], data(to_all_staff=True), services.DRAFT,
        uploads=[SimpleUploadedFile("shared.txt", shared), SimpleUploadedFile("own.txt", own)])
    client = client_for(ministry["officer"])
    edit_page = client.get(f"/announcements/{a.pk}/edit/").content.decode()
    assert 'name="remove_attachments"' in edit_page
    response = client.post(f"/announcements/{a.pk}/edit/", {
        "title_ar": "إعلان", "body_ar": "<p>نص</p>", "category": "news", "priority": "normal",
        "to_all_staff": "on", "action": "draft",
        "remove_attachments": [x.pk for x in a.attachments.all()],
    })
    assert response.status_code == 302
    assert not a.attachments.exists()
    store = get_file_store()
    assert store.exists(keep.attachments.get().version.blob_key)  # still used by the other one
    assert not store.exists(blob_key(hashlib.sha256(own).hexdigest()))
    # The removed attachments' files are gone; the one still attached stays.
    assert File.objects.count() == 1
