"""Hostile text over HTTP: control characters, NUL, undecodable bytes and bidi
controls in form fields, query parameters and URL parts get a clear message in
the person's language, store nothing, and never answer 500."""

from __future__ import annotations

import pytest
from django.test import Client

from chat import services as chat_services
from chat.models import Conversation, Message
from collab.models import User

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
# What each hostile value says, in English.
HOSTILE = [
    ("a%00b", "not allowed (U+0000)"),
    ("a%01b", "not allowed (U+0001)"),
    ("a%C2%85b", "not allowed (U+0085)"),
    # UTF-8 of a lone surrogate (U+D800): not valid UTF-8.
    ("%ED%A0%80", "not valid UTF-8"),
    ("%FF%FE", "not valid UTF-8"),
]


def client(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


@pytest.fixture
def english(user):
    user.preferred_language = "en"
    user.save()
    return user


@pytest.mark.parametrize(("value", "says"), HOSTILE)
def test_profile_form_shows_the_problem_beside_the_field(english, value, says):
    body = (f"first_name={value}&last_name=L&full_name_ar=&email=a%40b.ma&job_title="
            f"&preferred_language=en")
    response = client(english).post("/profile/edit/", body, content_type=FORM)
    html = response.content.decode()
    assert response.status_code == 200
    field = html.split('for="id_first_name"')[1].split("</div>")[0]
    assert says in field
    english.refresh_from_db()
    assert english.first_name.startswith("First")


def test_raw_invalid_bytes_in_a_form_body_are_reported_not_read_as_latin1(english):
    body = b"first_name=\xff\xfe&last_name=L&email=a%40b.ma&preferred_language=en"
    response = client(english).post("/profile/edit/", body, content_type=FORM)
    assert response.status_code == 200
    assert "not valid UTF-8" in response.content.decode()
    english.refresh_from_db()
    assert english.first_name.startswith("First")


def test_the_message_is_in_the_persons_language(user):
    user.preferred_language = "fr"
    user.save()
    body = "first_name=a%00b&last_name=L&email=a%40b.ma&preferred_language=fr"
    response = client(user).post("/profile/edit/", body, content_type=FORM)
    assert "Le texte contient un caractère non autorisé (U+0000)" in response.content.decode()


def test_bidi_controls_are_taken_out_of_names(english):
    body = ("first_name=%E2%80%AEnimda&last_name=L%E2%81%A6x%E2%81%A9&email=a%40b.ma"
            "&preferred_language=en")
    response = client(english).post("/profile/edit/", body, content_type=FORM)
    assert response.status_code == 302
    english.refresh_from_db()
    assert (english.first_name, english.last_name) == ("nimda", "Lx")


@pytest.mark.parametrize(("value", "says"), HOSTILE)
def test_login_reports_bad_text_and_does_not_fail(value, says, settings):
    settings.LANGUAGE_CODE = "en"
    response = Client(raise_request_exception=False).post(
        "/login/", f"username={value}&password=x", content_type=FORM,
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert says in response.content.decode()


@pytest.mark.parametrize("url", ["/directory/", "/files/", "/announcements/", "/chat/search/"])
@pytest.mark.parametrize(("value", "says"), HOSTILE[:3] + HOSTILE[4:])
def test_searches_say_what_is_wrong(english, url, value, says):
    c = client(english)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = c.get(f"{url}?q={value}", **headers)
        assert response.status_code == 200, (url, headers)
        assert says in response.content.decode(), (url, headers)


def test_an_endpoint_without_a_form_answers_400_with_a_page(english):
    c = client(english)
    response = c.post("/language/", "language=fr&next=/%00", content_type=FORM)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Request refused" in html and "“next”" in html and "(U+0000)" in html
    english.refresh_from_db()
    assert english.preferred_language == "en"
    # htmx does not swap a 400: the page is told through an event it shows.
    response = c.post("/notifications/read-all/", "x=%01", content_type=FORM,
                      HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "(U+0001)" in response["HX-Trigger"]


def test_url_parts_are_checked_too(english):
    c = client(english)
    for url in ("/people/a%00b/", "/requests/balance/a%00b/"):
        response = c.get(url)
        assert response.status_code == 400, url
        assert "(U+0000)" in response.content.decode()
    assert c.post("/chat/direct/a%00b/").status_code == 400


@pytest.fixture
def group(user_factory, directorate):
    me = user_factory(directorate=directorate, preferred_language="en")
    other = user_factory(directorate=directorate)
    return chat_services.create_group(me, "team", [other.pk]), me, other


@pytest.mark.parametrize(("value", "says"), HOSTILE)
def test_chat_fallback_refuses_bad_text_in_the_composer(group, value, says):
    conv, me, _ = group
    response = client(me).post(f"/chat/{conv.pk}/send/", f"body={value}", content_type=FORM,
                               HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Message.objects.exists()


def test_chat_fallback_strips_bidi_controls(group):
    conv, me, _ = group
    response = client(me).post(f"/chat/{conv.pk}/send/", "body=invoice%E2%80%AEfdp.exe",
                               content_type=FORM, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert Message.objects.get().body == "invoicefdp.exe"


def test_group_titles_refuse_bad_text_and_lose_bidi_controls(group):
    conv, me, other = group
    c = client(me)
    response = c.post("/chat/groups/new/", f"title=x%00y&members={other.username}",
                      content_type=FORM, follow=True)
    assert "(U+0000)" in response.content.decode()
    assert Conversation.objects.filter(kind="group").count() == 1
    c.post(f"/chat/{conv.pk}/rename/", "title=%E2%80%AEevil", content_type=FORM)
    conv.refresh_from_db()
    assert conv.title == "evil"


def test_unknown_user_names_are_reported_and_nothing_changes(group, user_factory):
    conv, me, other = group
    newcomer = user_factory(directorate=me.directorate)
    gone = user_factory(directorate=me.directorate, is_active=False)
    c = client(me)
    response = c.post(f"/chat/{conv.pk}/invite/",
                      {"members": f"{newcomer.username} nobody @{gone.username}"}, follow=True)
    html = response.content.decode()
    assert f"match no active colleague: nobody, {gone.username}" in html
    assert not conv.memberships.filter(user=newcomer).exists()

    response = c.post("/chat/groups/new/", {"title": "new", "members": "ghost"}, follow=True)
    assert "match no active colleague: ghost" in response.content.decode()
    assert Conversation.objects.filter(kind="group").count() == 1

    response = c.post("/chat/direct/ghost/", follow=True)
    assert response.status_code == 200
    assert "No active colleague has the user name “ghost”" in response.content.decode()
    assert not Conversation.objects.filter(kind="direct").exists()

    # Known names still work.
    c.post(f"/chat/{conv.pk}/invite/", {"members": newcomer.username})
    assert conv.memberships.filter(user=newcomer).exists()
    assert User.objects.filter(pk=other.pk).exists()


def test_names_are_shown_without_bidi_controls_whatever_their_source(user_factory, directorate):
    # Written past the forms (admin, shell, an old row): still neutral on output.
    person = user_factory(directorate=directorate, first_name="\u202eevil", last_name="x",
                          full_name_ar="\u2067علي\u2069")
    assert person.display_name in ("علي", "evil x")
    viewer = user_factory(directorate=directorate, preferred_language="fr")
    html = client(viewer).get(f"/people/{person.username}/").content.decode()
    assert "\u202e" not in html and "evil x" in html


def test_every_form_of_the_project_checks_its_text():
    # A form written later is covered only if it derives from collab.forms'
    # Form/ModelForm (or mixes CheckedTextMixin in): this says which does not.
    import django.forms
    from django.urls import get_resolver

    from collab.forms import CheckedTextMixin

    assert get_resolver().url_patterns  # imports every app's views, hence their forms
    apps = {"collab", "chat", "files", "announcements", "requests"}
    found, stack = [], [django.forms.BaseForm]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in apps and not cls.__name__.startswith("_"):
            found.append(cls)
    assert len(found) >= 10
    unchecked = [f"{c.__module__}.{c.__name__}" for c in found
                 if not issubclass(c, CheckedTextMixin)]
    assert unchecked == []


async def test_raw_invalid_bytes_in_a_query_string_get_400_not_500():
    from asgi import application

    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/directory/",
             "raw_path": b"/directory/", "query_string": b"q=\xff\xfe",
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80)}
    await application(scope, receive, send)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 400


def test_group_title_with_undecodable_bytes_is_refused(group):
    conv, me, _other = group
    response = client(me).post(f"/chat/{conv.pk}/rename/", "title=%FF", content_type=FORM,
                               follow=True)
    assert "not valid UTF-8" in response.content.decode()
    conv.refresh_from_db()
    assert conv.title == "team"
