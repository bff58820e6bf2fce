"""Reconnect storms: socket handshakes per second, and 10,000 clients reconnecting at once.

    .venv/bin/python bench/reconnect_storm.py --database-url postgres://postgres@127.0.0.1:5432/storm_bench

Starts its own redis-server and two workers as production runs them
(``python -m collab.server`` with the production frame limits, DEBUG off,
PostgreSQL with its connection pool), seeds N staff in 20 directorates (each
in its directorate channel, the ministry channel and a 10-person group, with
one notification that came while they were away), then, in one run:

1. **Handshakes per second, one worker**: ``--handshakes`` sockets opened with
   ``--concurrency`` handshakes in flight (each counts once its ``hello``
   frame came), against collab, against a bare ``websockets`` server that
   sends a hello and against Daphne serving an empty application (Daphne's own
   cost), all driven by the same client process, with the server CPU each
   handshake cost. The sockets stay
   open: the worker's RSS growth divided by their number is the memory per
   open socket.
2. **The storm**: N clients reconnect to the two workers at once, as
   collab.js does after a worker restart (first attempt after 250-500 ms,
   then its backoff), each sending ``sync`` after its ``hello``; the time
   until the last ``sync`` reply is the figure (goal: under 15 s). Clients run
   in ``--client-procs`` processes (one event loop holds about 5,000 sockets
   comfortably); the CPU they used is printed, since they share the two cores
   with the workers, PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.multiproc import (  # noqa: E402
    DAPHNE,
    DAPHNE_ARGS,
    PYTHON,
    RedisServer,
    clean_env,
    free_port,
    stop_process,
    wait_for,
)

SEED = """
import json, secrets
from datetime import timedelta
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from chat.models import Conversation, Membership
from collab.models import Directorate, Notification, User
N, RUN = {n}, "{run}"
dirs = Directorate.objects.bulk_create([
    Directorate(code=f"storm{{RUN}}-{{d}}", name_ar=f"d{{d}}", name_fr=f"d{{d}}", kind="central")
    for d in range(20)])
password = make_password(None)
users = User.objects.bulk_create([
    User(username=f"storm{{RUN}}-{{i}}", password=password, directorate=dirs[i % 20])
    for i in range(N)])
auth_hash = users[0].get_session_auth_hash()  # same password hash for all
expires = timezone.now() + timedelta(days=1)
store = SessionStore()
sessions = Session.objects.bulk_create([
    Session(session_key=secrets.token_hex(16), expire_date=expires,
            session_data=store.encode({{"_auth_user_id": str(u.pk), "_auth_user_hash": auth_hash,
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"}}))
    for u in users], batch_size=2000)
ministry = Conversation.objects.create(kind="ministry", title=f"storm{{RUN}}")
channels = Conversation.objects.bulk_create([
    Conversation(kind="directorate", title=d.code, directorate=d) for d in dirs])
groups = Conversation.objects.bulk_create([
    Conversation(kind="group", title=f"g{{g}}") for g in range((N + 9) // 10)])
Membership.objects.bulk_create(
    [Membership(conversation=ministry, user=u) for u in users]
    + [Membership(conversation=channels[i % 20], user=u) for i, u in enumerate(users)]
    + [Membership(conversation=groups[i // 10], user=u) for i, u in enumerate(users)],
    batch_size=5000)
notes = Notification.objects.bulk_create([
    Notification(recipient=u, kind="bench", title="While you were away") for u in users],
    batch_size=5000)
print("SEED" + json.dumps({{"sessions": [s.session_key for s in sessions],
                           "after": [n.pk - 1 for n in notes]}}))
"""

# A bare websockets server: accept, send a hello, keep the socket open.
BARE_SERVER = """
import asyncio, json, sys
from websockets.asyncio.server import serve

HELLO = json.dumps({"type": "hello", "user": {"id": 1, "username": "x"}, "unread": 0})

async def handler(ws):
    await ws.send(HELLO)
    async for frame in ws:
        request = json.loads(frame)
        await ws.send(json.dumps({"type": "reply", "action": request.get("action"),
                                  "ref": request.get("ref"), "data": {}}))

async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1])):
        await asyncio.Future()

asyncio.run(main())
"""

# The same under Daphne, with nothing of collab: Daphne's own cost per handshake.
EMPTY_APP = """
import json

HELLO = json.dumps({"type": "hello", "user": {"id": 1, "username": "x"}, "unread": 0})


async def app(scope, receive, send):
    if scope["type"] != "websocket":
        return
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": HELLO})
        elif message["type"] == "websocket.receive":
            request = json.loads(message["text"])
            await send({"type": "websocket.send", "text": json.dumps(
                {"type": "reply", "action": request.get("action"), "ref": request.get("ref"),
                 "data": {}})})
        elif message["type"] == "websocket.disconnect":
            return
"""

# The client: one process, one event loop, reads its orders as JSON on stdin,
# prints its results as one JSON line, keeps the sockets open until told.
CLIENT = """
import asyncio, json, random, resource, sys, time
from websockets.asyncio.client import connect

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

async def handshakes(order, sockets):
    targets, cookies, todo = order["targets"], order["cookies"], list(range(len(order["cookies"])))
    todo.reverse()
    failed = []

    async def one_after_another():
        while todo:
            i = todo.pop()
            url, origin = targets[i % len(targets)]
            try:
                ws = await connect(url, origin=origin, open_timeout=30, compression=None,
                                   additional_headers={"Cookie": f"sessionid={cookies[i]}"})
                json.loads(await ws.recv())  # hello
                sockets.append(ws)
            except Exception as exc:
                failed.append(repr(exc)[:120])

    started, cpu0 = time.perf_counter(), cpu()
    await asyncio.gather(*(one_after_another() for _ in range(order["concurrency"])))
    return {"opened": len(sockets), "seconds": time.perf_counter() - started,
            "failed": len(failed), "errors": sorted(set(failed))[:5], "cpu": cpu() - cpu0}

async def storm(order, sockets):
    targets, cookies, after = order["targets"], order["cookies"], order["after"]
    t0 = order["start_at"]
    done, attempts, errors = [], [0], []

    async def one(i):
        await asyncio.sleep(max(0, t0 - time.time()) + random.uniform(0.25, 0.5))
        attempt = 0
        url, origin = targets[i % len(targets)]
        while time.time() - t0 < order["give_up"]:
            attempts[0] += 1
            try:
                # ping_interval=None: a browser's WebSocket never pings (it only
                # answers the server's), so a slow reply does not fail it.
                ws = await connect(url, origin=origin, open_timeout=None, compression=None,
                                   ping_interval=None,
                                   additional_headers={"Cookie": f"sessionid={cookies[i]}"})
                hello = json.loads(await ws.recv())
                assert hello["type"] == "hello", hello
                await ws.send(json.dumps({"action": "sync", "ref": "s",
                                          "data": {"notifications_after": after[i]}}))
                while True:
                    frame = json.loads(await ws.recv())
                    if frame.get("ref") == "s":
                        break
                assert frame["type"] == "reply", frame
                sockets.append(ws)
                done.append((time.time() - t0, len(frame["data"]["notifications"])))
                return
            except Exception as exc:
                errors.append(repr(exc)[:120])
                # collab.js's backoff after a failed attempt.
                await asyncio.sleep(min(30, 0.5 * 2 ** attempt) * (0.5 + random.random() / 2))
                attempt += 1

    cpu0 = cpu()
    await asyncio.gather(*(one(i) for i in range(len(cookies))))
    return {"done": [d[0] for d in done], "resynced": sum(1 for d in done if d[1] == 1),
            "attempts": attempts[0], "errors": sorted(set(errors))[:5],
            "error_count": len(errors), "cpu": cpu() - cpu0}

async def main():
    order = json.loads(sys.stdin.readline())
    sockets = []
    result = await (storm if order["mode"] == "storm" else handshakes)(order, sockets)
    print(json.dumps(result), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
asyncio.run(main())
"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Clients:
    """Client processes, each given its order on stdin."""

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.procs: list[subprocess.Popen] = []

    def start(self, orders: list[dict]) -> list[dict]:
        for order in orders:
            proc = subprocess.Popen([PYTHON, "-c", CLIENT], cwd=self.cwd, env=clean_env(),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            proc.stdin.write(json.dumps(order) + "\n")
            proc.stdin.flush()
            self.procs.append(proc)
        return [json.loads(proc.stdout.readline()) for proc in self.procs]

    def close(self) -> None:
        for proc in self.procs:
            try:
                proc.stdin.write("close\n")
                proc.stdin.flush()
            except OSError:
                pass
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []


def start_worker(env: dict, port: int, log=None, tree: Path = ROOT) -> subprocess.Popen:
    proc = subprocess.Popen(
        [PYTHON, "-m", "collab.server", "-b", "127.0.0.1", "-p", str(port), *DAPHNE_ARGS,
         "asgi:application"], cwd=tree, env=env,
        stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)
    import httpx

    wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code > 0,
             timeout=60, what="worker")
    return proc


def handshake_phase(name, clients, targets, cookies, concurrency, pid):
    rss0 = rss_kib(pid)
    cpu0 = cpu_seconds(pid)
    [result] = clients.start([{"mode": "rate", "targets": targets, "cookies": cookies,
                               "concurrency": concurrency}])
    time.sleep(1)  # let the worker settle before reading its memory
    rss1 = rss_kib(pid)
    rate = result["opened"] / result["seconds"]
    per_socket = (rss1 - rss0) / max(result["opened"], 1)
    server_ms = 1000 * (cpu_seconds(pid) - cpu0) / max(result["opened"], 1)
    print(f"  {name:<18} {result['opened']:>6} sockets in {result['seconds']:6.2f} s: "
          f"{rate:5.0f}/s, server CPU {server_ms:5.2f} ms each, client CPU "
          f"{1000 * result['cpu'] / max(result['opened'], 1):4.2f} ms each, "
          f"{per_socket:5.1f} KiB per open socket"
          + (f", {result['failed']} failed {result['errors']}" if result["failed"] else ""))
    clients.close()
    return rate, server_ms


def bench(args, stage: Path):
    redis = RedisServer(stage).start()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": redis.url,
        "CHANNEL_LAYER_PREFIX": "storm",
        "COLLAB_VAR_DIR": str(stage / "var"),
        "DJANGO_SECRET_KEY": "storm-bench-" + "k" * 50,
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    log = open(args.worker_log, "w") if args.worker_log else None  # noqa: SIM115
    procs: list[subprocess.Popen] = []
    clients = Clients(stage)
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT,
                       env=env, check=True)
        count = max(args.clients, args.handshakes)
        out = subprocess.run([PYTHON, "manage.py", "shell"], cwd=ROOT, env=env, check=True,
                             input=SEED.format(n=count, run=int(time.time())),
                             capture_output=True, text=True).stdout
        seed = json.loads(out.split("SEED", 1)[1].strip().splitlines()[0])
        sessions, after = seed["sessions"], seed["after"]

        ports = [free_port(), free_port()]
        bare_port, empty_port = free_port(), free_port()
        procs.append(subprocess.Popen([PYTHON, "-c", BARE_SERVER, str(bare_port)], cwd=stage,
                                      env=clean_env()))
        (stage / "emptyapp.py").write_text(EMPTY_APP)
        procs.append(subprocess.Popen(
            [DAPHNE, "-b", "127.0.0.1", "-p", str(empty_port), *DAPHNE_ARGS, "emptyapp:app"],
            cwd=stage, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        workers = [start_worker(env, port, log) for port in ports]
        procs.extend(workers)
        targets = [[f"ws://127.0.0.1:{p}/ws/", f"http://127.0.0.1:{p}"] for p in ports]
        baseline = None
        if args.baseline_tree:
            # Another checkout's worker (same database, Redis and flags): its
            # handshakes measured alternately with this one's, in this run.
            baseline_port = free_port()
            baseline = start_worker(env, baseline_port, log, Path(args.baseline_tree).resolve())
            procs.append(baseline)
            baseline_target = [[f"ws://127.0.0.1:{baseline_port}/ws/",
                                f"http://127.0.0.1:{baseline_port}"]]
        bare = [[f"ws://127.0.0.1:{bare_port}/", f"http://127.0.0.1:{bare_port}"]]
        empty = [[f"ws://127.0.0.1:{empty_port}/", f"http://127.0.0.1:{empty_port}"]]
        print(f"reconnect storm: {count} staff seeded, 2 workers, machine: "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")

        # Warm both (imports, pools, first queries) before measuring.
        for t in targets:
            clients.start([{"mode": "rate", "targets": [t], "cookies": sessions[:20],
                            "concurrency": 10}])
            clients.close()
        for t in (bare, empty) + ((baseline_target,) if baseline else ()):
            clients.start([{"mode": "rate", "targets": t, "cookies": sessions[:20],
                            "concurrency": 10}])
            clients.close()

        print(f"1. handshakes, one worker, {args.concurrency} in flight "
              f"({args.rounds} rounds, alternating):")
        runs = {"bare": [], "empty": [], "collab": []}
        if baseline:
            runs["baseline"] = []
        n = args.handshakes
        for _round in range(args.rounds):
            runs["bare"].append(handshake_phase("bare websockets", clients, bare, sessions[:n],
                                                args.concurrency, procs[0].pid))
            runs["empty"].append(handshake_phase("Daphne, empty app", clients, empty,
                                                 sessions[:n], args.concurrency, procs[1].pid))
            runs["collab"].append(handshake_phase("collab worker", clients, targets[:1],
                                                  sessions[:n], args.concurrency,
                                                  workers[0].pid))
            if baseline:
                runs["baseline"].append(handshake_phase("baseline worker", clients,
                                                        baseline_target, sessions[:n],
                                                        args.concurrency, baseline.pid))
        best = {name: max(rate for rate, _ms in found) for name, found in runs.items()}
        cheapest = {name: min(ms for _rate, ms in found) for name, found in runs.items()}
        print(f"  best rates: collab {best['collab']:.0f}/s, bare {best['bare']:.0f}/s, "
              f"ratio {best['collab'] / best['bare']:.2f} (goal: at least 0.50); "
              f"Daphne with an empty app {best['empty']:.0f}/s, ratio to bare "
              f"{best['empty'] / best['bare']:.2f}")
        print(f"  server CPU per handshake: collab {cheapest['collab']:.2f} ms, Daphne alone "
              f"{cheapest['empty']:.2f} ms, bare websockets {cheapest['bare']:.2f} ms; at that "
              f"cost one core opens at most {1000 / cheapest['collab']:.0f}/s for collab")
        if baseline:
            print(f"  against {args.baseline_tree}: server CPU per handshake "
                  f"{cheapest['baseline']:.2f} ms there, {cheapest['collab']:.2f} ms here "
                  f"(ratio {cheapest['collab'] / cheapest['baseline']:.2f}); best rates "
                  f"{best['baseline']:.0f}/s there, {best['collab']:.0f}/s here")

        if args.clients:
            print(f"2. storm: {args.clients} clients reconnect to 2 workers at once "
                  f"({args.client_procs} client processes), each then sends sync:")
            cpu0 = [cpu_seconds(w.pid) for w in workers]
            rss0 = [rss_kib(w.pid) for w in workers]
            start_at = time.time() + 2 + args.client_procs * 0.5
            k = args.client_procs
            orders = []
            for c in range(k):
                # Client i goes to worker i % 2 within each process's share.
                idx = list(range(c, args.clients, k))
                orders.append({"mode": "storm", "targets": targets, "start_at": start_at,
                               "give_up": args.give_up,
                               "cookies": [sessions[i] for i in idx],
                               "after": [after[i] for i in idx]})
            results = clients.start(orders)
            done = [t for r in results for t in r["done"]]
            resynced = sum(r["resynced"] for r in results)
            attempts = sum(r["attempts"] for r in results)
            errors = sum(r["error_count"] for r in results)
            print(f"  resynced {len(done)}/{args.clients} ({resynced} got their missed "
                  f"notification); all resynced after {max(done or [float('nan')]):.2f} s "
                  f"(goal: under 15 s); p50 {percentile(done, 50):.2f} s, "
                  f"p99 {percentile(done, 99):.2f} s")
            print(f"  {attempts} attempts, {errors} failed"
                  + (f" {sorted({e for r in results for e in r['errors']})[:4]}" if errors else ""))
            time.sleep(1)
            for i, w in enumerate(workers):
                open_here = len(done) / 2
                print(f"  worker {i + 1}: CPU {cpu_seconds(w.pid) - cpu0[i]:.1f} s "
                      f"({1000 * (cpu_seconds(w.pid) - cpu0[i]) / max(open_here, 1):.1f} ms "
                      f"per resynced client), "
                      f"{(rss_kib(w.pid) - rss0[i]) / max(open_here, 1):.1f} KiB per open socket")
            print(f"  clients: CPU {sum(r['cpu'] for r in results):.1f} s in all")
            clients.close()
    finally:
        clients.close()
        for proc in procs:
            stop_process(proc)
        redis.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="a PostgreSQL database of your own (it gets migrated and seeded)")
    parser.add_argument("--clients", type=int, default=10000, help="clients in the storm")
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--handshakes", type=int, default=2000,
                        help="sockets opened per handshake measurement")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--give-up", type=float, default=60.0,
                        help="seconds after which a storm client stops retrying")
    parser.add_argument("--worker-log", default="")
    parser.add_argument("--baseline-tree", default="",
                        help="another checkout (e.g. `git worktree add /tmp/before <commit>`) "
                             "whose worker's handshakes are measured alongside, same run")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the workers inherit it
    with tempfile.TemporaryDirectory(prefix="storm-bench-") as tmp:
        bench(args, Path(tmp))


if __name__ == "__main__":
    main()
