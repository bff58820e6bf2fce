"""Contract test of collab.server's lean write path (ClosingProtocol.sendData)
against the pinned autobahn: the frames on the wire and the traffic counts are
those of autobahn's own sendData, whatever the socket's state or options.
A failure here after an upgrade means the override must be checked again."""

from __future__ import annotations

import inspect
import struct

import pytest
from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from collab.server import ClosingProtocol


def open_protocol(cls, **attributes):
    factory = WebSocketFactory(object)
    factory.protocol = cls
    protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    protocol.makeConnection(StringTransport())
    protocol.state = protocol.STATE_OPEN  # as after the opening handshake
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
