"""Screenshots of the main pages in Arabic and French, desktop and phone.

`make screenshots` runs this: a fresh SQLite database in a temporary folder,
seeded with the demo ministry, served by the project's own launcher on a free
loopback port, photographed by Playwright with Debian's Chromium. The PNGs go
to docs/screenshots/ (committed; the README shows two of them)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
PAGES = {"home": "/", "chat": "/chat/", "files": "/files/", "announcements": "/announcements/",
         "requests": "/requests/", "directory": "/directory/"}
USER, PASSWORD = "sg.directeur", "Collab-2026"  # collab/demo.py


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped (exit {server.returncode})")
        try:
            urllib.request.urlopen(url + "/login/", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    sys.exit("the server did not answer in time")


def shoot(base: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-quic", "--disable-component-update", "--disable-sync"])
        for language in ("ar", "fr"):
            context = browser.new_context(locale=language)
            page = context.new_page()
            page.goto(base + "/login/")
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", PASSWORD)
            page.locator("#main form button[type=submit]").click()
            page.wait_for_url(lambda url: "/login/" not in url)
            page.click(".lang-menu summary")
            page.click(f".lang-menu button[value={language}]")
            page.wait_for_selector(f"html[lang={language}]")
            for device, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                for name, path in PAGES.items():
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    target = OUT / f"{name}-{language}-{device}.png"
                    page.screenshot(path=str(target))
                    print(target.relative_to(ROOT))
            context.close()
        browser.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "COLLAB_VAR_DIR": folder,
               "DATABASE_URL": f"sqlite:///{folder}/screenshots.sqlite3"}
        for name in ("REDIS_URL", "COLLAB_PRODUCTION"):
            env.pop(name, None)
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT,
                       env=env, check=True)
        subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen(
            [python, "-m", "collab.server", "-b", "127.0.0.1", "-p", str(port),
             "asgi:application"], cwd=ROOT, env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, server)
            shoot(base)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
