"""Production settings, checked in fresh processes (settings load once per process).

The documented configuration is docker/.env.example itself: with its values
(and a real secret key) `manage.py check --deploy` passes; without any of
the required variables the intranet refuses to start and names the variable.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / "docker" / ".env.example"
REQUIRED = [
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "S3_ENDPOINT",
    "S3_ACCESS_KEY",
    "S3_SECRET_KEY",
    "S3_BUCKET",
    "ALLOWED_HOSTS",
]


def documented_env() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def production_env(tmp_path, **changes) -> dict[str, str]:
    """A clean environment: none of this test run's variables leak in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "S3_", "COLLAB_", "SECURE_", "CHANNEL_LAYER", "PYTEST"))
        and key not in {"DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"}
    }
    # An operator filling in the example: every CHANGE-ME replaced, a real key.
    password = secrets.token_hex(16)
    env.update(
        {name: value.replace("CHANGE-ME", password) for name, value in documented_env().items()}
    )
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(64)
    env["COLLAB_VAR_DIR"] = str(tmp_path / "var")
    env["DJANGO_SETTINGS_MODULE"] = "collab.settings"
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_env_example_documents_every_required_variable():
    documented = documented_env()
    for name in [*REQUIRED, "COLLAB_PRODUCTION", "CSRF_TRUSTED_ORIGINS"]:
        assert name in documented, f"docker/.env.example does not document {name}"
    assert documented["COLLAB_PRODUCTION"] == "1"


def test_documented_settings_pass_check_deploy(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_hardened(tmp_path):
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_PROXY_SSL_HEADER, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'], "
        "s.CHANNEL_LAYERS['default']['BACKEND'], s.FILE_STORE, "
        "s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['max_connections'] > 100)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "['intranet.example.gov.ma']",
        "django.db.backends.postgresql",
        "collab.layers.RedisPubSubLayer",
        "s3",
        "True",
    ]
    # Production never falls back to a generated development key.
    assert not (tmp_path / "var" / "secret_key").exists()


@pytest.mark.parametrize("name", REQUIRED)
def test_missing_variable_refuses_to_start(tmp_path, name):
    result = manage(production_env(tmp_path, **{name: None}), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.splitlines()[-1], result.stderr[-1000:]


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"])
def test_empty_variable_refuses_to_start(tmp_path, name):
    result = manage(production_env(tmp_path, **{name: ""}), "check")
    assert result.returncode != 0
    assert name in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"DJANGO_SECRET_KEY": "too-short-secret"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "CHANGE-ME"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + "x" * 60}, "DJANGO_SECRET_KEY"),
        ({"DATABASE_URL": "sqlite:///tmp/collab.sqlite3"}, "PostgreSQL"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "intranet.example.gov.ma,*"}, "ALLOWED_HOSTS"),
        ({"CHANNEL_LAYER_BACKEND": "memory"}, "CHANNEL_LAYER_BACKEND"),
    ],
)
def test_weak_production_values_refused(tmp_path, changes, message):
    result = manage(production_env(tmp_path, **changes), "check")
    assert result.returncode != 0
    last = result.stderr.splitlines()[-1]
    assert "ImproperlyConfigured" in last and message in last, result.stderr[-1000:]


@pytest.mark.parametrize("name", ["DATABASE_URL", "S3_SECRET_KEY", "DJANGO_SECRET_KEY"])
def test_unfilled_example_placeholder_refused(tmp_path, name):
    placeholder = documented_env()[name]
    if name == "DJANGO_SECRET_KEY":
        placeholder = "CHANGE-ME" + "x" * 60  # long enough to pass the length rule
    assert "CHANGE-ME" in placeholder
    result = manage(production_env(tmp_path, **{name: placeholder}), "check")
    assert result.returncode != 0
    last = result.stderr.splitlines()[-1]
    assert "CHANGE-ME" in last and name in last, result.stderr[-1000:]


def test_wildcard_host_refused_outside_production_too(tmp_path):
    env = production_env(tmp_path, COLLAB_PRODUCTION=None, ALLOWED_HOSTS="*")
    result = manage(env, "check")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr.splitlines()[-1]


def test_core_layer_is_selectable_with_a_sized_pool(tmp_path):
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "c = s.CHANNEL_LAYERS['default']; print(c['BACKEND'], c['CONFIG']['hosts'][0])"
    )
    env = production_env(tmp_path, CHANNEL_LAYER_BACKEND="core", REDIS_MAX_CONNECTIONS="1500")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "channels_redis.core.RedisChannelLayer "
        "{'address': 'redis://redis:6379/0', 'max_connections': 1500, "
        "'socket_connect_timeout': 3.0, 'socket_timeout': 15}"
    )


@pytest.mark.parametrize(
    "url, problem",
    [
        ("redis+cluster://node-1:7000,node-2:7000", "Redis Cluster is not supported"),
        ("rediss+cluster://node-1:7000", "Redis Cluster is not supported"),
        ("redis-1:6379", "Redis Cluster is not supported"),
        ("redis+sentinel://sentinel-1/collab", "A Sentinel REDIS_URL reads"),
        ("redis+sentinel://sentinel-1:26379", "A Sentinel REDIS_URL reads"),
        ("redis+sentinel://sentinel-1:26379/collab/zero", "A Sentinel REDIS_URL reads"),
    ],
)
def test_unusable_redis_url_refused_at_start(tmp_path, url, problem):
    # Every event would otherwise be lost: the layer fails on the first
    # publish, after the commit, where a failure is only logged.
    result = manage(production_env(tmp_path, REDIS_URL=url), "check")
    assert result.returncode != 0
    assert problem in result.stderr.splitlines()[-1]


def test_sentinel_url_names_the_sentinels_and_the_primary(tmp_path):
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0])"
    )
    env = production_env(
        tmp_path, REDIS_URL="redis+sentinel://:s%40cret@sentinel-1:26379,sentinel-2:26380/collab/2"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str({
        "sentinels": [("sentinel-1", 26379), ("sentinel-2", 26380)],
        "master_name": "collab",
        "db": 2,
        "sentinel_kwargs": {"socket_connect_timeout": 3.0, "socket_timeout": 3.0},
        "max_connections": 2000,
        "socket_connect_timeout": 3.0,
        "password": "s@cret",
    })


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({}, "0 {'min_size': 1, 'max_size': 16, 'timeout': 3}"),
        ({"DATABASE_POOL_MAX_SIZE": "24", "DATABASE_POOL_TIMEOUT": "2"},
         "0 {'min_size': 1, 'max_size': 24, 'timeout': 2}"),
        ({"DATABASE_POOL": "0"}, "60 None"),  # PgBouncer pools instead
    ],
    ids=["pooled", "pool size", "no pool"],
)
def test_postgresql_connections_are_pooled(tmp_path, changes, expected):
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], d['OPTIONS'].get('pool'))"
    )
    env = production_env(tmp_path, **changes)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
