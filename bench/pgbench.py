"""What the PostgreSQL page benchmarks share: a throwaway database of their
own on the server they are given, and the timing of one page through
Django's test client (server time, no network)."""

from __future__ import annotations

import statistics
import time
from urllib.parse import urlparse, urlunparse


def database_url(server_url: str, name: str) -> str:
    return urlunparse(urlparse(server_url)._replace(path="/" + name))


def create_database(server_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(client, url: str, repeat: int, *, warm_up: bool = False):
    """Median and worst milliseconds, SQL queries and body bytes of ``url``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if warm_up:
        client.get(url)  # templates, per-process caches
    times, queries, size = [], 0, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else \
                response.content
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries, size = len(captured), len(body)
    return statistics.median(times), max(times), queries, size
