"""Pages under data: query counts that do not grow with it, and the
pinned-messages index. (Vary on the htmx headers: test_htmx_vary.py.)"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags


@pytest.fixture
def world(db, user_factory, directorate):
    """A manager with two team members, all in the directorate's channel."""
    from chat.models import Conversation, Membership
    from requests.defaults import ensure_default_types
    from requests.models import LeavePolicy

    ensure_default_types()
    LeavePolicy.current()
    manager = user_factory(directorate=directorate, role="manager")
    team = [user_factory(directorate=directorate, manager=manager) for _ in range(2)]
    channel = Conversation.objects.get(directorate=directorate)
    for person in [manager, *team]:
        Membership.objects.get_or_create(conversation=channel, user=person)
    return {"manager": manager, "team": team, "channel": channel}


def _add_data(world, n: int, start: int) -> None:
    """n messages (every tenth pinned, all matching "report"), n files of the
    manager's, n leave requests of the team overlapping this month."""
    from chat.models import Conversation, Message
    from files.models import File, FileVersion
    from requests.models import LeaveRequest, Request, RequestType, Stage

    now = timezone.now()
    channel, manager = world["channel"], world["manager"]
    Message.objects.bulk_create([
        Message(conversation=channel, seq=start + i, author=manager, body=f"report {i}",
                body_html=f"<p>report {i}</p>", search_text=f"report {i}",
                pinned_at=now if i % 10 == 0 else None)
        for i in range(1, n + 1)
    ])
    Conversation.objects.filter(pk=channel.pk).update(last_seq=start + n)
    files = File.objects.bulk_create([
        File(owner=manager, name=f"doc{start + i}.txt") for i in range(n)
    ])
    versions = FileVersion.objects.bulk_create([
        FileVersion(file=f, number=1, blob_key=f"k{f.pk}", size=10, sha256="0" * 64,
                    content_type="text/plain", uploaded_by=manager,
                    scan_status=FileVersion.Scan.CLEAN)
        for f in files
    ])
    for f, v in zip(files, versions, strict=True):
        f.current_version = v
    File.objects.bulk_update(files, ["current_version"])
    leave_type = RequestType.objects.filter(code="leave").first() or RequestType.objects.first()
    today = timezone.localdate()
    requests_ = Request.objects.bulk_create([
        Request(request_type=leave_type, requester=world["team"][i % 2],
                stage=Stage.COMPLETED if i % 2 else Stage.SUBMITTED)
        for i in range(n)
    ])
    LeaveRequest.objects.bulk_create([
        LeaveRequest(request=r, start_date=today.replace(day=1) + datetime.timedelta(days=i % 20),
                     end_date=today.replace(day=1) + datetime.timedelta(days=i % 20 + 3), days=4)
        for i, r in enumerate(requests_)
    ])


def _pages(world):
    return {
        "home": reverse("home"),
        "conversation": reverse("chat:conversation", args=[world["channel"].pk]),
        "search": reverse("chat:search") + "?q=report",
        "files": reverse("files:mine"),
        "team calendar": reverse("requests:team_calendar"),
    }


def _counts(client, world) -> dict[str, int]:
    counts = {}
    for name, url in _pages(world).items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(queries)
    return counts


def test_page_queries_do_not_grow_with_the_data(world, client_for):
    client = client_for(world["manager"])
    _add_data(world, 10, 0)
    _counts(client, world)  # first visits fill per-process caches
    small = _counts(client, world)
    _add_data(world, 30, 10)
    # Messages seen for the first time are rendered and kept (chat.fragments):
    # one more query (their reactions), whatever their number.
    first = _counts(client, world)
    assert first["conversation"] == small["conversation"] + 1
    large = _counts(client, world)
    assert large == small
    # The pages show the data they were given.
    # (Search results mark the matching words: their text, without the marks.)
    assert "report 30" in strip_tags(client.get(_pages(world)["search"]).content.decode())
    calendar = client.get(_pages(world)["team calendar"]).content.decode()
    assert world["team"][0].first_name in calendar


def test_search_returns_the_newest_matches_first(world, client_for):
    from chat import selectors

    _add_data(world, 60, 0)
    found = selectors.search(world["manager"], "report", limit=50)
    assert [m.seq for m in found] == list(range(60, 10, -1))


def test_pinned_messages_query_uses_the_partial_index(world):
    from chat import selectors
    from chat.models import Message

    if connection.vendor != "postgresql":
        pytest.skip("the partial index plan is PostgreSQL's; CI runs PostgreSQL")
    _add_data(world, 2000, 0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chat_message")
    query = (Message.objects.filter(conversation=world["channel"], pinned_at__isnull=False)
             .select_related("author").order_by("-pinned_at"))
    plan = query.explain()
    assert "chat_msg_pinned" in plan, plan
    assert len(selectors.pinned(world["channel"])) == 200
