"""`make run` pushes scheduled announcements and their expiry live.

`make run` serves on embedded defaults: SQLite and the in-memory channel
layer, which a separate scheduler process cannot reach. Here a Daphne is
started as `make run` starts it (same flags, no DATABASE_URL nor REDIS_URL,
`manage.py publish_scheduled` beside it) and a signed-in socket must receive
the announcement's publication, then its expiry, without anyone else acting.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import websockets

from tests import multiproc

pytestmark = pytest.mark.multiprocess

SETUP = """
import json
from datetime import timedelta
from django.test import Client
from django.utils import timezone
from announcements import services
from collab.models import Directorate, User

central = Directorate.objects.create(code="dcom", name_ar="م", name_fr="D", kind="central")
officer = User.objects.create_user(
    "officer", password="Secret-pass-123", directorate=central, role="communication_officer"
)
reader = User.objects.create_user("reader", password="Secret-pass-123", directorate=central)
announcement = services.save_announcement(
    officer,
    services.AnnouncementInput(
        title_ar="اجتماع", title_fr="Réunion", body_ar="<p>نص</p>", body_fr="<p>Texte</p>",
        to_all_staff=True, publish_at=timezone.now() + timedelta(hours=1),
        expires_at=timezone.now() + timedelta(hours=2),
    ),
    services.SCHEDULE,
)
client = Client()
client.force_login(reader)
print(json.dumps({"id": announcement.pk, "session": client.cookies["sessionid"].value}))
"""


def make_run_env(var_dir) -> dict:
    """The environment of `make run`: none of the variables that pick real backends."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "S3_", "COLLAB_", "PYTEST", "CHANNEL_LAYER"))
        and key not in {"DATABASE_URL", "REDIS_URL", "FILE_STORE_DIR", "SCHEDULER_IN_PROCESS"}
    }
    env.update(COLLAB_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1", LOG_LEVEL="INFO")
    return env


def manage(env, *args, timeout=300) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=multiproc.ROOT, env=env,
        capture_output=True, text=True, timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def set_time(database, column: str, announcement_id: int) -> None:
    # What the clock does in an hour, done now: the row becomes due.
    past = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(database, timeout=20) as db:
        db.execute(
            f"UPDATE announcements_announcement SET {column} = ? WHERE id = ?",
            (past, announcement_id),
        )


async def next_event(socket, name: str, timeout: float = 30) -> dict:
    async def wait():
        while True:
            frame = json.loads(await socket.recv())
            if frame.get("type") == "event" and frame["event"] == name:
                return frame["data"]

    return await asyncio.wait_for(wait(), timeout)


async def test_make_run_pushes_scheduled_publication_and_expiry(tmp_path):
    var_dir = tmp_path / "var"
    env = make_run_env(var_dir)
    await asyncio.to_thread(manage, env, "migrate", "--no-input", "-v", "0")
    made = json.loads((await asyncio.to_thread(manage, env, "shell", "-c", SETUP)).splitlines()[-1])

    # As `make run`: the scheduler command beside Daphne. It claimed the rows
    # and published into its own memory, which no socket listens to.
    command = subprocess.Popen(
        [sys.executable, "manage.py", "publish_scheduled", "--interval", "0.2"],
        cwd=multiproc.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    worker = await asyncio.to_thread(multiproc.start_daphne, env, tmp_path, "make-run")
    try:
        socket = await websockets.connect(
            worker.ws_url, origin=worker.origin, open_timeout=10,
            additional_headers={"Cookie": f"sessionid={made['session']}"},
        )
        try:
            hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert hello["type"] == "hello"

            set_time(var_dir / "collab.sqlite3", "publish_at", made["id"])
            published = await next_event(socket, "announcement.published")
            assert published["id"] == made["id"]
            assert "اجتماع" in published["render"]["ar"]["item"]

            set_time(var_dir / "collab.sqlite3", "expires_at", made["id"])
            withdrawn = await next_event(socket, "announcement.withdrawn")
            assert withdrawn["id"] == made["id"]
        finally:
            await socket.close()
    finally:
        worker.close()
        multiproc.stop_process(command)
    assert "published scheduled announcement" in worker.log_path.read_text()
