"""Upload and download throughput through the application vs the minio SDK direct.

    .venv/bin/python bench/files_throughput.py [--sizes 1,100,1024] [--server daphne|uvicorn]

Starts moto's S3 server (subprocess, clean environment, TRAPS), a throwaway
SQLite database and the real ASGI app under Daphne (or uvicorn if installed),
then for each size (MiB), with bytes generated on the fly (never held):

- app upload: POST /upload/ (Starlette streaming endpoint -> multipart to S3);
- app download: GET /files/<id>/download/ -> 302 to a short-lived presigned
  URL -> bytes from S3;
- presigned PUT: the alternative design, the client PUTs straight to S3 with a
  presigned URL, then the server must read the object back to hash it;
- direct: minio SDK put_object of the same bytes, and a GET of a plain
  presigned URL with the same HTTP client as the app download.

Prints MB/s, the app/direct ratio, the server's peak RSS and the peak bytes the
server held in temporary files (Daphne spools request bodies to disk).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
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

from tests.multiproc import clean_env, free_port, start_moto, stop_process  # noqa: E402

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

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,100,1024", help="MiB, comma separated")
    parser.add_argument("--server", default="daphne", choices=["daphne", "uvicorn"])
    args = parser.parse_args()
    sizes = [int(s) * 1024 * 1024 for s in args.sizes.split(",")]

    work = Path(tempfile.mkdtemp(prefix="files-bench-"))
    moto, moto_endpoint = start_moto(work)
    server = None
    try:
        env = dict(
            clean_env(),
            COLLAB_VAR_DIR=str(work / "var"),
            S3_ENDPOINT=f"http://{moto_endpoint}",
            S3_ACCESS_KEY="testing",
            S3_SECRET_KEY="testing",
            S3_BUCKET="bench",
            S3_REGION="us-east-1",
            FILES_MAX_SIZE=str(8 * 1024**3),
            FILES_USER_QUOTA=str(64 * 1024**3),
            DJANGO_SETTINGS_MODULE="collab.settings",
            LOG_LEVEL="WARNING",
        )
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command
        from django.middleware.csrf import _get_new_csrf_string
        from django.test import Client

        from collab.models import User
        from files.storage import build_file_store

        call_command("migrate", verbosity=0)
        user = User.objects.create_user("bench", password="x" * 12)
        client = Client()
        client.force_login(user)
        cookies = {"sessionid": client.cookies["sessionid"].value}
        csrf = _get_new_csrf_string()
        cookies["csrftoken"] = csrf

        port = free_port()
        if args.server == "daphne":
            command = [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(port)]
            command.append("asgi:application")
        else:
            command = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1"]
            command += ["--port", str(port), "--log-level", "warning", "asgi:application"]
        server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", server)
        sampler = Sampler(server.pid)
        sampler.start()
        store = build_file_store()
        store.ensure_bucket()
        http = httpx.Client(base_url=base, cookies=cookies, timeout=None)

        print(f"server: {args.server}; S3: moto on loopback; part size 8 MiB")
        header = (
            f"{'size':>8} | {'app up':>8} {'direct up':>9} {'ratio':>6} | "
            f"{'app down':>8} {'direct down':>11} {'ratio':>6} | {'presigned up+verify':>19} | "
            f"{'peak RSS':>9} {'peak tmp':>9}"
        )
        print(header)
        print("-" * len(header))
        for size in sizes:
            mb = size / 1e6
            salt = os.urandom(16)
            sampler.reset()
            rss_before = sampler.peak_rss
            started = time.perf_counter()
            response = http.post(
                "/upload/",
                params={"name": f"bench-{size}.bin"},
                content=generate(size, salt),
                headers={"X-CSRFToken": csrf, "Content-Length": str(size)},
            )
            app_up = mb / (time.perf_counter() - started)
            data = response.json()
            assert data.get("ok"), data
            peak_rss, peak_tmp = sampler.peak_rss, sampler.peak_tmp

            started = time.perf_counter()
            got, digest = 0, hashlib.sha256()
            redirect = http.get(f"/files/{data['file_id']}/download/")
            with httpx.stream("GET", redirect.headers["location"], timeout=None) as r:
                for chunk in r.iter_bytes(1024 * 1024):
                    got += len(chunk)
                    digest.update(chunk)
            app_down = mb / (time.perf_counter() - started)
            assert got == size and digest.hexdigest() == data["sha256"]

            key = f"direct/{salt.hex()}"
            started = time.perf_counter()
            store.client.put_object("bench", key, Reader(size, salt), size)
            direct_up = mb / (time.perf_counter() - started)
            # Same HTTP client as the app path, on a plain presigned URL: the
            # difference is what the application adds (its check and redirect).
            started = time.perf_counter()
            url = store.client.presigned_get_object("bench", key, expires=timedelta(minutes=5))
            got = 0
            with httpx.stream("GET", url, timeout=None) as r:
                for chunk in r.iter_bytes(1024 * 1024):
                    got += len(chunk)
                    hashlib.sha256(chunk)
            direct_down = mb / (time.perf_counter() - started)
            assert got == size
            store.client.remove_object("bench", key)

            # The alternative: browser PUTs to a presigned URL, server reads back to hash.
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
            from minio.commonconfig import CopySource

            final = f"presigned-final/{verify.hexdigest()}"
            store.client.copy_object("bench", final, CopySource("bench", key))
            presigned = mb / (time.perf_counter() - started)
            store.client.remove_object("bench", key)
            store.client.remove_object("bench", final)

            print(
                f"{size // 2**20:>5} MiB | {app_up:>6.1f}MB/s {direct_up:>7.1f}MB/s "
                f"{app_up / direct_up:>6.2f} | {app_down:>6.1f}MB/s {direct_down:>9.1f}MB/s "
                f"{app_down / direct_down:>6.2f} | {presigned:>19.1f}MB/s | "
                f"{peak_rss / 2**20:>6.0f}MiB {peak_tmp / 2**20:>6.0f}MiB"
                f"  (RSS before {rss_before / 2**20:.0f}MiB)"
            )
            sys.stdout.flush()
        sampler.stop.set()
    finally:
        if server is not None:
            stop_process(server)
        stop_process(moto)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
