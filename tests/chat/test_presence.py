"""Presence is told only about people the asker shares something with."""

from __future__ import annotations

import pytest
from django.test import Client

from chat import actions, live, services
from chat.models import Membership
from tests.conftest import connect_socket

from .conftest import call

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(directorate_factory, user_factory):
    """asker and colleague share a directorate; grouped and direct are elsewhere
    but in a group / a direct conversation with asker; ministry only shares a
    ministry-wide channel with asker; stranger shares nothing. All online."""
    home, elsewhere = directorate_factory(), directorate_factory()
    asker = user_factory(directorate=home)
    colleague = user_factory(directorate=home)
    grouped, direct, ministry, stranger = (user_factory(directorate=elsewhere) for _ in range(4))
    admin = user_factory(directorate=directorate_factory(), is_superuser=True)
    services.create_ministry_channel(admin, "Everyone")
    services.create_group(asker, "Project", [grouped.pk])
    services.start_direct(asker, direct)
    people = {"asker": asker, "colleague": colleague, "grouped": grouped, "direct": direct,
              "ministry": ministry, "stranger": stranger}
    for someone in people.values():
        live.set_presence(someone.pk, "online")
    return people


async def test_presence_answers_only_about_people_who_share_something(people):
    socket, connected, _ = await connect_socket(people["asker"])
    assert connected
    watch = [p.pk for p in people.values()] + [10**9]  # and an id nobody has
    reply = await call(socket, "chat.presence", {"state": "away", "watch": watch})
    by_id = {str(p.pk): name for name, p in people.items()}
    assert {by_id[k]: v for k, v in reply["data"]["presence"].items()} == {
        "asker": "away", "colleague": "online", "grouped": "online", "direct": "online",
    }
    await socket.disconnect()


def test_presence_costs_one_query(people, django_assert_num_queries):
    watch = [p.pk for p in people.values()]
    with django_assert_num_queries(1):
        reply = actions.presence(people["asker"], {"state": "online", "watch": watch})
    assert len(reply["presence"]) == 4


def test_pages_show_presence_only_where_the_reply_would(people):
    client = Client()
    client.force_login(people["asker"])
    page = client.get("/directory/").content.decode()
    for name in ("colleague", "grouped", "direct"):
        assert f'data-presence-user="{people[name].pk}"' in page, name
    for name in ("ministry", "stranger"):
        assert f'data-presence-user="{people[name].pk}"' not in page, name
    profile = client.get(f"/people/{people['stranger'].username}/").content.decode()
    assert f'data-presence-user="{people["stranger"].pk}"' not in profile
    assert "Send a message" in profile or "chat-dm-form" in profile


def test_people_without_a_directorate_are_not_each_others_colleagues(user_factory):
    first = user_factory()
    second = user_factory()
    type(first).objects.filter(pk__in=[first.pk, second.pk]).update(directorate=None)
    first.refresh_from_db()
    live.set_presence(second.pk, "online")
    # Their old directorate channels would still join them.
    Membership.objects.filter(user__in=[first, second]).delete()
    reply = actions.presence(first, {"state": "online", "watch": [second.pk]})
    assert reply["presence"] == {}
