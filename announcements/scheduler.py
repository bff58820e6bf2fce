"""The announcements scheduler: publish what is due, take off what expired, and
drop the images uploaded from the editor that no saved text took.

Two ways to run it, one pass function:

- its own process, ``manage.py publish_scheduled`` (docker/: the ``scheduler``
  service), when the channel layer is Redis and so reaches every worker;
- inside the Daphne process (``SCHEDULER_IN_PROCESS``, on by default with the
  in-memory channel layer of ``make run``): a separate process has a memory
  of its own, so the events it published there never reached a socket.

Several copies are safe either way: ``services.publish_due`` and
``services.expire_due`` claim each row, so each announcement goes out once.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from . import services

logger = logging.getLogger("announcements.scheduler")

INTERVAL = 5.0  # seconds between passes


def run_pass() -> tuple[list[int], list[int]]:
    """One pass: (published ids, expired ids). A database hiccup is logged, not raised."""
    published, expired = [], []
    try:
        published = services.publish_due()
        expired = services.expire_due()
        services.discard_unused_images()
    except Exception:  # the loop must outlive a database hiccup
        logger.exception("scheduled publication pass failed")
    finally:
        close_old_connections()
    for pk in published:
        logger.info("published scheduled announcement %s", pk)
    for pk in expired:
        logger.info("announcement %s expired", pk)
    return published, expired


async def run_forever(interval: float = INTERVAL) -> None:
    # The pass runs in a worker thread (it queries the database); its events
    # are sent from there back into this event loop, where the in-memory
    # layer's queues live.
    one_pass = sync_to_async(run_pass, thread_sensitive=False)
    while True:
        await one_pass()
        await asyncio.sleep(interval)


_task: asyncio.Task | None = None


def _start_once() -> None:
    global _task
    if _task is None or _task.done():
        _task = asyncio.get_running_loop().create_task(run_forever())


def with_in_process_scheduler(app):
    """``app``, starting the scheduler in this process's event loop on its first
    call when ``settings.SCHEDULER_IN_PROCESS`` is on.

    Daphne has no start-up hook (no ASGI lifespan), so the first connection
    (the first page, or a readiness probe) starts it; one task per process,
    restarted if it ever ended. The setting is read on each call so that a
    test process serving the application in-process can keep it off.
    """

    async def application(scope, receive, send):
        if settings.SCHEDULER_IN_PROCESS:
            _start_once()
        return await app(scope, receive, send)

    return application
