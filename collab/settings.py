"""Settings for collab.

With no environment variable set the intranet runs on embedded defaults
(SQLite, in-memory channel layer, local-disk file store, all under ``var/``).
``DATABASE_URL``, ``REDIS_URL`` and the ``S3_*`` variables switch to the real
backends; ``COLLAB_PRODUCTION=1`` refuses to start without them.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from js_asset import Script

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COLLAB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


PRODUCTION = env_bool("COLLAB_PRODUCTION")
DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)
# publish() checks every event payload against its full schema (nested parts
# included) when on; otherwise only the top-level field types (cheaper).
# tests/conftest.py turns it on for the whole suite.
COLLAB_VALIDATE_EVENTS = env_bool("COLLAB_VALIDATE_EVENTS", default=DEBUG)


def _development_secret_key() -> str:
    # Generated once so sessions survive restarts of `make run`.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or ""
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
S3_ENDPOINT = os.environ.get("S3_ENDPOINT", "")
S3_ACCESS_KEY = os.environ.get("S3_ACCESS_KEY", "")
S3_SECRET_KEY = os.environ.get("S3_SECRET_KEY", "")
S3_BUCKET = os.environ.get("S3_BUCKET", "")
S3_SECURE = env_bool("S3_SECURE", default=False)
S3_REGION = os.environ.get("S3_REGION", "")
# Seconds before an object-store request fails: an upload to a hung or
# stopped store answers with an error while the user still waits.
S3_CONNECT_TIMEOUT = float(os.environ.get("S3_CONNECT_TIMEOUT", 3))
S3_READ_TIMEOUT = float(os.environ.get("S3_READ_TIMEOUT", 10))
# A server-side copy (an upload sent without its hash) answers only when done.
S3_COPY_TIMEOUT = float(os.environ.get("S3_COPY_TIMEOUT", 300))

if PRODUCTION:
    missing = [
        name
        for name, value in [
            ("DJANGO_SECRET_KEY", SECRET_KEY),
            ("DATABASE_URL", DATABASE_URL),
            ("REDIS_URL", REDIS_URL),
            ("S3_ENDPOINT", S3_ENDPOINT),
            ("S3_ACCESS_KEY", S3_ACCESS_KEY),
            ("S3_SECRET_KEY", S3_SECRET_KEY),
            ("S3_BUCKET", S3_BUCKET),
            ("ALLOWED_HOSTS", os.environ.get("ALLOWED_HOSTS", "")),
        ]
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            "COLLAB_PRODUCTION=1 needs these variables: " + ", ".join(missing)
        )
    # docker/.env.example marks what an operator must fill in with CHANGE-ME.
    unfilled = [
        name
        for name in ("DJANGO_SECRET_KEY", "DATABASE_URL", "S3_ACCESS_KEY", "S3_SECRET_KEY")
        if "CHANGE-ME" in os.environ.get(name, "")
    ]
    if unfilled:
        raise ImproperlyConfigured(
            "These variables still hold the CHANGE-ME placeholder of docker/.env.example: "
            + ", ".join(unfilled)
        )
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters.")
    if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured("COLLAB_PRODUCTION=1 needs a PostgreSQL DATABASE_URL.")
elif not SECRET_KEY:
    SECRET_KEY = _development_secret_key()

# The address people outside the intranet reach it by: official documents
# print verification links and QR codes from it, so it must be absolute and
# real in production (a relative or local link on paper verifies nothing).
COLLAB_PUBLIC_URL = os.environ.get("COLLAB_PUBLIC_URL", "").strip().rstrip("/")
if not COLLAB_PUBLIC_URL:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "COLLAB_PUBLIC_URL must be set (for example https://intranet.example.gov.ma): "
            "official documents print their verification link from it."
        )
    COLLAB_PUBLIC_URL = "http://127.0.0.1:8000"
if not COLLAB_PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("COLLAB_PUBLIC_URL must be an absolute http(s) URL.")

# Never "*": it would also switch off the WebSocket origin check.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
if "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list real host names, never '*'.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    # The announcement editor: its JavaScript and CSS come from the wheel,
    # served by Django static like ours (no CDN, no npm at run time).
    "django_prose_editor",
    # Before collab: axes's sign-in receivers run first and mark a locked-out
    # attempt, which collab.audit then records once, as a lockout.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "collab",
    "chat",
    "files",
    "announcements",
    "requests.apps.RequestsConfig",
    "press",
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the session or the user: 503 while the database is down.
    "collab.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(); then a session that needs a second factor
    # sees only the code pages until it gives one.
    "django_otp.middleware.OTPMiddleware",
    "collab.two_factor.RequireVerifiedMiddleware",
    # An external account (press company) reaches the press space only.
    "press.middleware.ExternalAccountMiddleware",
    "collab.middleware.UserLanguageMiddleware",
    # After the user's language is known: its refusals are in that language.
    "collab.middleware.TextInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Inside django-htmx's: sees which htmx headers the view read, adds them to Vary.
    "collab.middleware.HtmxVaryMiddleware",
    "collab.audit.AuditMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "collab.urls"
ASGI_APPLICATION = "asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "collab.context_processors.header",
                "announcements.context_processors.urgent_banners",
            ],
        },
    },
]

# SQLite (the embedded default, or a sqlite:// URL) is shared by Daphne's
# threads and the scheduler process: WAL lets readers run beside the writer,
# and IMMEDIATE transactions take the write lock at BEGIN, so a transaction
# waits its turn (timeout) instead of failing with "database is locked" when
# it first writes.
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if "sqlite" in DATABASES["default"]["ENGINE"]:
        DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        options = DATABASES["default"].setdefault("OPTIONS", {})
        # libpq waits forever for an unreachable host by default: bound it so
        # requests and /healthz fail fast instead of hanging.
        connect_timeout = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", 5))
        options.setdefault("connect_timeout", connect_timeout)
        if env_bool("DATABASE_POOL", default=True):
            # Django's ASGI handler runs each request in a thread of its own,
            # so a persistent connection (CONN_MAX_AGE) is never reused by the
            # next request: every page paid a new connection, 8-14 ms here. A
            # pool shared by the process's threads instead (docs/benchmarks.md,
            # "Database connections"). Off (DATABASE_POOL=0) behind PgBouncer.
            DATABASES["default"]["CONN_MAX_AGE"] = 0
            # No CONN_HEALTH_CHECKS: the pool's check backs off a second, then
            # two, after each dead connection, so after a restart pages timed
            # out one after the other. collab.middleware tests the connection
            # of each page and has the pool replace all dead ones at once.
            options["pool"] = {
                "min_size": 1,
                "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", 16)),
                # Seconds a request waits for a connection. Shorter than
                # Daphne's WebSocket handshake timeout (60 s in collab.server,
                # 5 s in plain Daphne): with the database
                # out of reach, a handshake must still be answered (4503, see
                # collab/faults.py) before Daphne drops it without an answer.
                "timeout": int(os.environ.get("DATABASE_POOL_TIMEOUT", 3)),
            }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "collab.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
            # Kept by threads that serve one request after another (uploads,
            # sockets); a page's thread is its own under ASGI and connects anyway.
            "CONN_MAX_AGE": 60,
            # A file, not memory: the browser tests' Daphne subprocess opens
            # the same test database as the pytest process (tests/e2e).
            "TEST": {"NAME": str(VAR_DIR / "test-collab.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer. CHANNEL_LAYER_BACKEND picks the Redis layer: "pubsub" (the
# default) or "core". Measured with bench/channel_layers.py (1,000 sockets of
# one group on two Daphne workers, docs/benchmarks.md "Channel layer choice"):
# pub/sub sustained 5,000 deliveries/s at p99 322 ms where the core layer
# sustained 3,000/s (p99 387 ms), and had lower latency at every equal load
# on a shared 2-core box: group_send is one PUBLISH that each worker fans out
# locally, instead of a Lua script over every member plus a BZPOPMIN queue.
# redis-py 8 caps a connection pool at 100 by default; a mass disconnect of
# 1,000 sockets then failed ~800 group_discard calls with MaxConnectionsError
# (core layer, measured), so the pool is sized explicitly for either layer.
CHANNEL_LAYER_BACKEND = os.environ.get("CHANNEL_LAYER_BACKEND", "pubsub").strip().lower()
# "pubsub" is our own Redis pub/sub layer (collab/layers.py: one subscription
# per group and process, event frames written straight to the sockets).
CHANNEL_LAYER_CLASSES = {
    "pubsub": "collab.layers.RedisPubSubLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}
if CHANNEL_LAYER_BACKEND not in CHANNEL_LAYER_CLASSES:
    raise ImproperlyConfigured("CHANNEL_LAYER_BACKEND must be 'pubsub' or 'core'.")
REDIS_MAX_CONNECTIONS = int(os.environ.get("REDIS_MAX_CONNECTIONS", 2000))
# Seconds to open a connection to Redis: an unreachable Redis (a host that is
# gone, a firewall) would otherwise hold each socket handshake and each commit
# that publishes for as long as the operating system's TCP timeout.
REDIS_CONNECT_TIMEOUT = float(os.environ.get("REDIS_CONNECT_TIMEOUT", 3))


def redis_layer_host(url: str) -> dict:
    """The channel layer's host entry for REDIS_URL: one server, or a Sentinel set.

    ``redis+sentinel://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]``
    asks the Sentinels for the current primary of MASTER (the password is the
    primary's). Anything else but redis://, rediss:// and unix:// is refused
    here: the layer would fail on the first event, after the commit,
    where a failure is only logged, and every event would be lost.
    """
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower() if rest else ""
    common = {"max_connections": REDIS_MAX_CONNECTIONS,
              "socket_connect_timeout": REDIS_CONNECT_TIMEOUT}
    if scheme in {"redis", "rediss", "unix"}:
        return {"address": url, **common}
    if scheme in {"redis+sentinel", "sentinel"}:
        auth, _, location = rest.rpartition("@")
        netloc, _, path = location.partition("/")
        names = [part for part in path.split("/") if part]
        sentinels = []
        for item in filter(None, netloc.split(",")):
            host, _, port = item.rpartition(":")
            if not host or not port.isdigit():
                sentinels = []
                break
            sentinels.append((host, int(port)))
        bad = not sentinels or len(names) not in (1, 2)
        if bad or (len(names) == 2 and not names[1].isdigit()):
            raise ImproperlyConfigured(
                "A Sentinel REDIS_URL reads "
                "redis+sentinel://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]."
            )
        host = {
            "sentinels": sentinels,
            "master_name": unquote(names[0]),
            "db": int(names[1]) if len(names) == 2 else 0,
            # The Sentinels' own connections: bounded the same way.
            "sentinel_kwargs": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                                "socket_timeout": REDIS_CONNECT_TIMEOUT},
            **common,
        }
        if auth:
            user, _, password = auth.rpartition(":")
            host["password"] = unquote(password)
            if user:
                host["username"] = unquote(user)
        return host
    raise ImproperlyConfigured(
        "REDIS_URL must be the redis://, rediss:// or unix:// URL of one Redis server, or "
        f"a redis+sentinel:// URL (got {scheme or 'no scheme'}://). Redis Cluster is not "
        "supported by the channel layer: give the address of one server."
    )


if REDIS_URL:
    _redis_host = redis_layer_host(REDIS_URL)
    if CHANNEL_LAYER_BACKEND == "core":
        # redis-py 8 reads with a 5 s socket timeout by default, exactly the
        # core layer's BZPOPMIN block (brpop_timeout = 5 s): under load the read
        # times out first and the consumer dies with close code 1011 (seen in
        # bench/channel_layers.py). The read must outlast the blocking command.
        _redis_host["socket_timeout"] = 15
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": CHANNEL_LAYER_CLASSES[CHANNEL_LAYER_BACKEND],
            "CONFIG": {
                "hosts": [_redis_host],
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "collab"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# What every page reads and few writes change (announcements/urgent.py: the
# audiences of the live urgent announcements), shared by every process through
# Redis so that a change shows on the next page of every worker. Without a
# plain Redis URL (in memory, or Sentinel: Django's Redis cache takes one
# server's address) nothing is kept: each page asks the database.
_PLAIN_REDIS = REDIS_URL.partition("://")[0].lower() in {"redis", "rediss", "unix"}
if _PLAIN_REDIS:
    _shared_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Unreachable Redis: the page asks the database after at most this.
        "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                    "socket_timeout": REDIS_CONNECT_TIMEOUT},
        "KEY_PREFIX": os.environ.get("CHANNEL_LAYER_PREFIX", "collab"),
    }
else:
    _shared_cache = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
# Rendered chat messages (chat/fragments.py): in the same Redis, or in process
# memory without a plain Redis URL (one process then, in development). Only a
# cache: a message is rendered again when its fragment is missing. Three days
# cover a long weekend's resync.
CHAT_FRAGMENT_SECONDS = int(os.environ.get("CHAT_FRAGMENT_SECONDS", 3 * 86400))
_fragments_cache = (
    _shared_cache if _PLAIN_REDIS
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
          "LOCATION": "chat-fragments", "OPTIONS": {"MAX_ENTRIES": 20000}}
)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "announcements": _shared_cache,
    "chat_fragments": {**_fragments_cache, "TIMEOUT": CHAT_FRAGMENT_SECONDS},
}

# The announcements scheduler (announcements/scheduler.py) runs inside each
# Daphne process when the channel layer is in memory (`make run`): a scheduler
# process of its own could not reach that memory, and its events were lost.
# With Redis it runs as `manage.py publish_scheduled` (docker/: `scheduler`).
SCHEDULER_IN_PROCESS = env_bool("SCHEDULER_IN_PROCESS", default=not REDIS_URL)

AUTH_USER_MODEL = "collab.User"
# django-axes refuses sign-ins for a while after repeated failures; it must come
# first. The pair (username, IP address) is locked, so a wrong password typed
# from one desk never locks the same account elsewhere, and one address cannot
# try passwords on one account without limit. The cool-off is fixed: attempts
# during a lockout do not extend it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The ministry's directory (LDAP / Active Directory), off unless LDAP_SERVER_URI
# is set (README: configuration). ModelBackend stays after it, so a local
# break-glass administrator signs in when the directory is down.
from collab.directory_config import directory_settings  # noqa: E402

_DIRECTORY = directory_settings(os.environ)
globals().update(_DIRECTORY)
if _DIRECTORY:
    AUTHENTICATION_BACKENDS.insert(1, "collab.directory.DirectoryBackend")
# Single sign-on with OpenID Connect (Keycloak, ADFS, Entra ID), beside the
# password form, off unless OIDC_ISSUER is set (README: configuration).
from collab.oidc_config import oidc_settings  # noqa: E402

COLLAB_OIDC = oidc_settings(os.environ)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The lockout page, in the user's language, says for how long (HTTP 429).
AXES_LOCKOUT_CALLABLE = "collab.audit_views.locked_out"
# The same address as the audit log's (the proxy setup is described there).
AXES_CLIENT_IP_CALLABLE = "collab.audit.client_ip"
AXES_VERBOSE = False
# Roles that must give a code from an authenticator app after their password
# (django-otp, TOTP); others may enrol one from their profile.
# "none": no role must (a directory or SSO that already asks for a second factor).
OTP_REQUIRED_ROLES = [role for role in env_list(
    "OTP_REQUIRED_ROLES", ["administrator", "auditor", "communication_officer", "press_officer"]
) if role != "none"]
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "collab")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Arabic first.
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("fr", _("French")), ("en", _("English"))]
# Each app keeps its own catalogue in <app>/locale/ (see Makefile: messages).
# The core catalogue is also listed here so that its wording (the ministry's
# register) wins over django.contrib's for shared strings such as
# "Change password": installed apps listed earlier would otherwise win.
LOCALE_PATHS: list = [BASE_DIR / "collab" / "locale"]
# One date convention: dd/mm/yyyy everywhere, month names in the page's
# language, never month first (collab/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["collab.formats"]
TIME_ZONE = "Africa/Casablanca"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = []

# Our preset of the announcement editor (announcements/static/announcements/editor.js):
# the formatting readers get, per-paragraph direction, images uploaded to the file store.
DJANGO_PROSE_EDITOR_PRESETS = {
    "announcements": [
        Script("announcements/editor.js", type="module"),
    ],
}

# Official documents (collab/documents.py): the letterhead's emblem (a file
# path or a static path; a deployment replaces it), the ministry, the issuing
# directorate and the place printed on every document.
COLLAB_DOCUMENT_EMBLEM = os.environ.get("COLLAB_DOCUMENT_EMBLEM", "collab/documents/emblem.svg")
# The emblem in every page's header (a static path; empty: a plain mark).
COLLAB_HEADER_EMBLEM = os.environ.get("COLLAB_HEADER_EMBLEM", "collab/documents/emblem.svg")
COLLAB_DOCUMENT_LETTERHEAD = {
    "country": {"ar": "المملكة المغربية", "fr": "Royaume du Maroc"},
    "ministry": {"ar": os.environ.get("COLLAB_MINISTRY_NAME_AR", "وزارة التواصل"),
                 "fr": os.environ.get("COLLAB_MINISTRY_NAME_FR", "Ministère de la Communication")},
    "directorate": {
        "ar": os.environ.get("COLLAB_DIRECTORATE_NAME_AR", "مديرية الموارد البشرية"),
        "fr": os.environ.get("COLLAB_DIRECTORATE_NAME_FR", "Direction des Ressources Humaines"),
    },
    "place": {"ar": os.environ.get("COLLAB_DOCUMENT_PLACE_AR", "الرباط"),
              "fr": os.environ.get("COLLAB_DOCUMENT_PLACE_FR", "Rabat"),
              "en": os.environ.get("COLLAB_DOCUMENT_PLACE_FR", "Rabat")},
}

# File store: local disk under var/ by default, object storage when S3_* is set.
FILE_STORE_DIR = Path(os.environ.get("FILE_STORE_DIR", VAR_DIR / "files"))
FILE_STORE = "s3" if S3_ENDPOINT else "local"
# Files app: limits in bytes, malware scanning.
FILES_MAX_SIZE = int(os.environ.get("FILES_MAX_SIZE", 5 * 1024**3))
FILES_USER_QUOTA = int(os.environ.get("FILES_USER_QUOTA", 20 * 1024**3))
# How long the quota an upload holds counts while it runs: past this, the
# hold of a process that died mid-upload is ignored (and swept).
FILES_RESERVATION_SECONDS = int(os.environ.get("FILES_RESERVATION_SECONDS", 6 * 3600))
FILES_SCAN_ENABLED = env_bool("FILES_SCAN_ENABLED", default=False)
FILES_SCANNER = os.environ.get("FILES_SCANNER", "files.scanning.ClamdScanner")
CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET", "/run/clamav/clamd.ctl")

# Dotted paths of sync callables (user) -> list of group names that every
# socket of that user joins on connect, after the consumer checked the user.
COLLAB_SOCKET_GROUP_PROVIDERS: list[str] = [
    "chat.selectors.socket_groups",  # one group per conversation the user is in
    "announcements.sockets.socket_groups",  # the all-staff announcements group
]
# The same for an external account (press space): it joins its own user and
# session groups and these only, never a directorate or an intranet group.
COLLAB_EXTERNAL_SOCKET_GROUP_PROVIDERS: list[str] = [
    "press.notices.socket_groups",  # its own company's group: its dossiers, live
]

# The press enterprise space: where an external account lands.
PRESS_HOME_URL = "/press/"

# What the e-mail digest lists (collab/digests.py): each a dotted path to a
# function (user, cutoff) -> DigestSection | None, in the digest's order.
COLLAB_DIGEST_SECTIONS: list[str] = [
    "requests.digest.approvals",
    "chat.digest.mentions",
    "chat.digest.direct_messages",
]

# Socket limits. Daphne refuses larger frames itself (see Makefile and docker/);
# the consumer also closes with 1009 if a larger text reaches it.
WEBSOCKET_MAX_FRAME_BYTES = int(os.environ.get("WEBSOCKET_MAX_FRAME_BYTES", 65536))
# On SIGTERM a worker finishes its sockets' running actions within this many
# seconds, then closes them with 1001 (collab/server.py).
SHUTDOWN_DRAIN_SECONDS = float(os.environ.get("SHUTDOWN_DRAIN_SECONDS", 10))
# Each worker checks the logins behind its open sockets this often (one batch
# of two queries) and closes those that ended by a path no signal sees, such
# as QuerySet.update(is_active=False) (collab/session_guard.py).
SESSION_SWEEP_SECONDS = float(os.environ.get("SESSION_SWEEP_SECONDS", 3))

# Outgoing mail (press space verification and notices, digests): an SMTP
# server when EMAIL_HOST is set; otherwise, outside production, printed on
# the console so `make run` works without one.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST or PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "no-reply@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    # TLS ends at the reverse proxy (docker/nginx.conf), which sets this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "layer_outage": {"()": "collab.faults.LayerOutageFilter"},
        "denied_one_line": {"()": "collab.logfilters.DeniedWithoutTraceback"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # The pool logs every failed attempt to reconnect (several a second
        # while the database is down); collab.faults logs the outage once.
        "psycopg.pool": {"level": "ERROR"},
        # Its reader logs a traceback each time it loses Redis: one line per outage instead.
        "collab.layers": {"filters": ["layer_outage"]},
        # django-axes logs every sign-in at INFO; failures and lockouts are in the audit log.
        "axes": {"level": "WARNING"},
        # weasyprint logs each rendering step at INFO: one PDF would be a dozen lines.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # A refused access is one line (the audit log has the rest), not a traceback.
        "django.request": {"filters": ["denied_one_line"]},
    },
}
