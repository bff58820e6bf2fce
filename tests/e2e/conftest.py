"""End-to-end browser harness: real Daphne workers and Debian's Chromium.

Every browser test of the project lives in this folder, so one browser and one
server serve the whole run; mark them ``@pytest.mark.browser`` and
``@pytest.mark.django_db(transaction=True)`` so their rows are committed and
visible to the server process. The servers come from tests/multiproc.py, the
project's one live-server toolkit.

- ``live_url``: base URL of a Daphne worker serving ``asgi:application`` on a
  free loopback port, on the SAME test database as this process and, when
  Redis is reachable, the same Redis channel layer (a per-run prefix keeps
  parallel runs apart).
- ``live_worker`` / ``second_live_worker``: the ``DaphneProcess`` objects of
  that worker and of a second one on the same database and Redis (started on
  first use; ``.restart()``/``.stop()`` it to play a worker going away).
- ``live_redis``: request it when the test crosses processes (publishes from
  this process, or uses two workers); without Redis the test skips locally,
  saying why, and fails under CI=true.
- ``smtp_daemon`` (tests/smtp.py): the SMTP server the workers send mail to.
- ``browser``: one headless Chromium (``/usr/bin/chromium``) for the run.
- ``context`` / ``page``: a fresh browser context (its own cookies) per test;
  ``context.new_page()`` gives a second tab of the same user.
- ``new_context(**options)``: more contexts, e.g. a second user.

Helpers in tests/e2e/helpers.py: ``login``, ``wait_for_socket``, ``screenshot``
(to the ignored artifacts/ folder) and ``off_browser_thread`` (call services
that publish events from there). A failing test leaves a screenshot of each
open page in artifacts/e2e/.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.test.utils import override_settings

from tests import multiproc
from tests.conftest import IN_CI, _reachable, redis_channel_layers, redis_url_or_skip

from .helpers import ARTIFACTS, DEFAULT_TIMEOUT_MS, screenshot

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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture(scope="package")
def e2e_channel_layer():
    """Redis layer for this process too: notify() here must reach the server's sockets.

    Without Redis (only allowed outside CI) the server runs alone on the
    in-memory layer; tests that cross processes request ``live_redis``.
    """
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not _reachable(url, 6379):
        if IN_CI:
            pytest.fail(f"Redis at {url} is not reachable in CI")
        yield {"REDIS_URL": None, "CHANNEL_LAYER_PREFIX": "e2e-memory"}
        return
    prefix = f"{os.environ.get('CHANNEL_LAYER_PREFIX', 'collab')}-e2e-{uuid.uuid4().hex[:8]}"
    # override_settings fires setting_changed: Channels drops its cached layer.
    with override_settings(CHANNEL_LAYERS=redis_channel_layers(url, prefix)):
        yield {"REDIS_URL": url, "CHANNEL_LAYER_PREFIX": prefix}


@pytest.fixture(scope="package")
def live_env(django_db_setup, django_db_blocker, e2e_channel_layer, tmp_path_factory,
             smtp_daemon):
    """Environment of the browser tests' workers: test database, Redis, our secret
    key, and the run's SMTP server (``smtp_daemon``: tests read the mail it got)."""
    from django.conf import settings
    from django.db import connection

    with django_db_blocker.unblock():
        db_url = multiproc.database_url(connection.settings_dict)
    return multiproc.worker_env(
        database_url=db_url,
        redis_url=e2e_channel_layer["REDIS_URL"],
        prefix=e2e_channel_layer["CHANNEL_LAYER_PREFIX"],
        secret_key=settings.SECRET_KEY,
        var_dir=tmp_path_factory.mktemp("e2e-var"),
        EMAIL_HOST=smtp_daemon.host,
        EMAIL_PORT=str(smtp_daemon.port),
    )


@pytest.fixture(scope="package")
def live_worker(live_env):
    """The Daphne worker behind ``live_url``, for the whole folder."""
    (worker,) = multiproc.start_daphnes(live_env, 1, "e2e", ARTIFACTS)
    yield worker
    worker.close()


@pytest.fixture
def live_url(live_worker):
    return live_worker.http_url


@pytest.fixture
def live_redis(e2e_channel_layer):
    """For tests crossing processes: skip without Redis (fail in CI)."""
    return e2e_channel_layer["REDIS_URL"] or redis_url_or_skip()


@pytest.fixture(scope="package")
def _second_worker(live_env):
    workers = []
    yield workers
    for worker in workers:
        worker.close()


@pytest.fixture
def second_live_worker(live_worker, live_redis, _second_worker):
    """A second worker on the same database and Redis (started on first use)."""
    if not _second_worker:
        _second_worker.extend(multiproc.start_daphnes(live_worker.env, 1, "e2e-second",
                                                      ARTIFACTS))
    worker = _second_worker[0]
    if worker.process.poll() is not None:  # a test stopped it and failed before restarting
        worker.restart()
    return worker


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
def new_context(browser, request, transactional_db):
    """Factory of browser contexts (separate cookie jars), closed after the test
    and before its rows are flushed, once the server has finished what they asked."""
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
    from django.db import connection

    multiproc.wait_for_idle_database(connection)


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()
