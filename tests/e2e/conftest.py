"""End-to-end browser harness: a real Daphne process and Debian's Chromium.

Fixtures (browser tests live in this folder so they share one browser and one
server for the whole run; mark them ``@pytest.mark.browser`` and
``@pytest.mark.django_db(transaction=True)`` so their rows are committed and
visible to the server process):

- ``live_url``: base URL of a Daphne subprocess serving ``asgi:application``
  on a free loopback port, on the SAME test database as this process and the
  same Redis channel layer (a per-run prefix keeps parallel runs apart).
- ``browser``: one headless Chromium (``/usr/bin/chromium``) for the run.
- ``context`` / ``page``: a fresh browser context (its own cookies) per test;
  ``context.new_page()`` gives a second tab of the same user.
- ``new_context(**options)``: more contexts, e.g. a second user.

Helpers in tests/e2e/helpers.py: ``login``, ``wait_for_socket``, ``screenshot``
(to the ignored artifacts/ folder) and ``off_browser_thread`` (call services
that publish events from there). A failing test leaves a screenshot of each
open page in artifacts/e2e/.

Redis is required: the in-memory channel layer cannot cross processes. Without
it the tests skip locally, saying why, and fail under CI=true.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from django.test.utils import override_settings

from tests.conftest import IN_CI, redis_url_or_skip

from .helpers import ARTIFACTS, DEFAULT_TIMEOUT_MS, ROOT, screenshot

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 30


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the server process pointing at the current (test) database."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("browser tests need a file SQLite test database (TEST NAME)")
        return "sqlite:///" + str(Path(name).resolve())
    if engine.endswith(("postgresql", "postgis")):
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{quote(name, safe='')}"
    raise RuntimeError(f"browser tests do not know how to share a {engine} database")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture(scope="package")
def e2e_channel_layer():
    """Redis layer for this process too: notify() here must reach the server's sockets."""
    url = redis_url_or_skip()
    prefix = f"{os.environ.get('CHANNEL_LAYER_PREFIX', 'collab')}-e2e-{uuid.uuid4().hex[:8]}"
    layers = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": prefix},
        }
    }
    # override_settings fires setting_changed: Channels drops its cached layer.
    with override_settings(CHANNEL_LAYERS=layers):
        yield {"REDIS_URL": url, "CHANNEL_LAYER_PREFIX": prefix}


@pytest.fixture(scope="package")
def live_server_process(django_db_setup, django_db_blocker, e2e_channel_layer):
    """Daphne serving asgi:application on a free port, sharing DB and Redis with us."""
    from django.db import connection

    with django_db_blocker.unblock():
        db_url = database_url(connection.settings_dict)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(e2e_channel_layer)
    env.update(DATABASE_URL=db_url, DJANGO_SETTINGS_MODULE="collab.settings",
               PYTHONUNBUFFERED="1")
    # The port is bound here and the listening socket handed over (--fd): no
    # race with another process picking the same free port.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "daphne.log"
    log = open(log_path, "w")  # closed in teardown
    cmd = [
        sys.executable, "-m", "daphne",
        "--fd", str(listener.fileno()),
        "--websocket-max-message-size", "65536",
        "--websocket-max-frame-size", "65536",
        "asgi:application",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            pass_fds=[listener.fileno()])
    listener.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"Daphne exited ({proc.returncode}): {log_path.read_text()}")
            try:
                if httpx.get(f"{url}/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Daphne did not answer in time: {log_path.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def live_url(live_server_process):
    return live_server_process


@pytest.fixture(scope="package")
def browser(django_db_setup):
    """One headless Chromium for every browser test of the run."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (make test installs Debian's chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # Two shared cores in CI: give live updates more than the default 5 s.
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)

    # Playwright's sync API keeps its asyncio loop marked as running in this
    # thread; Django would then refuse every ORM call of the tests. Nothing
    # async touches the database in this process, so the guard is lifted for
    # the browser tests only, and restored after them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser, request):
    """Factory of browser contexts (separate cookie jars), closed after the test."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 800})
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(ctx)
        return ctx

    yield make
    failed = getattr(request.node, "e2e_failed", False)
    for c, ctx in enumerate(contexts):
        if failed:
            for p, page in enumerate(ctx.pages):
                try:
                    screenshot(page, f"FAILED-{request.node.name}-{c}-{p}")
                except Exception:  # a dead page must not hide the failure
                    pass
        ctx.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()
