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


def print_page_table(pages: list[tuple[str, str]], people: dict, repeat: int,
                     width: int = 40) -> None:
    """Time each ``(who, url)`` signed in as ``people[who]`` and print one row a page."""
    from django.test import Client

    print(f"{'who':8} {'page':{width}} {'median ms':>9} {'max ms':>7} {'queries':>7} "
          f"{'bytes':>8}")
    clients = {}
    for who, url in pages:
        if who not in clients:
            clients[who] = Client()
            clients[who].force_login(people[who])
        median, worst, queries, size = measure(clients[who], url, repeat, warm_up=True)
        print(f"{who:8} {url:{width}} {median:9.1f} {worst:7.1f} {queries:7d} {size:8d}",
              flush=True)
