"""Hostile text in the announcement form: reported beside the field, nothing stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from announcements.models import Announcement

pytestmark = pytest.mark.django_db


def post(client, **fields):
    data = {"title_ar": "مذكرة", "body_ar": "<p>نص</p>", "category": "service_note",
            "priority": "normal", "action": "draft"}
    data.update(fields)
    return client.post("/announcements/new/", data)


@pytest.mark.parametrize(("title", "says"), [
    ("مذكرة\x00", "U+0000"), ("\x1b[31mمذكرة", "U+001B"), ("\ufffd", "UTF-8")])
def test_bad_title_is_reported_beside_it(ministry, client_for, title, says):
    response = post(client_for(ministry["officer"]), title_ar=title,
                    directorates=[ministry["casa"].pk])
    assert response.status_code == 200
    field = response.content.decode().split('for="id_title_ar"')[1].split("</div>")[0]
    assert says in field
    assert not Announcement.objects.exists()


def test_bidi_controls_leave_the_title(ministry, client_for):
    response = post(client_for(ministry["officer"]), title_ar="\u202bمذكرة\u202c\u2067",
                    directorates=[ministry["casa"].pk])
    assert response.status_code == 302
    assert Announcement.objects.get().title_ar == "مذكرة"


def test_attachment_with_an_undecodable_name(ministry, client_for):
    # Django's multipart parser drops control characters from file names
    # itself; bytes that were not UTF-8 reach the form as U+FFFD.
    upload = SimpleUploadedFile("note\ufffd.pdf", b"%PDF-1.4 hello", "application/pdf")
    response = post(client_for(ministry["officer"]), attachments=[upload],
                    directorates=[ministry["casa"].pk])
    assert response.status_code == 200
    assert "UTF-8" in response.content.decode()
    assert not Announcement.objects.exists()
