"""Shared fixtures.

Real services: with DATABASE_URL / REDIS_URL set the suite runs on PostgreSQL
and Redis. Under CI=true both must be configured and reachable, or the run
stops at once with the reason; elsewhere the tests needing Redis skip, saying why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import uuid
from urllib.parse import urlparse

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

IN_CI = os.environ.get("CI", "").lower() == "true"


def _reachable(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        address = (parts.hostname or "127.0.0.1", parts.port or default_port)
        with socket.create_connection(address, 2):
            return True
    except OSError:
        return False


def _channel_prefix_of_this_run() -> None:
    # Redis pub/sub channel names ignore the database number, so two runs on one
    # Redis with the same prefix hear each other's events (a socket here got an
    # announcement another run's scheduler test published). The test process and
    # the helper processes it starts with its environment share a prefix of
    # their own. Settings were read before this hook, hence both updates.
    from django.conf import settings

    prefix = f"{os.environ.get('CHANNEL_LAYER_PREFIX', 'collab')}-{uuid.uuid4().hex[:8]}"
    os.environ["CHANNEL_LAYER_PREFIX"] = prefix
    config = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
    if "prefix" in config:
        config["prefix"] = prefix


def _test_database_backend() -> None:
    # Before any connection exists: the test process's PostgreSQL backend
    # empties tables with DELETE (tests/postgresql/base.py says why), and its
    # sessions do not wait for the disk at each commit (a test database needs
    # no durability; django_db_setup below does the same for live servers).
    from django.conf import settings
    from django.db import connections

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    database["ENGINE"] = "tests.postgresql"
    options = database.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()
    with contextlib.suppress(AttributeError):  # made again from these settings when used
        del connections["default"]


def _validate_every_event():
    # publish() checks each payload against its full schema in every test, and
    # in the servers tests start (they inherit the environment).
    from django.conf import settings

    os.environ["COLLAB_VALIDATE_EVENTS"] = "1"
    settings.COLLAB_VALIDATE_EVENTS = True


def pytest_configure(config):
    _channel_prefix_of_this_run()
    _test_database_backend()
    _validate_every_event()
    if not IN_CI:
        return
    problems = []
    for name, port in (("DATABASE_URL", 5432), ("REDIS_URL", 6379)):
        url = os.environ.get(name)
        if not url:
            problems.append(f"{name} is not set")
        elif not _reachable(url, port):
            problems.append(f"{name} ({url}) is not reachable")
    if problems:
        pytest.exit("CI needs its real services: " + "; ".join(problems), returncode=3)


# ---- Running on several workers (make test: pytest-xdist, --dist loadfile) ----

E2E = "tests/e2e/"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile, with every browser test in one unit and the units in the
    order of the collection below: one worker starts Chromium and the browser
    tests' server once (package fixtures), instead of once per stretch of
    browser files it happened to get; the longest units start first, so no
    worker is left finishing a long one alone."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class BrowserTestsTogether(LoadFileScheduling):
        def __init__(self, config, log=None):
            super().__init__(config, log)
            config.option.loadscopereorder = False  # keep the collection's order

        def _split_scope(self, nodeid: str) -> str:
            return E2E if nodeid.startswith(E2E) else super()._split_scope(nodeid)

    return BrowserTestsTogether(config, log)


def pytest_collection_modifyitems(config, items):
    # Workers only (each collects the same list, so each sorts it the same):
    # browser tests, then tests that start processes, then the rest.
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return

    def weight(item) -> int:
        if item.nodeid.startswith(E2E):
            return 0
        return 1 if item.get_closest_marker("multiprocess") else 2

    items.sort(key=weight)


def redis_channel_layers(url: str, prefix: str | None = None, backend: str = "pubsub") -> dict:
    """CHANNEL_LAYERS for the project's Redis layer ``backend`` on ``url``."""
    from django.conf import settings

    config = {"hosts": [url]}
    if prefix is not None:
        config["prefix"] = prefix
    return {"default": {"BACKEND": settings.CHANNEL_LAYER_CLASSES[backend], "CONFIG": config}}


def redis_url_or_skip() -> str:
    """The Redis to use for multi-process tests: REDIS_URL, else a local one."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not _reachable(url, 6379):
        if IN_CI:
            pytest.fail(f"Redis at {url} is not reachable in CI")
        pytest.skip(f"needs Redis at {url} (set REDIS_URL)")
    return url


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # Worker threads of database_sync_to_async keep their own connections;
    # with CONN_MAX_AGE=0 they are closed after each call, so the test
    # database can be dropped at the end of the run.
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Live servers (subprocesses) open the test database with the project's
    # settings: their commits need not wait for the disk either.
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            name = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"ALTER DATABASE {name} SET synchronous_commit TO off")


@pytest.fixture(autouse=True)
def _close_async_test_connections():
    # Async tests run their sync_to_async calls in asgiref's single worker
    # thread; close its connection so the test database can be dropped.
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["tests.hashers.FastPBKDF2PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_where_tested(settings):
    # Tests sign people in with force_login, which gives no second factor;
    # tests/collab/test_two_factor.py turns the requirement back on and
    # goes through the code pages.
    settings.OTP_REQUIRED_ROLES = []


@pytest.fixture(autouse=True)
def _no_scheduler_in_test_process(settings):
    # Tests that serve asgi.application in this process must not start the
    # announcements scheduler here: tests run its passes themselves. Daphne
    # workers the tests start keep the setting of their own environment.
    settings.SCHEDULER_IN_PROCESS = False


@pytest.fixture
def file_store(settings, tmp_path):
    """The local-disk file store in a directory of the test's own."""
    from files.storage import get_file_store

    settings.FILE_STORE = "local"
    settings.FILE_STORE_DIR = tmp_path / "store"
    get_file_store.cache_clear()
    yield
    get_file_store.cache_clear()


@pytest.fixture
def directorate_factory(db):
    from collab.models import Directorate

    counter = {"n": 0}

    def make(kind="central", parent=None, **kwargs):
        counter["n"] += 1
        n = counter["n"]
        defaults = {
            "code": f"d{n}",
            "name_ar": f"مديرية {n}",
            "name_fr": f"Direction {n}",
            "kind": kind,
            "parent": parent,
        }
        defaults.update(kwargs)
        return Directorate.objects.create(**defaults)

    return make


@pytest.fixture
def user_factory(db, directorate_factory):
    from collab.models import User

    counter = {"n": 0}

    def make(directorate=None, role="staff", password="Secret-pass-123", **kwargs):
        counter["n"] += 1
        n = counter["n"]
        if directorate is None:
            directorate = directorate_factory()
        user = User(
            username=kwargs.pop("username", f"user{n}"),
            first_name=kwargs.pop("first_name", f"First{n}"),
            last_name=kwargs.pop("last_name", f"Last{n}"),
            directorate=directorate,
            role=role,
            # What official documents need about a person (tests of a missing
            # profile blank them).
            gender=kwargs.pop("gender", "male"),
            job_title=kwargs.pop("job_title", "Cadre administratif"),
            job_title_ar=kwargs.pop("job_title_ar", "إطار إداري"),
            job_title_en=kwargs.pop("job_title_en", "Administrative officer"),
            **kwargs,
        )
        user.set_password(password)
        user.save()
        return user

    return make


@pytest.fixture
def directorate(directorate_factory):
    return directorate_factory()


@pytest.fixture
def user(user_factory, directorate):
    return user_factory(directorate=directorate)


@pytest.fixture
def client_for():
    """A Django test client signed in as the given user."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def logged_in_client(user):
    client = Client()
    client.force_login(user)
    return client


def session_cookie_for(user) -> tuple[str, str]:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value, client


async def connect_socket(user=None, origin: bytes | None = b"http://127.0.0.1", session_key=None):
    """A WebsocketCommunicator on /ws/ for ``user`` (or anonymous) through the real ASGI app."""
    from asgi import application

    headers = [(b"host", b"127.0.0.1")]
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None and session_key is None:
        session_key, _ = await sync_to_async(session_cookie_for)(user)
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


@pytest.fixture(scope="module")
def _live_pairs(django_db_setup, django_db_blocker, tmp_path_factory):
    """Worker pairs of one test module, one per channel-layer backend, started on
    first use and stopped at the module's end (start-up is most of their cost)."""
    from django.conf import settings
    from django.db import connection

    from tests import multiproc

    tmp_path = tmp_path_factory.mktemp("live-pair")
    pairs: dict[str, tuple[list, dict]] = {}
    with django_db_blocker.unblock(), contextlib.ExitStack() as stack:
        database_url = stack.enter_context(multiproc.shared_test_database(connection, tmp_path))

        def get(backend: str, redis_url: str):
            if backend not in pairs:
                prefix = multiproc.unique_prefix()
                env = multiproc.worker_env(
                    database_url=database_url, redis_url=redis_url, prefix=prefix,
                    secret_key=settings.SECRET_KEY, var_dir=tmp_path / "var",
                    CHANNEL_LAYER_BACKEND=backend,
                )
                workers = multiproc.start_daphnes(env, 2, f"pair-{backend}-")
                stack.callback(lambda: [w.close() for w in workers])
                pairs[backend] = (workers, redis_channel_layers(redis_url, prefix, backend))
            return pairs[backend]

        yield get


@pytest.fixture
def live_daphne_pair(request, transactional_db, settings, _live_pairs):
    """Two real Daphne workers on free loopback ports, as behind nginx in production.

    They share the test database and one Redis with this test process, whose
    channel layer is switched to the same Redis and prefix, so
    ``publish()``/``notify()`` here reach sockets there. The pair lives for the
    test module (rows are the test's own: ``transactional_db``). Yields the two
    ``tests.multiproc.DaphneProcess`` objects. Parametrize it indirectly with
    "pubsub" or "core" to pick the Redis layer (default:
    settings.CHANNEL_LAYER_BACKEND). Needs Redis: skips without it, fails in CI.
    """
    redis_url = redis_url_or_skip()
    backend = getattr(request, "param", None) or settings.CHANNEL_LAYER_BACKEND
    workers, layers = _live_pairs(backend, redis_url)
    settings.CHANNEL_LAYERS = layers
    return workers


@pytest.fixture(scope="module")
def live_pair_own_redis(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two Daphne workers on the test database sharing a redis-server of their own,
    for the test module: ``(redis, workers)``. Tests may ``redis.stop()`` and
    ``redis.start()`` it (same port), never the machine's shared Redis; this
    test process keeps its own channel layer."""
    from django.conf import settings
    from django.db import connection

    from tests import multiproc

    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (needed for a private Redis)")
        pytest.skip("needs the redis-server binary for a private Redis")
    tmp_path = tmp_path_factory.mktemp("own-redis")
    redis = multiproc.RedisServer(tmp_path).start()
    try:
        with django_db_blocker.unblock(), \
                multiproc.shared_test_database(connection, tmp_path) as database_url:
            env = multiproc.worker_env(
                database_url=database_url, redis_url=redis.url,
                prefix=multiproc.unique_prefix("own"), secret_key=settings.SECRET_KEY,
                var_dir=tmp_path / "var",
            )
            workers = multiproc.start_daphnes(env, 2, "own-redis-")
            try:
                yield redis, workers
            finally:
                for worker in workers:
                    worker.close()
    finally:
        redis.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """One real S3 server (SeaweedFS, tests/multiproc.py) for the whole run: it
    takes seconds to start. Tests share it through buckets of their own
    (``files_conftest.make_s3_store``); tests that pause or kill a server start
    their own."""
    from tests.multiproc import start_seaweedfs

    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


# A real SMTP server (aiosmtpd) for the e-mail tests: `smtp_server` (per test,
# Django pointed at it), `smtp_daemon` (the run's server, for wider scopes).
from tests.smtp import smtp_daemon, smtp_server  # noqa: E402, F401
