"""Contract test of collab.server's lean write path (ClosingProtocol.sendData,
write_now) against the pinned autobahn and Twisted: the frames on the wire and
the traffic counts are those of autobahn's own sendData, whatever the socket's
state or options, and bytes reach the socket in the order they were written.
A failure here after an upgrade means the override must be checked again."""

from __future__ import annotations

import inspect
import socket
import struct

import pytest
from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Protocol
from twisted.internet.testing import StringTransport

from collab.server import ClosingProtocol, write_now


def open_protocol(cls, **attributes):
    factory = WebSocketFactory(object)
    factory.protocol = cls
    protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    protocol.makeConnection(StringTransport())
    protocol.state = protocol.STATE_OPEN  # as after the opening handshake
    protocol.client_addr = ["127.0.0.1", 40000]  # what Daphne's onConnect sets
    for name, value in attributes.items():  # what the factory's options set
        setattr(protocol, name, value)
    return protocol


def test_the_override_keeps_autobahns_signature():
    def shape(function):
        return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]

    assert shape(ClosingProtocol.sendData) == shape(AutobahnProtocol.sendData)


@pytest.mark.parametrize("size", [0, 100, 2400, 70000])
def test_a_message_goes_out_as_autobahn_frames_it(size):
    payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    ours, stock = open_protocol(ClosingProtocol), open_protocol(WebSocketProtocol)
    for protocol in (ours, stock):
        protocol.sendMessage(payload)
        protocol.sendMessage(b"second")
    assert ours.transport.value() == stock.transport.value()
    assert (ours.trafficStats.outgoingOctetsWireLevel
            == stock.trafficStats.outgoingOctetsWireLevel
            == len(stock.transport.value()))
    # One unmasked text frame each, in order.
    wire = ours.transport.value()
    header = {0: b"\x81\x00", 100: b"\x81\x64", 2400: b"\x81\x7e" + struct.pack("!H", 2400),
              70000: b"\x81\x7f" + struct.pack("!Q", 70000)}[size]
    assert wire == header + payload + b"\x81\x06second"


@pytest.mark.parametrize("attributes", [{"autoFragmentSize": 1000}, {"logOctets": True}])
def test_other_paths_are_autobahns_own(attributes):
    ours, stock = open_protocol(ClosingProtocol, **attributes), open_protocol(
        WebSocketProtocol, **attributes)
    for protocol in (ours, stock):
        protocol.sendMessage(b"y" * 2500)
    assert ours.transport.value() == stock.transport.value()
    assert (ours.trafficStats.outgoingOctetsWireLevel
            == stock.trafficStats.outgoingOctetsWireLevel)


def test_bytes_before_the_socket_opens_count_as_autobahn_counts_them():
    ours, stock = open_protocol(ClosingProtocol), open_protocol(WebSocketProtocol)
    for protocol in (ours, stock):
        protocol.state = protocol.STATE_CONNECTING
        protocol.sendData(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
    assert ours.transport.value() == stock.transport.value()
    assert (ours.trafficStats.preopenOutgoingOctetsWireLevel
            == stock.trafficStats.preopenOutgoingOctetsWireLevel > 0)


# ---- write_now against Twisted's TCP transport (a real socket pair) ---------


@pytest.fixture
def transport():
    from twisted.internet import reactor, tcp

    ours, peer = socket.socketpair()
    ours.setblocking(False)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    protocol = Protocol()
    server = tcp.Server(ours, protocol, ("127.0.0.1", 40000), None, 1, reactor)
    protocol.makeConnection(server)
    yield server, peer
    server.stopReading()
    server.stopWriting()
    ours.close()
    peer.close()


def received(peer) -> bytes:
    peer.setblocking(False)
    chunks = []
    while True:
        try:
            chunk = peer.recv(1 << 20)
        except BlockingIOError:
            return b"".join(chunks)
        chunks.append(chunk)


def flush(server, peer) -> bytes:
    """What Twisted's event loop would do: write the buffer as the peer reads."""
    out = b""
    for _ in range(10000):
        out += received(peer)
        if not server.dataBuffer[server.offset:] and not server._tempDataLen:
            return out + received(peer)
        server.doWrite()
    raise AssertionError("Twisted's buffer never emptied")


def test_a_frame_goes_to_the_socket_at_once_when_nothing_waits(transport):
    server, peer = transport
    write_now(server, b"frame one")
    assert received(peer) == b"frame one"
    assert not server._tempDataLen and server.dataBuffer == b""


def test_bytes_already_buffered_go_first(transport):
    server, peer = transport
    server.write(b"first ")  # Twisted's own write: buffered
    write_now(server, b"second")
    assert received(peer) == b""  # nothing overtook the buffer
    assert flush(server, peer) == b"first second"


def test_what_a_full_socket_does_not_take_is_buffered_in_order(transport):
    server, peer = transport
    big = bytes(range(256)) * 4096  # 1 MiB, far over the socket's buffer
    write_now(server, big)
    assert server._tempDataLen  # the rest waits in Twisted's buffer
    write_now(server, b"after")
    assert flush(server, peer) == big + b"after"


def test_a_closed_transport_sends_nothing(transport):
    server, peer = transport
    server.connected = 0
    write_now(server, b"late")
    assert received(peer) == b""


# ---- serverSend: one prepared frame for every socket an event goes to ------


def test_an_event_text_goes_out_as_daphne_sends_it_on_every_socket():
    texts = ["", "hello", "é" * 1200 + "مرحبا" * 200, "x" * 70000]
    ours = [open_protocol(ClosingProtocol) for _ in range(3)]
    stock = open_protocol(WebSocketProtocol)
    for text in texts:
        for protocol in ours:  # the same string, socket after socket
            protocol.serverSend(text)
        stock.serverSend(text)
    for protocol in ours:
        assert protocol.transport.value() == stock.transport.value()
        assert (protocol.trafficStats.outgoingOctetsWireLevel
                == stock.trafficStats.outgoingOctetsWireLevel)


def test_equal_texts_that_are_different_strings_are_each_sent():
    ours, stock = open_protocol(ClosingProtocol), open_protocol(WebSocketProtocol)
    for text in ("".join(["same ", "text"]), "".join(["same ", "text"]), "other"):
        ours.serverSend(text)
        stock.serverSend(text)
    assert ours.transport.value() == stock.transport.value()


def test_a_text_over_the_message_limit_is_refused_as_autobahn_refuses_it():
    from autobahn.exception import PayloadExceededError

    limit = {"maxMessagePayloadSize": 65536}
    ours, stock = open_protocol(ClosingProtocol, **limit), open_protocol(
        WebSocketProtocol, **limit)
    for protocol in (ours, stock):
        with pytest.raises(PayloadExceededError):
            protocol.serverSend("y" * 65537)
        protocol.serverSend("fits")
    assert ours.transport.value() == stock.transport.value() == b"\x81\x04fits"
