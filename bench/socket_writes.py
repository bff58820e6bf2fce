"""CPU per event frame a worker sends to a socket: Daphne's and autobahn's
path against collab.server.ClosingProtocol's (framing, in memory), then
Twisted's write against collab.server.write_now (real sockets), on the stock
asyncio loop and on uvloop.

    .venv/bin/python bench/socket_writes.py [--sockets 500] [--rounds 60]

Each loop runs in a process of its own (Twisted's reactor is installed once
per process) holding --sockets TCP connections to a reader process; a round
writes one 2.4 KB frame to every socket and waits until all are flushed.
Rounds alternate between Twisted's ``transport.write`` and ``write_now`` in
the same process, so both see the same machine. Prints the CPU (user and
system, from getrusage) per write of each and their ratio; the figure that
matters is per delivered chat event and socket (docs/benchmarks.md, "Chat
fan-out").
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

READER = """
import asyncio, sys
async def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(count)]
    async def drain(reader):
        while await reader.read(1 << 16):
            pass
    await asyncio.gather(*(drain(reader) for reader, _ in streams))
asyncio.run(main())
"""

FRAME = b"\x81\x7e\x09\x60" + b"x" * 2400  # a text frame header and 2,400 bytes


def cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def child(loop_name: str, sockets: int, rounds: int) -> None:
    if loop_name == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    from twisted.internet import asyncioreactor

    asyncioreactor.install(loop)
    from twisted.internet import protocol, reactor

    sys.path.insert(0, str(ROOT))
    from collab.server import write_now

    connections = []

    class Sink(protocol.Protocol):
        def connectionMade(self):
            connections.append(self.transport)

    factory = protocol.Factory()
    factory.protocol = Sink
    port = reactor.listenTCP(0, factory, interface="127.0.0.1", backlog=1024)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(port.getHost().port),
                               str(sockets)])

    def pending():
        return any(t.dataBuffer[t.offset:] or t._tempDataLen for t in connections)

    async def measure():
        while len(connections) < sockets:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        ways = {"Twisted write": lambda t: t.write(FRAME),
                "write_now": lambda t: write_now(t, FRAME)}
        spent = {name: [0.0, 0.0, 0] for name in ways}
        for n in range(rounds):
            for name, write in ways.items() if n % 2 else reversed(ways.items()):
                user, system = cpu()
                for transport in connections:
                    write(transport)
                while pending():  # the reactor writes what was buffered
                    await asyncio.sleep(0)
                after = cpu()
                if n >= 4:  # warm-up rounds left out
                    spent[name][0] += after[0] - user
                    spent[name][1] += after[1] - system
                    spent[name][2] += len(connections)
                await asyncio.sleep(0.01)
        with open("/proc/loadavg") as load:
            average = load.read().split()[0]
        results = {}
        for name, (user, system, writes) in spent.items():
            results[name] = (user + system) / writes * 1e6
            print(f"  {loop_name:<7} {name:<13} user {user / writes * 1e6:5.1f} us  system "
                  f"{system / writes * 1e6:5.1f} us  total {results[name]:5.1f} us per write "
                  f"(load {average})", flush=True)
        print(f"  {loop_name:<7} write_now / Twisted write: "
              f"{results['write_now'] / results['Twisted write']:.2f}", flush=True)
        reader.kill()
        reactor.stop()

    reactor.callWhenRunning(lambda: loop.create_task(measure()))
    reactor.run()


def protocol_path(sockets: int, rounds: int) -> None:
    """CPU per event frame from Daphne's serverSend to the transport: Daphne's
    and autobahn's own path against collab.server.ClosingProtocol's, with
    Twisted's in-memory transport (no socket: the framing and calls only)."""
    import time

    sys.path.insert(0, str(ROOT))
    from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
    from twisted.internet.address import IPv4Address
    from twisted.internet.testing import StringTransport

    from collab.server import ClosingProtocol

    def protocols(cls):
        factory = WebSocketFactory(object)
        factory.protocol = cls
        made = []
        for _ in range(sockets):
            protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
            protocol.makeConnection(StringTransport())
            protocol.state, protocol.client_addr = protocol.STATE_OPEN, ["127.0.0.1", 40000]
            made.append(protocol)
        return made

    ways = {"Daphne+autobahn": protocols(WebSocketProtocol),
            "ClosingProtocol": protocols(ClosingProtocol)}
    spent = dict.fromkeys(ways, 0.0)
    for n in range(rounds):
        text = "é" * 400 + "x" * 2000 + str(n)  # a new event each round
        for name, group in ways.items() if n % 2 else reversed(ways.items()):
            started = time.process_time()
            for protocol in group:
                protocol.serverSend(text)
            spent[name] += time.process_time() - started
            for protocol in group:
                protocol.transport.clear()
    per = {name: total / (rounds * sockets) * 1e6 for name, total in spent.items()}
    for name, value in per.items():
        print(f"  {name:<16} {value:5.1f} us per frame (serverSend to transport.write)")
    print(f"  ClosingProtocol / Daphne+autobahn: "
          f"{per['ClosingProtocol'] / per['Daphne+autobahn']:.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=500,
                        help="sockets per worker (a 1,000-member conversation over two workers)")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--child", choices=["asyncio", "uvloop"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.sockets, args.rounds)
        return
    print(f"CPU per 2.4 KB event frame, {args.sockets} sockets, {args.rounds} rounds:")
    protocol_path(args.sockets, args.rounds)
    for loop_name in ("asyncio", "uvloop"):
        subprocess.run([sys.executable, __file__, "--child", loop_name, "--sockets",
                        str(args.sockets), "--rounds", str(args.rounds)], check=True)


if __name__ == "__main__":
    main()
