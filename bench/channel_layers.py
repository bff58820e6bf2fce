"""Fan-out of one event to N sockets in one group, through two Daphne workers.

Compares, in one run and on loopback only:
  (a) channels_redis.core.RedisChannelLayer
  (b) channels_redis.pubsub.RedisPubSubChannelLayer
  (c) a baseline: one bare ``websockets.broadcast()`` server, no Channels.

For each, N sockets (default 1,000, all of one user, so all in the group
``user.<id>``) are spread over the two workers. Events are then published at
increasing offered rates (deliveries/s = events/s x N), each step for a
bounded time; a step stops the ladder when p99 passes 1 s or deliveries are
lost. Every event carries its publish time; the client (this process, same
clock) records publish-to-delivery latency for every delivery.

Usage (Redis required; the database is a throwaway SQLite file):
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/channel_layers.py
    ... --sockets 1000 --rates 2000,5000,10000,20000 --step-seconds 3
Figures and the machine are recorded in docs/benchmarks.md ("Channel layer choice").
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import importlib.metadata as md
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402

from collab.events import event_message  # noqa: E402
from tests.multiproc import free_port, start_daphne, unique_prefix  # noqa: E402

LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
MAX_P99 = 1.0  # seconds: above this a rate is not sustained
DRAIN = 10.0  # seconds to wait for late deliveries after a step


# ---- the baseline server (run as a subprocess: --baseline-server PORT) --------


async def baseline_server(port: int) -> None:
    clients: set = set()

    async def handler(ws):
        if ws.request.path == "/publish":
            # The publisher: every frame it sends goes to all other sockets.
            async for message in ws:
                websockets.broadcast(clients, message)
            return
        clients.add(ws)
        try:
            await ws.send(json.dumps({"type": "hello"}))
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with websockets.serve(handler, "127.0.0.1", port, max_queue=None):
        await asyncio.Future()


# ---- measurement -------------------------------------------------------------


class Sink:
    """Receives on every socket and records latency per delivery."""

    def __init__(self):
        self.latencies: list[float] = []
        self.last_delivery = 0.0
        self.per_event: collections.Counter = collections.Counter()

    async def read(self, ws):
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                data = frame.get("data") or {}
                if "t" in data:
                    self.latencies.append(now - data["t"])
                    self.per_event[data["seq"]] += 1
                    self.last_delivery = now


async def open_sockets(urls, n, headers, origin_for):
    sockets = []

    async def one(url):
        ws = await websockets.connect(
            url, origin=origin_for(url), additional_headers=headers, open_timeout=60,
            max_queue=None,
        )
        hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
        assert hello["type"] == "hello", hello
        return ws

    batch = 50
    for start in range(0, n, batch):
        targets = [urls[i % len(urls)] for i in range(start, min(n, start + batch))]
        sockets.extend(await asyncio.gather(*(one(u) for u in targets)))
    return sockets


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def ladder(name, publish, sockets, rates, step_seconds):
    n = len(sockets)
    sink = Sink()
    readers = [asyncio.create_task(sink.read(ws)) for ws in sockets]
    results = []
    try:
        for rate in rates:
            events_per_s = rate / n
            interval = 1.0 / events_per_s
            events = max(1, round(events_per_s * step_seconds))
            sink.latencies.clear()
            sink.per_event.clear()
            started = time.perf_counter()
            for i in range(events):
                target = started + i * interval
                delay = target - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                await publish({"seq": i, "t": time.perf_counter()})
            expected = events * n
            deadline = time.perf_counter() + DRAIN
            while len(sink.latencies) < expected and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            delivered = len(sink.latencies)
            elapsed = max(sink.last_delivery - started, 1e-9)
            row = {
                "layer": name,
                "offered": rate,
                "delivered": delivered,
                "expected": expected,
                "per_s": delivered / elapsed,
                "p50_ms": percentile(sink.latencies, 0.50) * 1000,
                "p99_ms": percentile(sink.latencies, 0.99) * 1000,
            }
            results.append(row)
            print(
                f"  {name:8} offered {rate:>6}/s  delivered {delivered:>6}/{expected:<6} "
                f"{row['per_s']:>8.0f}/s  p50 {row['p50_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms",
                flush=True,
            )
            if delivered < expected:
                short = {seq: n - sink.per_event[seq] for seq in range(events)
                         if sink.per_event[seq] < n}
                closed = collections.Counter(
                    ws.close_code for ws in sockets if ws.close_code is not None
                )
                print(f"  {name:8} lost deliveries per event seq: {short}; "
                      f"sockets closed (by code): {dict(closed)}", flush=True)
            if delivered < expected or row["p99_ms"] > MAX_P99 * 1000:
                break
            await asyncio.sleep(0.5)
    finally:
        for task in readers:
            task.cancel()
    return results


def prepare_database(env) -> tuple[str, int]:
    """Migrate a throwaway SQLite database and log one user in; returns (session key, user id)."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from collab.models import User\n"
        "user = User.objects.create_user('bench', password='Bench-pass-2026')\n"
        "client = Client(); client.force_login(user)\n"
        "print(client.cookies['sessionid'].value, user.pk)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True,
        text=True,
    ).stdout.split()
    return out[-2], int(out[-1])


def daphne_env(
    var_dir: Path, redis_url: str, prefix: str, layer: str, max_connections: int
) -> dict:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "S3_", "COLLAB_", "CHANNEL_LAYER")) and k != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="collab.settings",
        COLLAB_VAR_DIR=str(var_dir),
        REDIS_URL=redis_url,
        CHANNEL_LAYER_PREFIX=prefix,
        CHANNEL_LAYER_BACKEND=layer,
        REDIS_MAX_CONNECTIONS=str(max_connections),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


async def bench_layer(layer, args, workdir: Path):
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    prefix = unique_prefix("bench")
    var_dir = workdir / "var"
    env = daphne_env(var_dir, args.redis_url, prefix, layer, args.redis_max_connections)
    if not (var_dir / "collab.sqlite3").exists():
        workdir.joinpath("session").write_text(" ".join(map(str, prepare_database(env))))
    session_key, user_id = workdir.joinpath("session").read_text().split()
    workers = [start_daphne(env, workdir, f"{layer}-{n}") for n in (1, 2)]
    cls = {"core": RedisChannelLayer, "pubsub": RedisPubSubChannelLayer}[layer]
    channel_layer = cls(
        hosts=[{"address": args.redis_url, "max_connections": 2000}], prefix=prefix
    )
    group = f"user.{user_id}"
    try:
        sockets = await open_sockets(
            [w.ws_url for w in workers],
            args.sockets,
            {"Cookie": f"sessionid={session_key}"},
            lambda url: url.replace("ws://", "http://").removesuffix("/ws/"),
        )
        print(f"  {layer}: {len(sockets)} sockets open on 2 Daphne workers", flush=True)

        async def publish(data):
            await channel_layer.group_send(group, event_message("bench.tick", data))

        results = await ladder(layer, publish, sockets, args.rates, args.step_seconds)
        # Mass disconnect: with a pool capped at 100 (redis-py 8 default) the
        # core layer's group_discard failed for hundreds of sockets.
        await asyncio.gather(*(ws.close() for ws in sockets))
        await asyncio.sleep(3)
        errors = sum(
            w.log_path.read_text(errors="replace").count("MaxConnectionsError:") for w in workers
        )
        for w in workers:
            log = w.log_path.read_text(errors="replace")
            if "Traceback" in log:
                # The exception lines, without the frames.
                kinds = collections.Counter(
                    line.strip()[:160] for line in log.splitlines()
                    if line and not line.startswith((" ", "Traceback", "The above", "During"))
                )
                print(f"  {layer}: worker {w.port} logged {log.count('Traceback')} "
                      f"tracebacks: {dict(kinds.most_common(6))}", flush=True)
        print(f"  {layer}: mass disconnect of {len(sockets)}: {errors} MaxConnectionsError",
              flush=True)
        return results
    finally:
        with contextlib.suppress(Exception):
            await channel_layer.flush()
        for w in workers:
            w.stop()


async def bench_baseline(args, workdir: Path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--baseline-server", str(port)],
        cwd=ROOT,
    )
    try:
        url = f"ws://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                probe = await websockets.connect(url)
                await probe.close()
                break
            except (OSError, websockets.exceptions.InvalidHandshake):
                if process.poll() is not None:
                    raise RuntimeError("baseline server exited") from None
                await asyncio.sleep(0.1)
        sockets = await open_sockets([url], args.sockets, {}, lambda u: "http://127.0.0.1")
        publisher = await websockets.connect(f"ws://127.0.0.1:{port}/publish")
        print(f"  baseline: {len(sockets)} sockets open on 1 websockets server", flush=True)

        async def publish(data):
            await publisher.send(json.dumps({"type": "event", "event": "bench.tick", "data": data}))

        results = await ladder("baseline", publish, sockets, args.rates, args.step_seconds)
        await publisher.close()
        await asyncio.gather(*(ws.close() for ws in sockets))
        return results
    finally:
        process.terminate()
        process.wait(10)


def best(rows):
    """The highest offered rate sustained (everything delivered, p99 <= 1 s)."""
    ok = [r for r in rows if r["delivered"] == r["expected"] and r["p99_ms"] <= MAX_P99 * 1000]
    return ok[-1] if ok else None


def machine() -> str:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = ", ".join(
        f"{p} {md.version(p)}" for p in ("channels", "channels-redis", "daphne", "redis",
                                         "websockets", "Django")
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start, "
        f"Python {platform.python_version()}, {versions}"
    )


async def main(args):
    print(f"machine: {machine()}")
    print(f"sockets: {args.sockets}, offered rates (deliveries/s): {args.rates}, "
          f"{args.step_seconds}s per step")
    runs: dict[str, list[list[dict]]] = {name: [] for name in [*args.layers, "baseline"]}
    with tempfile.TemporaryDirectory(prefix="collab-bench-") as tmp:
        workdir = Path(tmp)
        # Rounds alternate the contenders, so a burst of load from other
        # processes on the machine does not fall on one of them only.
        for round_no in range(1, args.rounds + 1):
            print(f"== round {round_no}/{args.rounds}", flush=True)
            for layer in args.layers:
                print(f"[{layer}] {LAYERS[layer]}", flush=True)
                runs[layer].append(await bench_layer(layer, args, workdir))
            print("[baseline] websockets.broadcast()", flush=True)
            runs["baseline"].append(await bench_baseline(args, workdir))
    print(
        "\nsummary over rounds: peak = most deliveries/s observed in a step (median and best "
        "of the rounds); latency at the highest offered rate fully delivered with p99 <= 1 s "
        "(best round)"
    )
    peaks = {name: [max(r["per_s"] for r in rows) for rows in rounds]
             for name, rounds in runs.items()}
    base = statistics.median(peaks["baseline"])
    for name, rounds in runs.items():
        median = statistics.median(peaks[name])
        sustained = [row for row in (best(rows) for rows in rounds) if row]
        if sustained:
            row = max(sustained, key=lambda r: (r["offered"], -r["p99_ms"]))
            at = (f"sustained {row['offered']:>6}/s: p50 {row['p50_ms']:6.1f} ms  "
                  f"p99 {row['p99_ms']:6.1f} ms")
        else:
            at = "no offered rate sustained"
        print(
            f"  {name:8} peak median {median:>7.0f}/s best {max(peaks[name]):>7.0f}/s "
            f"({median / base:.2f}x baseline median)  {at}"
        )


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument(
        "--rates", type=lambda s: [int(x) for x in s.split(",")],
        default=[1000, 2000, 3000, 5000, 10000, 20000, 40000],
        help="offered deliveries/s, comma-separated, increasing",
    )
    parser.add_argument("--step-seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=1, help="repeat all contenders, alternating")
    parser.add_argument(
        "--layers", type=lambda s: s.split(","), default=["core", "pubsub"],
    )
    parser.add_argument(
        "--redis-max-connections", type=int, default=2000,
        help="pool size per worker (REDIS_MAX_CONNECTIONS); 100 shows redis-py 8's cap",
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""))
    parser.add_argument("--baseline-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server is None:
        if not args.redis_url:
            parser.error("set REDIS_URL or --redis-url")
        if not args.redis_url.startswith("redis://127.0.0.1") and "localhost" not in args.redis_url:
            parser.error("loopback Redis only")
        args.sockets = max(1, min(args.sockets, 5000))
        args.step_seconds = max(0.5, min(args.step_seconds, 10))
        args.rounds = max(1, min(args.rounds, 5))
    return args


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.baseline_server is not None:
        asyncio.run(baseline_server(arguments.baseline_server))
    else:
        asyncio.run(main(arguments))
