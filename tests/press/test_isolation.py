"""External accounts (press companies) reach the press space and nothing of the intranet."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from tests.conftest import connect_socket


def test_external_account_is_sent_from_an_intranet_page_to_the_press_space(
        representative, client_for):
    client = client_for(representative)
    for name in ("home", "directory", "notifications"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"] == "/press/"
    assert client.post(reverse("profile_edit"), {}).status_code == 403
    assert client.get(reverse("press:home")).status_code == 200


def test_external_accounts_have_no_directory_entry(representative, user, client_for):
    staff = client_for(user)
    page = staff.get(reverse("directory"), {"q": representative.first_name})
    assert list(page.context["page"].object_list) == []
    assert list(staff.get(reverse("directory")).context["page"].object_list) == [user]
    assert staff.get(reverse("profile", args=[representative.username])).status_code == 404


def test_press_space_is_arabic_by_default_whatever_the_browser_asks(db):
    response = Client(HTTP_ACCEPT_LANGUAGE="fr").get(reverse("press:home"))
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in response.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_external_socket_joins_its_own_groups_only(representative, settings):
    from channels.layers import get_channel_layer

    from collab.events import Audience, group_name

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    communicator, connected, _code = await connect_socket(representative)
    assert connected
    layer = get_channel_layer()
    [channel] = layer.groups[group_name(Audience.USER, representative.pk)]
    joined = {name for name, members in layer.groups.items() if channel in members}
    # Its user group, its session's and its own company's (its dossiers, live):
    # no directorate, all-staff or conversation group.
    organisation = await sync_to_async(lambda: representative.organisations.get().pk)()
    assert len(joined) == 3
    assert group_name(Audience.ORGANISATION, organisation) in joined
    assert all(name.startswith(("user.", "session.", "organisation.")) for name in joined)
    await communicator.disconnect()


def _intranet_urls(patterns=None, prefix=""):
    """Every URL of the project outside the press space, its parameters filled in."""
    import uuid

    from django.urls import URLPattern, URLResolver, get_resolver

    from press.middleware import EXTERNAL_ALLOWED_URL_NAMES

    samples = {"int": 1, "str": "x", "slug": "x", "path": "x", "uuid": uuid.uuid4()}
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in ("press", "admin"):
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _intranet_urls(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            name = prefix + entry.name
            if name in EXTERNAL_ALLOWED_URL_NAMES:
                continue
            kwargs = {key: samples.get(type(converter).__name__.removesuffix("Converter")
                                       .lower(), "x")
                      for key, converter in entry.pattern.converters.items()}
            yield name, reverse(name, kwargs=kwargs)


def test_an_external_account_reaches_no_intranet_url(representative, client_for):
    client = client_for(representative)
    urls = list(_intranet_urls())
    assert len(urls) > 50  # the whole intranet, not a sample
    for name, url in urls:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if method == "get":
                assert (response.status_code, response.get("Location")) == (302, "/press/"), name
            else:
                assert response.status_code == 403, (name, response.status_code)
            assert b"<nav class=\"mainnav\"" not in response.content, name
    # The admin: not staff, so its own sign-in page, never content.
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_an_external_account_cannot_use_the_upload_endpoint(representative):
    from tests.files.conftest import Uploader

    response = Uploader(representative)(b"bytes", "note.txt")
    assert response.status_code == 401
    from files.models import File
    assert not File.objects.filter(owner=representative).exists()


def test_staff_cannot_write_to_an_external_account_nor_mail_it_a_digest(
        representative, user, client_for):
    import datetime

    from django.utils import timezone

    from chat.models import Conversation
    from collab.digests import candidates

    before = Conversation.objects.count()
    response = client_for(user).post(reverse("chat:direct", args=[representative.username]))
    assert response.status_code == 302
    assert Conversation.objects.count() == before
    representative.digest_hours = 4
    representative.save()
    assert representative not in list(candidates(timezone.now() + datetime.timedelta(days=2)))
