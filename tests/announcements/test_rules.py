"""Permission, audience, 404, validation and sanitising rules, through services and HTTP."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from announcements import selectors, services
from announcements.models import Announcement
from announcements.sanitize import clean_html
from collab.models import Notification

from .conftest import data, future

pytestmark = pytest.mark.django_db


def publish(user, **overrides):
    return services.save_announcement(user, data(**overrides), services.PUBLISH)


# ---- targeting -----------------------------------------------------------


def test_regional_directorate_receives_only_what_is_addressed_to_it_or_to_all(ministry):
    to_casa = publish(ministry["officer"], directorate_ids=[ministry["casa"].pk])
    to_fes = publish(ministry["officer"], directorate_ids=[ministry["fes"].pk])
    to_all = publish(ministry["officer"], to_all_staff=True)
    to_central = publish(ministry["officer"], directorate_ids=[ministry["central"].pk])

    casa_feed = set(selectors.feed(ministry["casa_staff"]).values_list("pk", flat=True))
    assert casa_feed == {to_casa.pk, to_all.pk}
    fes_feed = set(selectors.feed(ministry["fes_staff"]).values_list("pk", flat=True))
    assert fes_feed == {to_fes.pk, to_all.pk}
    # Without "include sub-directorates" the sub-directorate is not addressed.
    sub_feed = set(selectors.feed(ministry["sub_staff"]).values_list("pk", flat=True))
    assert sub_feed == {to_all.pk}
    assert to_central.pk in set(
        selectors.feed(ministry["central_staff"]).values_list("pk", flat=True)
    )


def test_including_subdirectorates_reaches_them(ministry):
    a = publish(
        ministry["officer"], directorate_ids=[ministry["central"].pk], include_subdirectorates=True
    )
    assert selectors.feed(ministry["sub_staff"]).filter(pk=a.pk).exists()
    assert not selectors.feed(ministry["casa_staff"]).filter(pk=a.pk).exists()


def test_bell_rows_for_every_targeted_user_in_their_language(ministry):
    a = publish(ministry["officer"], directorate_ids=[ministry["central"].pk],
                include_subdirectorates=True, title_ar="اجتماع", title_fr="Réunion")
    notified = Notification.objects.filter(kind="announcement", link=a.get_absolute_url())
    recipients = set(notified.values_list("recipient_id", flat=True))
    central_people = {ministry[k].pk for k in
                      ("officer", "admin", "manager", "central_staff", "sub_staff")}
    assert recipients == central_people
    assert "Réunion" in notified.get(recipient=ministry["sub_staff"]).title
    assert "اجتماع" in notified.get(recipient=ministry["central_staff"]).title


def test_language_falls_back_to_the_other_one(ministry):
    a = publish(ministry["officer"], to_all_staff=True, title_fr="", body_fr="")
    assert a.title_in("fr") == "إعلان"
    assert a.title_in("ar") == "إعلان"
    b = publish(ministry["officer"], to_all_staff=True, title_ar="", body_ar="")
    assert b.title_in("ar") == "Annonce"
    assert b.body_in("en") == "<p>Texte</p>"


# ---- permissions ---------------------------------------------------------


def test_staff_cannot_publish(ministry):
    with pytest.raises(PermissionDenied):
        publish(ministry["casa_staff"], to_all_staff=True)
    assert not Announcement.objects.exists()


def test_manager_addresses_own_directorate_and_those_under_it_only(ministry):
    own = publish(ministry["manager"], directorate_ids=[ministry["central"].pk],
                  include_subdirectorates=True)
    assert own.state == Announcement.State.PUBLISHED
    publish(ministry["manager"], directorate_ids=[ministry["sub"].pk])
    with pytest.raises(PermissionDenied):
        publish(ministry["manager"], directorate_ids=[ministry["casa"].pk])
    with pytest.raises(PermissionDenied):
        publish(ministry["manager"], to_all_staff=True)
    # A regional manager cannot reach the centre through "include sub-directorates" either.
    with pytest.raises(PermissionDenied):
        publish(ministry["casa_manager"], directorate_ids=[ministry["central"].pk])
    assert Announcement.objects.count() == 2


def test_staff_gets_403_in_ui_and_api(ministry, client_for):
    client = client_for(ministry["casa_staff"])
    page = client.get("/announcements/new/")
    assert page.status_code == 403
    assert "may not publish" in page.content.decode() or "يمكنك" in page.content.decode()
    posted = client.post("/announcements/new/", {"title_fr": "x", "body_fr": "y",
                                                 "category": "news", "priority": "normal",
                                                 "to_all_staff": "on", "action": "publish"})
    assert posted.status_code == 403
    api = client.post("/announcements/api/announcements/", {"title_fr": "x"},
                      content_type="application/json")
    assert api.status_code == 403
    assert "error" in api.json()
    assert not Announcement.objects.exists()


def test_manager_gets_403_for_a_foreign_directorate_in_ui_and_api(ministry, client_for):
    client = client_for(ministry["manager"])
    form = {"title_fr": "Note", "body_fr": "<p>x</p>", "category": "service_note",
            "priority": "normal", "directorates": [ministry["casa"].pk], "action": "publish"}
    assert client.post("/announcements/new/", form).status_code == 403
    api = client.post(
        "/announcements/api/announcements/",
        {"title_fr": "Note", "body_fr": "x", "category": "news", "priority": "normal",
         "directorates": [ministry["casa"].pk]},
        content_type="application/json",
    )
    assert api.status_code == 403
    ok = client.post(
        "/announcements/api/announcements/",
        {"title_fr": "Note", "body_fr": "x", "category": "news", "priority": "normal",
         "directorates": [ministry["sub"].pk]},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["state"] == "published"
    assert Announcement.objects.count() == 1


def test_outside_audience_gets_404_by_url_and_api(ministry, client_for):
    a = publish(ministry["officer"], directorate_ids=[ministry["casa"].pk])
    assert client_for(ministry["fes_staff"]).get(a.get_absolute_url()).status_code == 404
    assert client_for(ministry["fes_staff"]).get(
        f"/announcements/api/announcements/{a.pk}/").status_code == 404
    assert client_for(ministry["casa_staff"]).get(a.get_absolute_url()).status_code == 200
    assert client_for(ministry["casa_staff"]).get(
        f"/announcements/api/announcements/{a.pk}/").status_code == 200
    # Not even the file behind it.
    assert client_for(ministry["fes_staff"]).get(
        f"/announcements/{a.pk}/stats/").status_code == 404


def test_drafts_and_withdrawn_are_404_for_readers(ministry, client_for):
    draft = services.save_announcement(
        ministry["officer"], data(to_all_staff=True), services.DRAFT
    )
    reader = client_for(ministry["casa_staff"])
    assert reader.get(draft.get_absolute_url()).status_code == 404
    assert client_for(ministry["officer"]).get(draft.get_absolute_url()).status_code == 200
    published = publish(ministry["officer"], to_all_staff=True)
    assert reader.get(published.get_absolute_url()).status_code == 200
    services.withdraw(ministry["officer"], published)
    assert reader.get(published.get_absolute_url()).status_code == 404
    assert not selectors.feed(ministry["casa_staff"]).exists()


def test_only_author_or_admin_may_withdraw(ministry):
    a = publish(ministry["manager"], directorate_ids=[ministry["central"].pk])
    with pytest.raises(PermissionDenied):
        services.withdraw(ministry["central_staff"], a)
    with pytest.raises(PermissionDenied):
        services.withdraw(ministry["officer"], a)
    services.withdraw(ministry["admin"], a)
    a.refresh_from_db()
    assert a.state == Announcement.State.WITHDRAWN


# ---- validation ----------------------------------------------------------


def test_scheduling_in_the_past_is_rejected(ministry):
    with pytest.raises(ValidationError) as exc:
        services.save_announcement(
            ministry["officer"],
            data(to_all_staff=True, publish_at=timezone.now() - timedelta(minutes=1)),
            services.SCHEDULE,
        )
    assert "publish_at" in exc.value.message_dict
    assert not Announcement.objects.exists()


def test_expiry_before_publication_is_rejected(ministry):
    with pytest.raises(ValidationError) as exc:
        services.save_announcement(
            ministry["officer"],
            data(to_all_staff=True, publish_at=future(120), expires_at=future(60)),
            services.SCHEDULE,
        )
    assert "expires_at" in exc.value.message_dict
    with pytest.raises(ValidationError):
        publish(ministry["officer"], to_all_staff=True,
                expires_at=timezone.now() - timedelta(minutes=5))
    assert not Announcement.objects.exists()


def test_empty_audience_is_rejected(ministry):
    with pytest.raises(ValidationError) as exc:
        publish(ministry["officer"])
    assert "directorates" in exc.value.message_dict


def test_form_shows_translated_messages(ministry, client_for):
    client = client_for(ministry["officer"])
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/announcements/new/", {
        "title_fr": "Annonce", "body_fr": "<p>x</p>", "category": "news", "priority": "normal",
        "publish_at": past, "action": "schedule",
    })
    assert response.status_code == 200
    html = response.content.decode()
    # The default language is Arabic; the officer sees the rules in Arabic.
    assert "تاريخ النشر" in html
    assert "مديرية واحدة" in html
    assert not Announcement.objects.exists()
    ministry["officer"].preferred_language = "fr"
    ministry["officer"].save()
    html = client.post("/announcements/new/", {
        "title_fr": "Annonce", "body_fr": "<p>x</p>", "category": "news", "priority": "normal",
        "publish_at": past, "action": "schedule", "directorates": [ministry["casa"].pk],
    }).content.decode()
    assert "date de publication est passée" in html


# ---- sanitising ----------------------------------------------------------


@pytest.mark.parametrize(
    "dirty, forbidden",
    [
        ('<p>hi<script>alert(1)</script></p>', "<script"),
        ('<p onclick="steal()">hi</p>', "onclick"),
        ('<img src="x" onerror="steal()">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<img src="https://tracker.example/p.png">', "tracker.example"),
        ('<img src="//tracker.example/p.png">', "tracker.example"),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', "data:"),
        ('<style>body{display:none}</style><p>x</p>', "<style"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ('<svg><script>alert(1)</script></svg>', "<svg"),
    ],
)
def test_sanitiser_removes(dirty, forbidden):
    assert forbidden not in clean_html(dirty)


def test_sanitiser_keeps_formatting_and_local_images():
    kept = clean_html('<p><strong>Gras</strong> <a href="https://www.gov.ma">lien</a></p>'
                      '<img src="/static/collab/logo.png" alt="logo"><ul><li>a</li></ul>')
    assert "<strong>Gras</strong>" in kept
    assert 'href="https://www.gov.ma"' in kept
    assert 'src="/static/collab/logo.png"' in kept
    assert "<li>a</li>" in kept


def test_stored_body_is_sanitised_and_rendered_clean(ministry, client_for):
    a = publish(ministry["officer"], to_all_staff=True,
                body_ar='<p onmouseover="x()">نص<script>alert(1)</script></p>'
                        '<img src="https://evil.example/t.gif">')
    a.refresh_from_db()
    assert "script" not in a.body_ar and "onmouseover" not in a.body_ar
    html = client_for(ministry["casa_staff"]).get(a.get_absolute_url()).content.decode()
    assert "alert(1)" not in html and "evil.example" not in html


def test_editing_published_marks_it_updated(ministry):
    a = publish(ministry["officer"], to_all_staff=True)
    assert a.edited_at is None
    services.save_announcement(ministry["officer"], data(to_all_staff=True, title_fr="Modifié"),
                               services.DRAFT, announcement=a)
    a.refresh_from_db()
    assert a.state == Announcement.State.PUBLISHED
    assert a.edited_at is not None and a.title_fr == "Modifié"


def test_expired_leaves_feed_but_stays_in_archive(ministry):
    a = publish(ministry["officer"], to_all_staff=True, expires_at=future(10))
    Announcement.objects.filter(pk=a.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    reader = ministry["casa_staff"]
    assert not selectors.feed(reader).filter(pk=a.pk).exists()
    assert selectors.archive(reader).filter(pk=a.pk).exists()
