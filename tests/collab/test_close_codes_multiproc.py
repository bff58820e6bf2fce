"""Close codes and a worker going down, against real Daphne processes started
as production starts them (collab.server, the production frame limits)."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat.models import Conversation, Message
from tests import multiproc
from tests.conftest import session_cookie_for

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

FRAME_LIMIT = int(multiproc.DAPHNE_ARGS[multiproc.DAPHNE_ARGS.index(
    "--websocket-max-message-size") + 1])


async def open_socket(worker, session):
    ws = await connect(worker.ws_url, origin=worker.origin, max_size=None,
                       additional_headers={"Cookie": f"sessionid={session}"})
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "hello"
    return ws


async def close_code_after(ws, timeout=10) -> int:
    """Read until the server closes; the code it sent (None: no close frame)."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


@pytest.fixture
def session(live_daphne_pair, user_factory):
    return live_daphne_pair, session_cookie_for(user_factory())[0]


async def test_a_frame_over_the_limit_closes_with_1009_not_a_reset(session):
    workers, cookie = session
    ws = await open_socket(workers[0], cookie)
    await ws.send("x" * (FRAME_LIMIT + 1))
    assert await close_code_after(ws) == 1009


async def test_a_text_frame_that_is_not_utf8_closes_with_1007(session):
    workers, cookie = session
    ws = await open_socket(workers[1], cookie)
    await ws.send(b'{"action": "ping", "data": {"x": "\xff\xfe"}}', text=True)
    assert await close_code_after(ws) == 1007


async def test_a_client_that_keeps_breaking_the_protocol_is_closed_with_1008(session):
    workers, cookie = session
    ws = await open_socket(workers[0], cookie)
    errors = []
    for n in range(19):
        await ws.send("not json" if n % 2 else '{"action": "ping\\u0000"}')
        errors.append(json.loads(await asyncio.wait_for(ws.recv(), 10))["code"])
    assert set(errors) == {"bad_frame", "bad_text"}
    await ws.send('{"action": "ping", "ref": 1}')  # a good frame starts the count again
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "reply"
    for _ in range(20):
        await ws.send("[]")
    assert await close_code_after(ws) == 1008


# ---- A worker going down -------------------------------------------------------


@pytest.fixture
def lone_worker(transactional_db, settings, tmp_path, directorate_factory, user_factory):
    """A worker of our own (this test stops it), and five people of one directorate."""
    from django.db import connection

    redis_url = None  # the in-memory layer: one worker, nothing shared
    directorate = directorate_factory()
    people = [user_factory(directorate=directorate) for _ in range(5)]
    channel = Conversation.objects.get(directorate=directorate)
    with multiproc.shared_test_database(connection, tmp_path) as database_url:
        env = multiproc.worker_env(
            database_url=database_url, redis_url=redis_url, prefix=multiproc.unique_prefix(),
            secret_key=settings.SECRET_KEY, var_dir=tmp_path / "var",
            CHAT_RATE_LIMIT="100000/10",
        )
        worker = multiproc.start_daphne(env, tmp_path, "sigterm")
        try:
            yield worker, channel, [session_cookie_for(p)[0] for p in people]
        finally:
            worker.close()


async def test_sigterm_finishes_running_actions_and_closes_every_socket_with_1001(lone_worker):
    worker, channel, sessions = lone_worker
    sockets = [await open_socket(worker, s) for s in sessions]
    per_socket = 60
    bodies = {}  # ref -> body
    for n, ws in enumerate(sockets):
        # Queued all at once: the worker is busy with them when the signal comes.
        for i in range(per_socket):
            ref = f"{n}-{i}"
            bodies[ref] = f"message {ref}"
            await ws.send(json.dumps({"action": "chat.send", "ref": ref,
                                      "data": {"conversation": channel.pk, "body": bodies[ref]}}))

    acked: dict[str, int] = {}
    codes: list[int | None] = []

    async def read(ws):
        try:
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("type") == "reply":
                    acked[frame["ref"]] = frame["data"]["seq"]
                else:
                    assert frame.get("type") == "event", frame  # never an error
        except ConnectionClosed as closed:
            codes.append(closed.rcvd.code if closed.rcvd else None)

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    while not acked:  # the worker is in the middle of the sends
        await asyncio.sleep(0.01)
    worker.process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(asyncio.gather(*readers), 30)
    assert codes == [1001] * len(sockets)
    returncode = await asyncio.to_thread(worker.process.wait, 30)
    assert returncode == 0

    stored = await sync_to_async(lambda: dict(
        Message.objects.filter(conversation=channel).values_list("body", "seq")))()
    # Nothing shown as sent that is not stored, and nothing stored untold.
    assert stored == {bodies[ref]: seq for ref, seq in acked.items()}
    assert 0 < len(acked) < len(bodies)  # it stopped in the middle, not before or after
    log = worker.log()
    assert "still running" not in log and "Traceback" not in log


async def test_a_stopping_worker_accepts_no_new_connection(lone_worker):
    worker, _channel, sessions = lone_worker
    ws = await open_socket(worker, sessions[0])
    worker.process.send_signal(signal.SIGTERM)
    assert await close_code_after(ws) == 1001
    await asyncio.to_thread(worker.process.wait, 30)
    with pytest.raises(OSError):
        await open_socket(worker, sessions[1])
