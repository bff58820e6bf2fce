"""The worker's one adapter of autobahn internals (collab/server.py): its
debug-line arguments formatted only when a line is written. These tests fail
on an autobahn upgrade that changes what the adapter relies on."""

import inspect
import pprint
import re
from importlib.metadata import version

import autobahn.websocket.protocol as autobahn_protocol
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet.testing import StringTransport

from collab import server


def test_the_pinned_versions_are_installed():
    # pyproject.toml pins both exactly; a new release needs these tests rerun.
    assert version("autobahn") == "26.11.1"
    assert version("daphne") == "4.2.3"


def test_autobahn_reads_those_names_only_as_log_arguments():
    source = inspect.getsource(autobahn_protocol)
    names = "|".join(server.LAZY_AUTOBAHN_NAMES)
    calls = [m for m in re.finditer(rf"(\S*)\b({names})\(", source)]
    assert calls, "autobahn no longer calls them: the adapter does nothing"
    other = [m.group(0) for m in calls if not m.group(1).endswith("=")]
    # Timings.__str__, never called: timings are not tracked (trackTimings off).
    assert other == ["pformat("]
    assert "return pformat(self._timings)" in source
    for name in server.LAZY_AUTOBAHN_NAMES:
        assert f"\n    {name},\n" in source or f"import {name}" in source or \
            f"from pprint import {name}" in source


def test_a_connection_formats_nothing_unless_debug_lines_are_written(monkeypatch):
    server.format_autobahn_logs_lazily()
    server.format_autobahn_logs_lazily()  # idempotent: never wrapped twice
    assert autobahn_protocol.pformat([1]).format is pprint.pformat
    formatted = []
    monkeypatch.setattr(pprint.PrettyPrinter, "pformat",
                        lambda self, obj: formatted.append(obj) or "")
    factory = WebSocketServerFactory("ws://127.0.0.1:9")
    factory.protocol = WebSocketServerProtocol
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(StringTransport())
    protocol.dataReceived(
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"
    )
    assert protocol.transport.value().startswith(b"HTTP/1.1 101")
    assert formatted == []


def test_a_written_line_reads_as_before():
    server.format_autobahn_logs_lazily()
    lazy = autobahn_protocol.pformat({"a": [1, 2]})
    assert str(lazy) == f"{lazy}" == pprint.pformat({"a": [1, 2]})
    assert str(autobahn_protocol.hlval(5)).endswith("\x1b[0m") or str(
        autobahn_protocol.hlval(5)) == "5"


def test_a_storm_waits_in_the_accept_queue_and_is_not_cut_at_five_seconds():
    worker = server.GracefulServer(
        application=None,
        endpoints=["tcp:port=8000:interface=127.0.0.1", "fd:fileno=3",
                   "tcp:port=8001:interface=127.0.0.1:backlog=64"],
    )
    assert worker.endpoints == [
        f"tcp:port=8000:interface=127.0.0.1:backlog={server.LISTEN_BACKLOG}",
        "fd:fileno=3",  # the socket's creator chose its backlog
        "tcp:port=8001:interface=127.0.0.1:backlog=64",
    ]
    assert worker.websocket_handshake_timeout == server.HANDSHAKE_TIMEOUT >= 30
    defaults = server.CLI().parser.parse_args(["asgi:application"])
    assert defaults.websocket_connect_timeout == server.HANDSHAKE_TIMEOUT
    given = server.CLI().parser.parse_args(["--websocket_connect_timeout", "7", "asgi:application"])
    assert given.websocket_connect_timeout == 7
