"""Photos or initials beside people's names; uploading one from the profile page."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from collab.templatetags.avatars import avatar_html, initials
from tests.training.content_helpers import local_store_fixture  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _jpeg_with_exif(width=300, height=200) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned, shown rotated 90°
    exif[0x010F] = "Camera maker that must not leak"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _upload(client, data: bytes, name="me.jpg", content_type="image/jpeg", follow=False):
    return client.post("/profile/photo/", {"photo": SimpleUploadedFile(name, data, content_type)},
                       follow=follow)


def test_a_photo_is_stored_square_small_and_without_metadata(local_store, user, client_for):
    client = client_for(user)
    response = _upload(client, _jpeg_with_exif(), follow=True)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.avatar_key
    page = client.get(f"/people/{user.username}/").content.decode()
    assert f'src="{user.avatar_url}"' in page and 'alt=""' in page

    served = client.get(user.avatar_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert "immutable" in served["Cache-Control"]
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.format == "WEBP" and image.size == (128, 128)
        assert not image.getexif() and "exif" not in image.info
    assert b"Camera maker" not in served.content

    # An older address (an earlier photo) is not cached for good.
    stale = client.get(f"/people/{user.username}/photo/0000000000000000/")
    assert stale.status_code == 200 and "no-cache" in stale["Cache-Control"]


@pytest.mark.parametrize("data, name, message", [
    (b"MZ\x90\x00 not a picture", "me.jpg", "The photo must be a JPEG, PNG or WebP image."),
    (b"GIF89a" + b"\x00" * 40, "me.gif", "The photo must be a JPEG, PNG or WebP image."),
    (b"\xff" * (5 * 1024 * 1024 + 1), "big.jpg", "The photo is too large (5 MB at most)."),
])
def test_a_bad_file_is_refused_beside_the_field_and_nothing_is_written(
    local_store, user_factory, client_for, data, name, message
):
    user = user_factory(preferred_language="en")
    client = client_for(user)
    response = _upload(client, data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.avatar_key == ""
    assert list(local_store.keys()) == []


def test_without_a_file_the_form_says_so(local_store, user_factory, client_for):
    user = user_factory(preferred_language="fr")
    response = client_for(user).post("/profile/photo/", {})
    assert "Choisissez une photo à envoyer." in response.content.decode()


def test_removing_the_photo_brings_the_initials_back(local_store, user, client_for):
    client = client_for(user)
    _upload(client, _jpeg_with_exif())
    user.refresh_from_db()
    assert user.avatar_key
    client.post("/profile/photo/", {"remove": "1"})
    user.refresh_from_db()
    assert user.avatar_key == "" and user.avatar_url == ""
    assert "avatar-initials" in avatar_html(user, 32)


def test_photos_are_for_staff_only(local_store, user, user_factory, client_for, client):
    _upload(client_for(user), _jpeg_with_exif())
    user.refresh_from_db()
    assert client.get(user.avatar_url).status_code == 302  # to sign-in
    press = user_factory(is_external=True)
    assert client_for(press).get(user.avatar_url).status_code in (302, 403, 404)


def test_initials_follow_the_script_of_the_name(user_factory):
    assert initials("Amina El Idrissi") == "AI"
    assert initials("hélène") == "H"
    # Arabic: the article skipped, the letters kept apart (not joined as a word).
    assert initials("أمينة الإدريسي") == "أ\u200cإ"
    assert initials("") == "?"
    person = user_factory(first_name="Amina", last_name="Idrissi", full_name_ar="أمينة الإدريسي")
    from django.utils import translation

    with translation.override("ar"):
        html = avatar_html(person, 32)
    assert "أ\u200cإ" in html and 'aria-hidden="true"' in html
    assert f"avatar-c{person.pk % 10}" in html
    with translation.override("fr"):
        assert ">AI<" in avatar_html(person, 32)


def test_avatars_appear_where_people_are_listed(user_factory, client_for):
    me = user_factory(first_name="Zineb", last_name="Alaoui")
    html = client_for(me).get("/directory/").content.decode()
    assert html.count('class="avatar avatar-initials') >= 2  # the header and the directory row
