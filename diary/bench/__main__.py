"""Benchmark the diary week page against a trivial page of the same server.

Usage: ``python -m diary.bench [--schools 50] [--pupils 25000] ...`` with
DATABASE_URL pointing at a PostgreSQL server. The data set goes into a
separate database (``<name>_bench``), which is created and filled on the
first run and reused afterwards. The server is gunicorn on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass

logger = logging.getLogger("diary.bench")


@dataclass
class Timing:
    label: str
    latencies_ms: list[float]
    throughput: float
    errors: int

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
        return ordered[index]


def _bench_database_url(source: str, name: str | None) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(source)
    database = name or f"{parts.path.lstrip('/')}_bench"
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}")), database


def _ensure_database(source: str, database: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urllib.parse.urlsplit(source)
    query = dict(urllib.parse.parse_qsl(parts.query))
    connection = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        host=query.get("host") or parts.hostname,
        port=parts.port or 5432,
        password=parts.password,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if cursor.fetchone() is None:
            cursor.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database))
            )
    connection.close()


def _prepare(args: argparse.Namespace) -> list[str]:
    """Migrate and fill the database; return session keys of sample guardians."""
    import django
    from django.core.management import call_command

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User
    from diary.bench import data

    call_command("migrate", verbosity=0)
    schools, pupils = data.existing_size()
    if schools == 0:
        started = time.monotonic()
        data.generate(data.Size(schools=args.schools, pupils=args.pupils))
        schools, pupils = data.existing_size()
        print(f"Data set generated in {time.monotonic() - started:.0f} s.")
    else:
        print("Reusing the data set already in the database.")
    from journal.models import Lesson, Mark

    print(
        f"Data set: {schools} schools, {pupils} pupils, "
        f"{Lesson.objects.count()} lessons, {Mark.objects.count()} marks."
    )
    users = list(
        User.objects.filter(email__startswith="bench-").order_by("?")[: args.sessions]
    )
    keys = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(str(session.session_key))
    return keys


def _request(
    connection: http.client.HTTPConnection, path: str, cookie: str
) -> tuple[float, int]:
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    return (time.perf_counter() - started) * 1000, response.status


def _week_path(rng: random.Random) -> str:
    day = 1 + rng.randrange(0, 200)
    import datetime

    date = datetime.date(2026, 9, 1) + datetime.timedelta(days=day)
    return f"/diary/?date={date.isoformat()}"


def _measure(
    label: str, port: int, keys: list[str], paths: object, args: argparse.Namespace
) -> Timing:
    """Time sequential requests, then count requests of parallel clients."""
    rng = random.Random(7)  # noqa: S311 - spreads test requests only
    make_path = paths if callable(paths) else (lambda _rng: str(paths))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors = [], 0
    for _ in range(args.warmup):
        _request(connection, make_path(rng), f"sessionid={rng.choice(keys)}")
    for _ in range(args.requests):
        elapsed, status = _request(
            connection, make_path(rng), f"sessionid={rng.choice(keys)}"
        )
        latencies.append(elapsed)
        errors += status != 200
    connection.close()

    done = [0] * args.clients
    stop_at = time.monotonic() + args.seconds

    def client(index: int) -> None:
        local = random.Random(index)  # noqa: S311
        own = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            _, status = _request(
                own, make_path(local), f"sessionid={local.choice(keys)}"
            )
            done[index] += status == 200
        own.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    throughput = sum(done) / (time.monotonic() - started)
    return Timing(label, latencies, throughput, errors)


def _wait_until_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/diary/health/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--pupils", type=int, default=25_000)
    parser.add_argument("--database", help="benchmark database name")
    parser.add_argument("--port", type=int, default=8500)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    source = os.environ.get("DATABASE_URL")
    if not source:
        raise SystemExit("DATABASE_URL must point at the PostgreSQL server.")
    url, database = _bench_database_url(source, args.database)
    _ensure_database(source, database)
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "off",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "CONN_MAX_AGE": "60",
            # The benchmark speaks plain HTTP on loopback, with no TLS proxy.
            "SECURE_SSL_REDIRECT": "off",
            "DJANGO_SETTINGS_MODULE": "eschool.settings",
        }
    )
    keys = _prepare(args)

    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "eschool.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--threads",
            "1",
            "--log-level",
            "warning",
        ],
        env=os.environ.copy(),
    )
    try:
        _wait_until_up(args.port, time.monotonic() + 30)
        results = [
            _measure("diary week page", args.port, keys, _week_path, args),
            _measure(
                "trivial page (one query)", args.port, keys, "/diary/health/", args
            ),
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(
        f"\nMachine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; gunicorn {args.workers} sync workers; "
        f"{args.requests} sequential requests, then {args.clients} clients "
        f"for {args.seconds:.0f} s.\n"
    )
    print("| page | median, ms | 95th percentile, ms | requests/s | errors |")
    print("| --- | --- | --- | --- | --- |")
    for result in results:
        print(
            f"| {result.label} | {statistics.median(result.latencies_ms):.1f} | "
            f"{result.percentile(0.95):.1f} | {result.throughput:.0f} | "
            f"{result.errors} |"
        )
    week, trivial = results
    print(
        f"\nWeek page throughput is {week.throughput / trivial.throughput:.2f} "
        "of the trivial page's."
    )


if __name__ == "__main__":
    main()
