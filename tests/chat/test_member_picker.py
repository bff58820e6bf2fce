"""Group members chosen with the people picker (one user name per chip)."""

from __future__ import annotations

import pytest

from chat.models import Conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(user_factory):
    return {name: user_factory(username=name) for name in ("me", "amina.e", "h.lefevre")}


def test_chat_group_members_from_chips(staff, client_for):
    client = client_for(staff["me"])
    page = client.get("/chat/").content.decode()
    assert 'id="group-members"' in page and 'role="combobox"' in page
    response = client.post("/chat/groups/new/", {
        "title": "Comité", "members": ["amina.e", "h.lefevre"]})
    assert response.status_code == 302
    group = Conversation.objects.get(title="Comité")
    assert set(group.memberships.values_list("user__username", flat=True)) == {
        "me", "amina.e", "h.lefevre"}


def test_mention_suggestions_and_the_sidebar_show_each_person_s_avatar(staff, client_for):
    from chat import services

    client = client_for(staff["me"])
    client.post("/chat/groups/new/", {"title": "Comité", "members": ["amina.e"]})
    group = Conversation.objects.get(title="Comité")
    [person] = client.get(f"/chat/{group.pk}/mentions/", {"q": "amina"}).json()["people"]
    assert person["username"] == "amina.e"
    assert 'class="avatar avatar-initials' in person["avatar"]
    services.start_direct(staff["me"], staff["amina.e"])
    sidebar = client.get("/chat/").content.decode()
    assert sidebar.count('class="avatar avatar-initials') >= 2  # the header and the direct chat
