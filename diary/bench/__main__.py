"""Benchmark the diary week page against a trivial page of the same server.

Usage: ``python -m diary.bench [--schools 50] [--pupils 25000] ...`` with
DATABASE_URL pointing at a PostgreSQL server. The data set goes into a
separate database (``<name>_bench``), which is created and filled on the
first run and reused afterwards. The server is gunicorn on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import datetime
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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from diary.bench.journal import CellTarget

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


@dataclass
class Prepared:
    """Session keys and targets of the timed requests."""

    guardian_keys: list[str]
    grids: list[tuple[str, str]]
    cells: list[CellTarget]


def _prepare(args: argparse.Namespace) -> Prepared:
    """Migrate and fill the database; open sessions for guardians and teachers."""
    import django
    from django.core.management import call_command

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User
    from diary.bench import data, journal
    from journal.dates import local_today

    call_command("migrate", verbosity=0)
    # DEBUG=off serves hashed static names, which need the manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
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

    def make_session(user: User) -> str:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return str(session.session_key)

    users = list(
        User.objects.filter(email__startswith="bench-")
        .exclude(email__startswith="bench-teacher-")
        .order_by("?")[: args.sessions]
    )
    rng = random.Random(11)  # noqa: S311 - picks test data only
    grids = journal.grid_sessions(args.grids, make_session, rng)
    cells = journal.empty_cells(grids, local_today("Europe/Moscow"), args.requests)
    return Prepared([make_session(user) for user in users], grids, cells)


# Any 32 letters work: the benchmark sends the same value as cookie and header.
CSRF_SECRET = secrets.token_hex(16)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    session_key: str
    body: str = ""


def _send(
    connection: http.client.HTTPConnection, request: Request
) -> tuple[float, int]:
    headers = {"Cookie": f"sessionid={request.session_key}"}
    if request.method == "POST":
        # Django accepts an unmasked CSRF secret in the header when it equals
        # the cookie; htmx sends HX-Request on every cell save.
        headers.update(
            {
                "Cookie": f"{headers['Cookie']}; csrftoken={CSRF_SECRET}",
                "X-CSRFToken": CSRF_SECRET,
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            }
        )
    started = time.perf_counter()
    connection.request(request.method, request.path, body=request.body, headers=headers)
    response = connection.getresponse()
    response.read()
    return (time.perf_counter() - started) * 1000, response.status


def _week_request(keys: list[str], random_week: bool) -> Callable[..., Request]:
    def make(rng: random.Random) -> Request:
        key = rng.choice(keys)
        if not random_week:
            return Request("GET", "/diary/", key)
        date = datetime.date(2026, 9, 1) + datetime.timedelta(days=rng.randrange(200))
        return Request("GET", f"/diary/?date={date.isoformat()}", key)

    return make


def _cell_requests(cells: list[CellTarget]) -> Callable[..., Request]:
    remaining = list(cells)

    def make(rng: random.Random) -> Request:
        cell = remaining.pop()
        body = urllib.parse.urlencode(
            {
                "value": str(rng.choice([2, 3, 4, 5])),
                "work_type": cell.work_type_id,
                "state": "a;",
            }
        )
        path = f"/journal/lessons/{cell.lesson_id}/cells/{cell.student_id}/"
        return Request("POST", path, cell.session_key, body)

    return make


def _measure(
    label: str,
    port: int,
    make_request: Callable[[random.Random], Request],
    args: argparse.Namespace,
    *,
    count: int | None = None,
    parallel: bool = True,
) -> Timing:
    """Time sequential requests, then count requests of parallel clients."""
    rng = random.Random(7)  # noqa: S311 - spreads test requests only
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors = [], 0
    if parallel:
        for _ in range(args.warmup):
            _send(connection, make_request(rng))
    for _ in range(count or args.requests):
        elapsed, status = _send(connection, make_request(rng))
        latencies.append(elapsed)
        errors += status != 200
    connection.close()
    if not parallel:
        return Timing(label, latencies, 0.0, errors)

    done = [0] * args.clients
    stop_at = time.monotonic() + args.seconds

    def client(index: int) -> None:
        local = random.Random(index)  # noqa: S311
        own = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            _, status = _send(own, make_request(local))
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
    parser.add_argument(
        "--grids", type=int, default=20, help="teachers' journal grids to open"
    )
    parser.add_argument(
        "--redis-url",
        help="REDIS_URL for the portal's cache and sessions (default: none, "
        "so each worker has its own local-memory cache)",
    )
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
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    prepared = _prepare(args)
    keys = prepared.guardian_keys

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
        # Random weeks first, so that they find few weeks in the cache.
        results = [
            _measure(
                "diary week page, random weeks of the year",
                args.port,
                _week_request(keys, random_week=True),
                args,
            ),
            _measure(
                "diary week page, this week",
                args.port,
                _week_request(keys, random_week=False),
                args,
            ),
            _measure(
                "trivial page (one query)",
                args.port,
                lambda rng: Request("GET", "/diary/health/", rng.choice(keys)),
                args,
            ),
            _measure(
                f"journal grid ({len(prepared.grids)} teachers)",
                args.port,
                lambda rng: Request("GET", *reversed(rng.choice(prepared.grids))),
                args,
                count=min(args.requests, 200),
            ),
            _measure(
                "save one journal cell",
                args.port,
                _cell_requests(prepared.cells),
                args,
                count=len(prepared.cells),
                parallel=False,
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
    cold, warm, trivial = results[:3]
    print(
        f"\nWeek page throughput is {cold.throughput / trivial.throughput:.2f} "
        f"(random weeks) and {warm.throughput / trivial.throughput:.2f} "
        "(this week) of the trivial page's."
    )


if __name__ == "__main__":
    main()
