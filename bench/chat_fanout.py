"""Chat fan-out benchmark: two Daphne processes sharing Redis, N websocket clients.

    .venv/bin/python bench/chat_fanout.py [--clients 1000] [--duration 10]

Starts its own redis-server and SQLite file (never the shared Redis), creates
N users in groups of 10, 100 and 1,000 members, connects every user's socket
(half on each Daphne), and has a sender post at a steady rate into each group
in turn. Prints, per group size: messages/s delivered, end-to-end latency
p50/p95/p99 (sender's clock to receiver's clock, same machine), sequence gaps
and database queries per message. Then the *rate ladder*: rising rates into
the largest group, a few seconds each, up to the first rate whose p99 reaches
250 ms or loses a message. Then the baseline: the same clients, phases and
ladder through raw Redis pub/sub (two small `websockets` servers that relay a
Redis channel with websockets.broadcast). The ratio compares like with like:
the highest rate each sustained on the same ladder in the same run.

Then, on a third Daphne of its own: the memory of idle sockets (its RSS
before and after opening --idle-sockets of them, divided by their number),
and the time one client takes to resync --resync missed messages (every page
of chat.resync over its socket).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.multiproc import DAPHNE_ARGS, PYTHON, RedisServer, free_port, wait_for  # noqa: E402

# Each worker as production runs it (docker/compose.yml): collab.server, with
# the production frame limits.
WORKER = [PYTHON, "-m", "collab.server", *DAPHNE_ARGS]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SETUP = """
import json
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test.utils import CaptureQueriesContext
from collab.models import User
from chat import services
N, SIZES = {n}, {sizes}
users = User.objects.bulk_create(
    [User(username=f"bench{run}-{{i}}", password=make_password(None)) for i in range(N + 1)]
)
sessions = []
for u in users:
    s = SessionStore()
    s["_auth_user_id"] = str(u.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = u.get_session_auth_hash()
    s.create()
    sessions.append(s.session_key)
sender = users[N]
groups, queries = {{}}, {{}}
for size in SIZES:
    group = services.create_group(sender, f"g{{size}}", [u.pk for u in users[:size]])
    groups[size] = group.pk
    services.send_message(sender, group.pk, "warm up")
    with CaptureQueriesContext(connection) as q:
        services.send_message(sender, group.pk, "measure")
    sql = [x["sql"].upper() for x in q.captured_queries]
    queries[size] = {{"total": len(sql), "insert": sum(x.count("INSERT INTO") for x in sql)}}
from django.db.models import F
from chat.models import Conversation, Message
RESYNC = {resync}
backlog = None
if RESYNC:
    # A conversation of its own, with RESYNC messages its first member never read.
    conversation = services.create_group(sender, "backlog", [users[0].pk])
    Message.objects.bulk_create(
        [Message(conversation=conversation, seq=n, author=sender, body=f"message {{n}}")
         for n in range(1, RESYNC + 1)], batch_size=2000)
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=RESYNC)
    backlog = conversation.pk
    # As autovacuum does within a minute of a bulk insert: without statistics
    # PostgreSQL sorts the whole backlog for each page (plans of 5 rows).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chat_message")
print("SETUP" + json.dumps({{"sessions": sessions, "groups": groups, "queries": queries,
                             "backlog": backlog}}))
"""

RAW_SERVER = """
import asyncio, json, sys
import redis.asyncio as redis
from websockets.asyncio.server import broadcast, serve

PORT, URL = int(sys.argv[1]), sys.argv[2]
members = {}

async def handler(ws):
    joined = json.loads(await ws.recv())["join"]
    for c in joined:
        members.setdefault(c, set()).add(ws)
    try:
        await ws.wait_closed()
    finally:
        for c in joined:
            members[c].discard(ws)

async def relay():
    client = redis.Redis.from_url(URL)
    pubsub = client.pubsub()
    await pubsub.psubscribe("raw.*")
    async for message in pubsub.listen():
        if message["type"] == "pmessage":
            conv = int(message["channel"].split(b".")[1])
            broadcast(members.get(conv, ()), message["data"].decode())

async def main():
    async with serve(handler, "127.0.0.1", PORT, max_queue=None):
        await relay()

asyncio.run(main())
"""

FRAME = re.compile(r'"conversation":(\d+),"seq":(\d+).*"preview":"b ([0-9.]+)', re.S)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Receivers:
    def __init__(self):
        self.latencies: dict[int, list[float]] = {}
        self.seen: dict[int, dict[int, set]] = {}  # conv -> client -> seqs
        self.last_at: dict[int, float] = {}

    def reset(self, conv: int):
        """Forget what came into ``conv`` (a new step of the ladder)."""
        self.latencies.pop(conv, None)
        self.seen.pop(conv, None)
        self.last_at.pop(conv, None)

    def record(self, client: int, raw: str):
        now = time.time()
        match = FRAME.search(raw)
        if not match:
            return
        conv, seq, sent = int(match.group(1)), int(match.group(2)), float(match.group(3))
        self.latencies.setdefault(conv, []).append(now - sent)
        self.seen.setdefault(conv, {}).setdefault(client, set()).add(seq)
        self.last_at[conv] = now


async def connect_retrying(url, **options):
    """A client socket; a handshake the server dropped (a loaded machine: Daphne
    gives up on a handshake after 5 s) is tried again, a few times."""
    import websockets
    from websockets.asyncio.client import connect

    for attempt in range(5):
        try:
            return await connect(url, open_timeout=120, **options)
        except (OSError, websockets.exceptions.InvalidMessage):
            await asyncio.sleep(0.5 * (attempt + 1))
    return await connect(url, open_timeout=120, **options)


async def open_clients(urls, sessions, memberships, receivers, raw=False):

    sockets = []

    async def one(index):
        url, origin = urls[index % len(urls)]
        headers = {"Cookie": f"sessionid={sessions[index]}"}
        ws = await connect_retrying(url, additional_headers=headers, origin=origin,
                                    max_queue=None)
        if raw:
            await ws.send(json.dumps({"join": memberships[index]}))
        else:
            await ws.recv()  # hello
        sockets.append(ws)

        async def read():
            try:
                async for raw_frame in ws:
                    receivers.record(index, raw_frame)
            except Exception:
                pass

        asyncio.create_task(read())

    for start in range(0, len(sessions), 50):  # connect in waves
        await asyncio.gather(*(one(i) for i in range(start, min(start + 50, len(sessions)))))
    return sockets


async def run_phase(send_one, conv, rate, duration, receivers):
    """Send at a steady rate; returns the list of seqs sent."""
    sent = []
    interval = 1.0 / rate
    start = time.perf_counter()
    for n in range(int(rate * duration)):
        delay = start + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(await send_one(conv, n))
    # Let the tail arrive: until nothing came for 2 s (at most 30 s).
    deadline = time.time() + 30
    await asyncio.sleep(1.0)
    while time.time() < deadline and time.time() - receivers.last_at.get(conv, 0) < 2.0:
        await asyncio.sleep(0.5)
    return sent


class Cpu:
    """CPU time the processes ``pids`` used: user (the Python code) and system
    (mostly the kernel's TCP work; on the loopback each send also runs the
    receiver's side)."""

    def __init__(self, user=0.0, system=0.0):
        self.user, self.system = user, system

    @classmethod
    def of(cls, pids) -> Cpu:
        user = system = 0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            user, system = user + int(fields[11]), system + int(fields[12])
        return cls(user / CLOCK_TICKS, system / CLOCK_TICKS)

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.user - other.user, self.system - other.system)

    @property
    def total(self) -> float:
        return self.user + self.system


def cpu_seconds(pids) -> Cpu:
    return Cpu.of(pids)


def report(name, receivers, conv, members, sent, started, cpu=None):
    lat = [x * 1000 for x in receivers.latencies.get(conv, [])]
    elapsed = max(receivers.last_at.get(conv, started) - started, 1e-9)
    expected = set(sent)
    gaps = sum(
        len(expected - receivers.seen.get(conv, {}).get(c, set())) for c in members
    )
    rate = len(lat) / elapsed
    print(f"  {name:<11} delivered {len(lat):>7} ({rate:8.0f}/s)  latency ms p50 "
          f"{percentile(lat, 50):7.1f} p95 {percentile(lat, 95):7.1f} "
          f"p99 {percentile(lat, 99):7.1f}  gaps {gaps}"
          # The servers' CPU per delivered frame: what a busy machine distorts least.
          + (f"  servers' CPU {cpu.total / max(len(lat), 1) * 1e6:5.1f} us/delivery "
             f"(user {cpu.user / max(len(lat), 1) * 1e6:4.1f})" if cpu is not None else ""),
          flush=True)
    return {"rate": rate, "p99": percentile(lat, 99), "gaps": gaps,
            "cpu_us": cpu.total / max(len(lat), 1) * 1e6 if cpu is not None else float("nan")}


P99_TARGET = 250.0  # ms


async def ladder(name, send_one, conv, members, rates, duration, receivers, first_seq, pids):
    """Rising rates into ``conv`` until p99 reaches the target or a message is
    lost; returns the highest rate sustained (0 if none) and the next seq."""
    sustained = 0
    for rate in rates:
        receivers.reset(conv)
        started, cpu = time.time(), cpu_seconds(pids)
        count = int(rate * duration)
        await run_phase(lambda c, n, base=first_seq: send_one(c, base + n), conv, rate, duration,
                        receivers)
        step = report(f"{rate}/s", receivers, conv, members,
                      range(first_seq, first_seq + count), started, cpu_seconds(pids) - cpu)
        first_seq += count
        if step["gaps"] or not step["p99"] < P99_TARGET:
            break
        sustained = rate
    print(f"  {name}: highest rate sustained at p99 < {P99_TARGET:.0f} ms: {sustained} messages/s "
          f"({sustained * len(members):,} deliveries/s)", flush=True)
    return sustained, first_seq


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def idle_sockets(port, sessions, count, pid):
    """RSS per idle socket of one Daphne worker (KiB), opening ``count`` sockets."""
    import websockets
    from websockets.asyncio.client import connect

    url, origin = f"ws://127.0.0.1:{port}/ws/", f"http://127.0.0.1:{port}"
    # One socket first: what every worker pays once (imports, pools) is not per socket.
    warm = await connect(url, origin=origin, additional_headers={
        "Cookie": f"sessionid={sessions[0]}"})
    await warm.recv()
    await asyncio.sleep(2)
    before = rss_kib(pid)
    sockets, started = [], time.perf_counter()

    retries, refusals = 0, {}

    async def one(index):
        nonlocal retries
        cookie = f"sessionid={sessions[index % len(sessions)]}"
        for attempt in range(5):
            try:
                ws = await connect(url, origin=origin, open_timeout=120, max_queue=None,
                                   additional_headers={"Cookie": cookie})
                break
            except websockets.exceptions.InvalidStatus as refused:
                refusals[refused.response.status_code] = (
                    refusals.get(refused.response.status_code, 0) + 1)
                return
            except (OSError, websockets.exceptions.InvalidMessage):
                # The listen queue overflowed (Twisted's backlog is 50): try again.
                retries += 1
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            raise RuntimeError("could not open an idle socket")
        await ws.recv()  # hello: the socket is open and has joined its groups
        sockets.append(ws)

    for start in range(0, count, 50):  # in waves, as the clients of the ladder
        await asyncio.gather(*(one(i) for i in range(start, min(start + 50, count))))
    opened = time.perf_counter() - started
    await asyncio.sleep(3)
    after = rss_kib(pid)
    per_socket = (after - before) / max(len(sockets), 1)
    if refusals:
        print(f"  handshakes refused (HTTP status: count): {refusals}")
    count = len(sockets)
    print(f"idle sockets on one Daphne: {count} opened in {opened:.1f} s ({retries} retried); "
          f"RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB: "
          f"{per_socket:.1f} KiB per socket (target < 50 KB)",
          flush=True)
    for ws in [warm, *sockets]:
        await ws.close()
    return per_socket


async def resync_backlog(port, session, conversation, count):
    """Seconds one client takes to resync ``count`` missed messages, page by page:
    first as the bench stored them (bulk-inserted, never rendered), then again,
    as a client resyncs messages that were sent live (each rendered when sent
    and kept: chat.fragments)."""
    first = await _resync_once(port, session, conversation, "first, every message rendered")
    again = await _resync_once(port, session, conversation, "again, fragments kept")
    return first, again


async def _resync_once(port, session, conversation, label):
    from websockets.asyncio.client import connect

    url, origin = f"ws://127.0.0.1:{port}/ws/", f"http://127.0.0.1:{port}"
    async with connect(url, origin=origin, max_size=None,
                       additional_headers={"Cookie": f"sessionid={session}"}) as ws:
        await ws.recv()  # hello
        cursor, received, pages, started = [0, 0], 0, 0, time.perf_counter()
        while True:
            await ws.send(json.dumps({"action": "chat.resync", "ref": str(pages), "data": {
                "conversations": {str(conversation): cursor}}}))
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("type") == "reply" and frame.get("ref") == str(pages):
                    break
            page = frame["data"]["conversations"][str(conversation)]
            received += len(page["messages"])
            cursor, pages = page["cursor"], pages + 1
            if not page["more"]:
                break
        elapsed = time.perf_counter() - started
    print(f"resync ({label}): {received} missed messages in {pages} pages, {elapsed:.2f} s "
          f"(target < 2 s)", flush=True)
    return elapsed


async def bench(args, stage_dir: Path):
    redis = RedisServer(stage_dir)
    redis.start()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url or f"sqlite:///{stage_dir / 'db.sqlite3'}",
        "COLLAB_VAR_DIR": str(stage_dir / "var"),
        "REDIS_URL": redis.url,
        "CHANNEL_LAYER_PREFIX": "chatbench",
        "CHAT_RATE_LIMIT": "100000/10",
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    procs = []
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT,
                       env=env, check=True)
        sizes = [s for s in args.sizes if s <= args.clients]
        out = subprocess.run([PYTHON, "manage.py", "shell"], cwd=ROOT, env=env, check=True,
                             input=SETUP.format(n=args.clients, sizes=sizes, run=int(time.time()),
                                                resync=args.resync),
                             capture_output=True, text=True).stdout
        data = json.loads(out.split("SETUP", 1)[1].strip().splitlines()[0])
        groups = {int(k): v for k, v in data["groups"].items()}
        sessions = data["sessions"]
        memberships = [[groups[s] for s in sizes if i < s] for i in range(args.clients)]

        ports = [free_port(), free_port()]
        for port in ports:
            procs.append(subprocess.Popen(
                [*WORKER, "-b", "127.0.0.1", "-p", str(port), "asgi:application"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                stderr=open(Path(args.log_dir) / f"daphne-{port}.log", "w")))
        workers = [proc.pid for proc in procs]
        raw_ports = [free_port(), free_port()]
        for port in raw_ports:
            procs.append(subprocess.Popen([PYTHON, "-c", RAW_SERVER, str(port), redis.url],
                                          cwd=stage_dir))
        relays = [proc.pid for proc in procs[len(workers):]]
        import httpx

        for port in ports:
            wait_for(lambda p=port: httpx.get(f"http://127.0.0.1:{p}/healthz").status_code > 0,
                     timeout=60, what="daphne")

        print(f"chat fan-out: {args.clients} clients over 2 Daphne processes, "
              f"{args.duration:.0f} s per phase, machine: {os.cpu_count()} cores")
        print("database queries per message (send_message):")
        for size in sizes:
            q = data["queries"][str(size)]
            print(f"  {size:>5} members: {q['total']} queries, {q['insert']} insert")

        # ---- Channels (the real path) ----
        receivers = Receivers()
        urls = [(f"ws://127.0.0.1:{p}/ws/", f"http://127.0.0.1:{p}") for p in ports]
        sockets = await open_clients(urls, sessions[: args.clients], memberships, receivers)
        from websockets.asyncio.client import connect

        senders = []
        for k in range(args.senders):
            url, origin = urls[k % len(urls)]
            ws = await connect(url, origin=origin,
                               additional_headers={"Cookie": f"sessionid={sessions[-1]}"})
            await ws.recv()
            senders.append(ws)

            async def drain_sender(ws=ws):
                async for _frame in ws:  # replies and its own copies of the messages
                    pass

            asyncio.create_task(drain_sender())

        async def send_channels_nowait(conv, n):
            # Fire and forget at a steady rate, round robin over the sender sockets.
            await senders[n % len(senders)].send(json.dumps({
                "action": "chat.send", "ref": str(n),
                "data": {"conversation": conv, "body": f"b {time.time():.6f}"}}))
            return n

        results = {}
        print("collab (Daphne x2, collab.layers.RedisPubSubLayer):")
        for size, rate in zip(sizes, args.rates, strict=False):
            conv = groups[size]
            started, cpu = time.time(), cpu_seconds(workers)
            await run_phase(send_channels_nowait, conv, rate, args.duration, receivers)
            first = 3  # seqs 1-2 were the setup's warm-up messages
            sent = list(range(first, first + int(rate * args.duration)))
            results[size] = report(f"{size} x{rate}/s", receivers, conv,
                                   range(size), sent, started, cpu_seconds(workers) - cpu)
        top = max(sizes)
        first = 3 + int(dict(zip(sizes, args.rates, strict=False)).get(top, 0) * args.duration)
        print(f"  ladder into {top} members, {args.ladder_duration:.0f} s per rate:")
        ours_max, _ = await ladder("collab", lambda c, n: send_channels_nowait(c, n), groups[top],
                                   range(top), args.ladder, args.ladder_duration, receivers,
                                   first, workers)
        for ws in sockets + senders:
            await ws.close()

        # ---- Baseline: raw Redis pub/sub relayed by websockets ----
        import redis.asyncio as aioredis

        raw_receivers = Receivers()
        raw_urls = [(f"ws://127.0.0.1:{p}/", f"http://127.0.0.1:{p}") for p in raw_ports]
        raw_sockets = await open_clients(raw_urls, sessions[: args.clients], memberships,
                                         raw_receivers, raw=True)
        publisher = aioredis.Redis.from_url(redis.url)
        filler = "x" * 2400  # about the size of the three rendered languages

        async def send_raw(conv, seq):
            frame = json.dumps({"type": "event", "event": "chat.message", "data": {
                "conversation": conv, "seq": seq, "change": 0, "author_id": 0,
                "html": {"ar": filler}, "preview": f"b {time.time():.6f}"}},
                separators=(",", ":"))
            await publisher.publish(f"raw.{conv}", frame)
            return seq

        print("Baseline (raw Redis pub/sub + websockets.broadcast, 2 processes):")
        p99s = {}
        for size, rate in zip(sizes, args.rates, strict=False):
            conv = groups[size]
            started, cpu = time.time(), cpu_seconds(relays)
            sent = await run_phase(lambda c, n: send_raw(c, n + 3), conv, rate, args.duration,
                                   raw_receivers)
            base = report(f"{size} x{rate}/s", raw_receivers, conv, range(size), sent, started,
                          cpu_seconds(relays) - cpu)
            p99s[size] = (results[size], base)
        print(f"  ladder into {top} members, {args.ladder_duration:.0f} s per rate:")
        raw_max, _ = await ladder("raw", send_raw, groups[top], range(top), args.ladder,
                                  args.ladder_duration, raw_receivers, first, relays)
        for ws in raw_sockets:
            await ws.close()
        await publisher.aclose()

        print("Summary (same run):")
        for size, rate in zip(sizes, args.rates, strict=False):
            ours, base = p99s[size]
            print(f"  {size:>5} members at {rate}/s: p99 {ours['p99']:.1f} ms (raw "
                  f"{base['p99']:.1f} ms); servers' CPU {ours['cpu_us']:.1f} us/delivery (raw "
                  f"{base['cpu_us']:.1f})" + ("  target p99 < 250 ms" if size == 1000 else ""))
        ratio = f"{ours_max / raw_max:.2f}" if raw_max else "n/a (the baseline sustained none)"
        print(f"  highest rate at p99 < 250 ms into {top} members: collab {ours_max}/s, "
              f"raw {raw_max}/s: ratio {ratio} (target >= 0.60)", flush=True)

        if args.idle_sockets or (args.resync and data["backlog"]):
            port = free_port()
            single = subprocess.Popen(
                [*WORKER, "-b", "127.0.0.1", "-p", str(port), "asgi:application"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                stderr=open(Path(args.log_dir) / f"daphne-{port}.log", "w"))
            procs.append(single)
            wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code > 0,
                     timeout=60, what="daphne")
            if args.resync and data["backlog"]:
                await resync_backlog(port, sessions[0], data["backlog"], args.resync)
            if args.idle_sockets:
                await idle_sockets(port, sessions, args.idle_sockets, single.pid)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=10,
                        help="sender sockets sharing the rate (one socket runs its actions "
                             "one after the other)")
    parser.add_argument("--database-url", default="",
                        help="e.g. a PostgreSQL database of your own (default: a temporary "
                             "SQLite file)")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000],
                        help="conversation sizes, one phase each")
    parser.add_argument("--rates", type=int, nargs="+", default=[100, 100, 10],
                        help="messages/s into each conversation size, in order")
    parser.add_argument("--ladder", type=int, nargs="+",
                        default=[10, 12, 14, 16, 18, 20, 24, 28, 32],
                        help="rising messages/s into the largest conversation, the same steps "
                             "for both (fine steps around the 250 ms limit keep the ratio "
                             "meaningful)")
    parser.add_argument("--ladder-duration", type=float, default=5.0,
                        help="seconds per rate of the ladder")
    parser.add_argument("--idle-sockets", type=int, default=10000,
                        help="idle sockets opened on a third Daphne to measure memory (0: none)")
    parser.add_argument("--log-dir", default=tempfile.gettempdir(),
                        help="where each Daphne's log goes (daphne-PORT.log)")
    parser.add_argument("--resync", type=int, default=10000,
                        help="missed messages one client resyncs (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as tmp:
        asyncio.run(bench(args, Path(tmp)))


if __name__ == "__main__":
    main()
