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
