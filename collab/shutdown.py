"""A worker going down closes its sockets properly.

``collab.server`` (the Daphne launcher) calls :func:`drain` on SIGTERM, after
it stopped accepting connections. Every open socket (``collab.consumers``
registers itself) finishes the action it is running, sends its reply, and is
closed with 1001 (going away); actions that arrive meanwhile are not run: the
client resends them after it reconnects to another worker. So a client is
told "sent" only about what was stored, and nothing stored goes untold
unless an action outlives the deadline (then it is logged as an error).

Plain asyncio, no Django import: the launcher uses it before any request.
"""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001

draining = False  # set once: the process is going down
sockets: set = set()  # the open sockets of this process (consumers)


def register(consumer) -> None:
    sockets.add(consumer)


def unregister(consumer) -> None:
    sockets.discard(consumer)


async def drain(deadline: float) -> None:
    """Close every socket with 1001 once its running action is answered; give up
    waiting for actions at ``deadline`` (loop time), for close handshakes one
    second later."""
    global draining
    draining = True
    loop = asyncio.get_running_loop()

    async def close(consumer) -> None:
        try:
            await asyncio.wait_for(consumer.idle.wait(), max(0.0, deadline - loop.time()))
        except TimeoutError:
            logger.error("an action was still running when the worker stopped; its socket "
                         "closes without the reply (the client resends it)")
        await consumer.close(code=CLOSE_GOING_AWAY)

    open_now = list(sockets)
    logger.warning("worker stopping: closing %d sockets with 1001", len(open_now))
    await asyncio.gather(*(close(c) for c in open_now), return_exceptions=True)
    # Each socket leaves the set when its client answers the close (disconnect).
    while sockets and loop.time() < deadline + 1:
        await asyncio.sleep(0.05)
