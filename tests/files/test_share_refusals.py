"""Sharing with someone who cannot be chosen says so; nothing is shared."""

from __future__ import annotations

import io

import pytest

from files import services
from files.models import Share

pytestmark = pytest.mark.django_db


def test_sharing_with_a_person_no_longer_active_is_reported(
    local_store, user, user_factory, client_for
):
    user.preferred_language = "en"
    user.save()
    file = services.upload_file(user, io.BytesIO(b"memo"), "memo.txt").file
    gone = user_factory(is_active=False)
    colleague = user_factory()
    response = client_for(user).post(f"/files/{file.pk}/share/",
                                     {"users": [colleague.username, gone.username]}, follow=True)
    html = response.content.decode()
    assert f"People: Select a valid choice. {gone.username} is not one of the available choices." \
        in html
    assert not Share.objects.exists()
