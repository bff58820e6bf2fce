"""Daphne, as every worker runs it: ``python -m collab.server`` takes Daphne's
own command line (``python -m collab.server -b 0.0.0.0 -p 8000
--websocket-max-message-size 65536 --websocket-max-frame-size 65536
asgi:application``) and changes two behaviours, through public APIs
(``daphne.cli.CommandLineInterface.server_class``, autobahn's
``setProtocolOptions``, asyncio's ``add_signal_handler``) but one adapter,
``ClosingProtocol``, and runs Twisted's reactor on uvloop:

- **Protocol errors close the socket with their code.** autobahn's server
  factory defaults to ``failByDrop``: a frame over the size limit (1009) or a
  text frame that is not UTF-8 (1007) dropped the TCP connection, so the
  client saw a reset (1006) and no reason. Here the closing handshake is
  performed and the client gets the code.
- **The application may close with 1001, 1008, 1009 and 1011**, which
  autobahn refuses from applications (it allows 1000 and 3000-4999).
- **Event frames cost less CPU per socket**: uvloop; a frame encoded and
  framed once for all the sockets it goes to (``ClosingProtocol.serverSend``);
  sent to the socket at once when nothing waits before it in Twisted's buffer
  (``ClosingProtocol.sendData``, ``write_now``).
- **SIGTERM (or SIGINT) stops the worker gracefully.** Stock Daphne stops the
  reactor at once: every application task is cancelled mid-action and the
  sockets are cut without a close frame. Here the worker stops accepting
  connections, lets each socket finish its running action and send its reply,
  closes every socket with 1001 (``collab.shutdown``), waits for HTTP requests
  in flight, all within ``SHUTDOWN_DRAIN_SECONDS`` (10 s by default; keep the
  orchestrator's grace period longer), then exits. A second signal stops at once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys

if __name__ == "__main__":
    # uvloop's event loop under Twisted's asyncio reactor (daphne.server makes
    # the loop when imported, so first): the loop's own work per socket event
    # (a read, a write Twisted had to buffer) in C; a buffered write costs
    # about 40% less CPU (bench/socket_writes.py).
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

import autobahn.websocket.protocol as autobahn_protocol
from autobahn.websocket.protocol import PreparedMessage
from daphne.cli import CommandLineInterface
from daphne.server import Server  # installs the asyncio reactor first
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet import reactor

from collab import shutdown

logger = logging.getLogger("collab.server")


def drain_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "SHUTDOWN_DRAIN_SECONDS", 10))


# Codes RFC 6455 lets a server close with, which autobahn's sendClose() (what
# Daphne calls for an application's websocket.close) refuses: it allows only
# 1000 and 3000-4999 from applications.
PROTOCOL_CLOSE_CODES = frozenset({1001, 1008, 1009, 1011})


class ClosingProtocol(WebSocketProtocol):
    """Daphne's WebSocket protocol, letting the application close with the
    standard codes above (going away, policy violation, too big, server error).
    The one adapter of private APIs here: daphne and autobahn are pinned."""

    def serverClose(self, code=None):
        if code in PROTOCOL_CLOSE_CODES:
            self.sendCloseFrame(code=code, isReply=False)
        else:
            super().serverClose(code=code)

    def serverSend(self, content, binary=False):
        # An event frame goes to every member's socket in turn (the layer's
        # outbox): encoded and framed once, with autobahn's public
        # prepareMessage/sendPreparedMessage, not once per socket.
        if binary or self.state != self.STATE_OPEN:
            return super().serverSend(content, binary)
        prepared = prepared_text(self.factory, content)
        if 0 < self.maxMessagePayloadSize < len(prepared.payload):
            return super().serverSend(content, binary)  # refused as autobahn refuses it
        self.sendPreparedMessage(prepared)
        return None

    def sendData(self, data, sync=False, chopsize=None):
        # autobahn's own, less its debug line, and written at once
        # (write_now). Same bytes, same counters
        # (tests/collab/test_server_send_contract.py).
        if chopsize or sync or self.send_queue or self.logOctets or self.state != self.STATE_OPEN:
            return super().sendData(data, sync, chopsize)
        self.trafficStats.outgoingOctetsWireLevel += len(data)
        write_now(self.transport, data)
        return None


_last_prepared: tuple[str, PreparedMessage] | None = None


def prepared_text(factory, text: str) -> PreparedMessage:
    """``text`` as a prepared text frame; the same string as the last call's
    (the same event, socket after socket) is not framed again."""
    global _last_prepared
    last = _last_prepared
    if last is not None and last[0] is text:
        return last[1]
    prepared = factory.prepareMessage(text.encode())
    _last_prepared = (text, prepared)
    return prepared


def write_now(transport, data: bytes) -> None:
    """``transport.write(data)``, sent to the socket at once when nothing waits
    before it in Twisted's buffer.

    Twisted's write only buffers: it registers the socket with the event loop,
    and the loop's next turn writes it and unregisters it, a dozen Python calls
    per frame (a third of a worker's CPU per delivered event). Whatever the
    socket does not take now, and every case this does not handle (TLS, a
    closing connection, bytes already waiting), goes to Twisted as before, so
    the byte order is kept. The pinned Twisted's buffer attributes are read
    here and nowhere else.
    """
    if (
        getattr(transport, "TLS", True)
        or not transport.connected
        or transport.disconnecting
        or transport._writeDisconnected
        or transport._tempDataLen
        or transport.offset != len(transport.dataBuffer)
    ):
        transport.write(data)
        return
    try:
        sent = transport.socket.send(data)
    except OSError:  # full (EAGAIN) or failed: Twisted's write finds out and handles it
        sent = 0
    if sent < len(data):
        transport.write(data[sent:])


# Reconnect storms (bench/reconnect_storm.py): every client of a restarted
# worker connects at once, and a worker serves a few hundred handshakes a
# second. Connections wait in the kernel's accept queue: Twisted's default
# backlog (50) dropped most of them, to be retried after 1, 3, 7... seconds
# (the kernel caps it at net.core.somaxconn). And an accepted handshake may
# wait its turn: Daphne's 5 s (autobahn's opening handshake) and 20 s
# (application) limits cut most of a storm's handshakes after they had cost
# their full work, the clients retried, and the storm fed itself (68 of
# 10,000 clients resynced). Up to 60 s here; a client that goes away is
# still dropped at once.
LISTEN_BACKLOG = 4096
HANDSHAKE_TIMEOUT = 60


def with_backlog(endpoint: str) -> str:
    if endpoint.startswith(("tcp:", "tcp6:", "unix:")) and ":backlog=" not in endpoint:
        return f"{endpoint}:backlog={LISTEN_BACKLOG}"
    return endpoint


class _Formatted:
    """A value formatted for a log line only if the line is written."""

    __slots__ = ("format", "args")

    def __init__(self, format, args):
        self.format, self.args = format, args

    def __str__(self):
        return self.format(*self.args)

    __repr__ = __str__

    def __format__(self, spec):
        return format(str(self), spec)


# autobahn's protocol module builds its debug lines' arguments whether or not
# debug is on: pformat of the whole configuration for every connection (about
# 10 % of a collab handshake's CPU), click-styled names for every frame sent.
# In that module these three names serve only log arguments (the pformat of
# Timings.__str__ too, and timings are never tracked here), so each is made to
# format when the line is written (tests/collab/test_server_adapter.py checks
# the pinned autobahn still reads them by these names).
LAZY_AUTOBAHN_NAMES = ("pformat", "hltype", "hlval")


def format_autobahn_logs_lazily() -> None:
    for name in LAZY_AUTOBAHN_NAMES:
        eager = getattr(autobahn_protocol, name)
        if not getattr(eager, "lazy", False):
            def lazy(*args, _eager=eager):
                return _Formatted(_eager, args)

            lazy.lazy = True
            setattr(autobahn_protocol, name, lazy)


class GracefulServer(Server):
    def __init__(self, *args, **kwargs):
        kwargs["signal_handlers"] = False  # ours, installed when the reactor runs
        kwargs["endpoints"] = [with_backlog(e) for e in kwargs.get("endpoints") or []]
        kwargs.setdefault("websocket_handshake_timeout", HANDSHAKE_TIMEOUT)
        super().__init__(*args, **kwargs)
        self.ports = []
        self.stopping = False

    def run(self):
        format_autobahn_logs_lazily()
        # Everything loaded so far (Django, the apps, the URLconf) lives as
        # long as the process: frozen, the collections that allocation-heavy
        # handshakes trigger no longer walk it (about 10 % of a handshake's CPU).
        gc.freeze()
        reactor.callWhenRunning(self._configure)
        super().run()

    def _configure(self):
        # Protocols copy the factory's options when they are built: this holds
        # for every connection, all of which come after the reactor started.
        self.ws_factory.setProtocolOptions(failByDrop=False)
        assert isinstance(self.ws_factory, WebSocketFactory)
        self.ws_factory.protocol = ClosingProtocol
        # The reactor's loop (Server.run made it current); not running yet
        # while the reactor's start-up callbacks run.
        loop = asyncio.get_event_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.graceful_stop)

    def listen_success(self, port):
        self.ports.append(port)
        super().listen_success(port)

    def graceful_stop(self):
        if self.stopping:
            logger.warning("second stop signal: stopping now")
            self.stop()
            return
        self.stopping = True
        for port in self.ports:
            port.stopListening()
        task = asyncio.get_running_loop().create_task(self._drain())
        task.add_done_callback(lambda _task: self.stop())

    async def _drain(self):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_seconds()
        try:
            await shutdown.drain(deadline)
            while self._http_in_flight() and loop.time() < deadline:
                await asyncio.sleep(0.05)
        except Exception:  # stopping must not hang on a bug here
            logger.exception("graceful stop failed; stopping now")

    def _http_in_flight(self) -> bool:
        return any(
            not isinstance(protocol, WebSocketProtocol)
            and "disconnected" not in details
            and details.get("application_instance") is not None
            and not details["application_instance"].done()
            for protocol, details in list(self.connections.items())
        )


class CLI(CommandLineInterface):
    server_class = GracefulServer

    def __init__(self):
        super().__init__()
        # Still overridden by --websocket_connect_timeout.
        self.parser.set_defaults(websocket_connect_timeout=HANDSHAKE_TIMEOUT)


def main(argv: list[str] | None = None) -> None:
    # As the `daphne` script: the application path is resolved from the cwd.
    sys.path.insert(0, os.getcwd())
    CLI().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
