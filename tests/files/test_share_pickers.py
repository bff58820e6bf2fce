"""Sharing a file with people and directorates picked as chips."""

from __future__ import annotations

import io

import pytest

from files import services as file_services
from files.models import Share

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(user_factory, directorate_factory):
    rabat = directorate_factory(name_fr="Direction de Rabat", kind="regional")
    return {
        "me": user_factory(username="me"),
        "amina": user_factory(username="amina.e", directorate=rabat),
        "helene": user_factory(username="h.lefevre"),
    }


def test_a_file_is_shared_with_people_and_directorates_picked(
    local_store, staff, directorate_factory, client_for
):
    file = file_services.upload_file(staff["me"], io.BytesIO(b"memo"), "memo.txt").file
    rabat = staff["amina"].directorate
    client = client_for(staff["me"])
    page = client.get(f"/files/{file.pk}/").content.decode()
    assert "<select" not in page.split('class="form share-form"')[1].split("</form>")[0]
    response = client.post(f"/files/{file.pk}/share/", {
        "users": ["amina.e", "h.lefevre"], "directorates": [str(rabat.pk)]})
    assert response.status_code == 302
    shares = Share.objects.filter(file=file)
    assert {s.user.username for s in shares if s.user} == {"amina.e", "h.lefevre"}
    assert [s.directorate for s in shares if s.directorate] == [rabat]
