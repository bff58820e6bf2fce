"""Accounts, directory, profile and notification pages through HTTP."""

import pytest
from django.test import Client

from collab import services
from collab.models import Notification

pytestmark = pytest.mark.django_db


def test_pages_need_a_login(client):
    for url in ["/", "/directory/", "/notifications/", "/profile/edit/", "/people/x/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_login_with_the_real_form_and_logout(user_factory):
    user_factory(username="karim", password="A-long-pass-2026")
    client = Client()
    response = client.post("/login/", {"username": "karim", "password": "wrong"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    response = client.post("/login/", {"username": "karim", "password": "A-long-pass-2026"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_password_change(user_factory):
    user = user_factory(username="salma", password="Old-pass-2026!")
    client = Client()
    client.force_login(user)
    response = client.post(
        "/password/",
        {
            "old_password": "Old-pass-2026!",
            "new_password1": "Brand-new-2026?",
            "new_password2": "Brand-new-2026?",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Brand-new-2026?")


def test_directory_search_by_name_directorate_and_title(user_factory, directorate_factory, user):
    rabat = directorate_factory(name_fr="Direction régionale de Rabat")
    user_factory(first_name="Youssef", last_name="Alaoui", directorate=rabat, job_title="Ingénieur")
    user_factory(first_name="Nadia", last_name="Tazi", full_name_ar="نادية التازي",
                 job_title="Technicienne")
    client = Client()
    client.force_login(user)

    # Arabic is the default language: Nadia shows under her Arabic name.
    page = client.get("/directory/", {"q": "youssef"}).content.decode()
    assert "Alaoui" in page and "نادية التازي" not in page
    page = client.get("/directory/", {"q": "التازي"}).content.decode()
    assert "نادية التازي" in page and "Alaoui" not in page
    page = client.get("/directory/", {"directorate": rabat.pk}).content.decode()
    assert "Alaoui" in page and "نادية التازي" not in page
    page = client.get("/directory/", {"title": "technic"}).content.decode()
    assert "نادية التازي" in page and "Alaoui" not in page


def test_directory_live_search_returns_only_the_results_fragment(user):
    client = Client()
    client.force_login(user)
    response = client.get("/directory/", {"q": user.last_name}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert user.last_name in body


def test_directory_hides_deactivated_staff(user_factory, user):
    gone = user_factory(last_name="Departed", is_active=False)
    client = Client()
    client.force_login(user)
    assert "Departed" not in client.get("/directory/").content.decode()
    assert client.get(f"/people/{gone.username}/").status_code == 404


def test_profile_shows_directorate_manager_and_role(user_factory, directorate):
    boss = user_factory(directorate=directorate, role="manager", first_name="Hicham")
    person = user_factory(directorate=directorate, manager=boss, job_title="Archiviste",
                          job_title_ar="أرشيفي")
    client = Client()
    client.force_login(person)
    page = client.get(f"/people/{person.username}/").content.decode()
    assert "أرشيفي" in page  # the page is in Arabic: so is the job title
    assert "Hicham" in page
    assert directorate.name_ar in page or directorate.name_fr in page


def test_profile_edit_saves_and_rejects_bad_email(logged_in_client, user):
    response = logged_in_client.post(
        "/profile/edit/",
        {"first_name": "Omar", "last_name": "Berrada", "full_name_ar": "عمر برادة",
         "email": "not-an-email", "job_title": "Chef", "preferred_language": "fr"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name != "Omar"
    response = logged_in_client.post(
        "/profile/edit/",
        {"first_name": "Omar", "last_name": "Berrada", "full_name_ar": "عمر برادة",
         "email": "omar@mincom.gov.ma", "job_title": "Chef", "preferred_language": "fr"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.full_name_ar, user.preferred_language) == (
        "Omar", "عمر برادة", "fr")


def test_notification_panel_lists_mine_with_action_buttons(logged_in_client, user, user_factory):
    other = user_factory()
    services.notify(user, kind="leave", title="Approve leave of Karim", link="/requests/1/",
                    actions=[{"label": "Approve", "url": "/requests/1/approve/",
                              "style": "primary", "comment": True}])
    services.notify(other, kind="x", title="Someone else's")
    body = logged_in_client.get("/notifications/panel/").content.decode()
    assert "Approve leave of Karim" in body
    assert 'hx-post="/requests/1/approve/"' in body
    assert 'name="comment"' in body
    assert "Someone else" not in body


def test_mark_one_read_returns_the_updated_item(logged_in_client, user):
    notification = services.notify(user, kind="t", title="Read me")
    response = logged_in_client.post(
        f"/notifications/{notification.pk}/read/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "is-read" in response.content.decode()
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_cannot_mark_someone_elses_notification(logged_in_client, user_factory):
    theirs = services.notify(user_factory(), kind="t", title="Not yours")
    response = logged_in_client.post(f"/notifications/{theirs.pk}/read/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(logged_in_client, user):
    for i in range(3):
        services.notify(user, kind="t", title=f"n{i}")
    assert logged_in_client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_mark_read_needs_post(logged_in_client, user):
    notification = services.notify(user, kind="t", title="x")
    assert logged_in_client.get(f"/notifications/{notification.pk}/read/").status_code == 405


def test_header_shows_unread_count(logged_in_client, user):
    services.notify(user, kind="t", title="one")
    services.notify(user, kind="t", title="two")
    page = logged_in_client.get("/").content.decode()
    assert 'id="bell-count" class="badge" data-count="2"' in page


def test_header_bell_counts_only_the_reader_s_unread_and_resumes_after_the_latest(
        logged_in_client, user, user_factory):
    page = logged_in_client.get("/").content.decode()
    assert 'data-last-notification-id="0"' in page
    assert 'id="bell-count" class="badge" data-count="0"' in page
    other = user_factory()
    first = services.notify(user, kind="t", title="one")
    services.notify(other, kind="t", title="not mine")
    latest = services.notify(user, kind="t", title="two")
    services.notify(other, kind="t", title="not mine either")
    Notification.objects.filter(pk=first.pk).update(read_at=latest.created_at)
    page = logged_in_client.get("/").content.decode()
    assert 'id="bell-count" class="badge" data-count="1"' in page
    assert f'data-last-notification-id="{latest.pk}"' in page


def test_user_text_is_escaped_in_pages(logged_in_client, user):
    services.notify(user, kind="t", title="<script>alert(1)</script>")
    page = logged_in_client.get("/notifications/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_language_switch_rejects_foreign_redirects(logged_in_client):
    response = logged_in_client.post(
        "/language/", {"language": "fr", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
