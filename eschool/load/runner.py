"""Start the servers, run locust headless and summarise one load run.

The runner stops every process it starts on exit, also after an error, and
PostgreSQL only when this run started it. Its files (plan, locust CSVs,
events, server logs) go to ``var/h3-load``.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eschool.load import cluster, dataset

logger = logging.getLogger(__name__)

CORES = os.cpu_count() or 1
LOCUST_FILE = Path(__file__).resolve().parent / "locustfile.py"
DIARY_CLASSES = ["GuardianUser", "StudentUser", "TeacherUser"]
REPLICA_DIR = cluster.BASE_DIR / "var" / "h3-replica"


def app_environment(secret_key: str, replica_url: str | None) -> dict[str, str]:
    """Return the environment of the app servers and of the runner's Django."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="eschool.settings",
        DEBUG="off",
        SECRET_KEY=secret_key,
        DATABASE_URL=cluster.database_url(),
        CONN_MAX_AGE="60",
        # Plain HTTP on loopback, with no TLS in front.
        SECURE_SSL_REDIRECT="off",
        STATIC_ROOT=str(cluster.WORK_DIR / "static"),
        REDIS_URL=f"redis://{cluster.HOST}:{cluster.REDIS_PORT}/0",
        ESIA_BASE_URL=f"http://{cluster.HOST}:{cluster.ESIA_PORT}",
        ESIA_PUBLIC_KEY_FILES=str(dataset.ESIA_DATA_DIR / "esia_public.pem"),
        ESIA_PORTAL_KEY_FILE=str(dataset.PORTAL_KEY_FILE),
        ESIA_PORTAL_CERT_FILE=str(dataset.PORTAL_CERT_FILE),
        ESIA_ISSUER="http://esia.gosuslugi.ru/",
        LOG_LEVEL="INFO",
    )
    env.pop("DATABASE_REPLICA_URL", None)
    if replica_url:
        env["DATABASE_REPLICA_URL"] = replica_url
    return env


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process like the app servers, then migrate."""
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    if not (cluster.WORK_DIR / "static" / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def close_django_connections() -> None:
    from django.db import connections

    connections.close_all()


def count_marks() -> int:
    """Count all marks over a new connection.

    A fault run's PostgreSQL restart breaks the kept connection, so each
    count opens its own.
    """
    from journal.models import Mark

    close_django_connections()
    return Mark.objects.count()


def start_replica() -> str:
    """Start a streaming replica of the load server and return its URL.

    eschool.replica copies the server with pg_basebackup on first use; the
    replica listens on a Unix socket in ``var/h3-replica`` only.
    """
    from eschool import replica

    return replica.start(cluster.database_url(), REPLICA_DIR, cluster.REPLICA_PORT)


@dataclass
class Servers:
    """The processes of one run; ``stop_all`` stops them in reverse order."""

    env: dict[str, str]
    redis: cluster.Process | None = None
    apps: list[cluster.Process] = field(default_factory=list)
    balancer: cluster.Balancer | None = None
    emulator: cluster.Process | None = None
    replica: bool = False
    # ESIA oids of the guardians who may sign in through the emulator.
    esia_oids: list[str] = field(default_factory=list)

    def stop_all(self) -> None:
        for process in (self.emulator, self.balancer, *reversed(self.apps), self.redis):
            if process is not None:
                try:
                    process.stop()
                except OSError as error:
                    logger.warning("Stopping a server failed: %s", error)
        if self.replica:
            from eschool import replica

            replica.stop(REPLICA_DIR)


def workers_per_server(app_servers: int) -> int:
    """Split gunicorn's default of 2 × cores + 1 workers between the servers.

    Each of two servers gets half of that plus one (3 each on 2 cores), so the
    two together have about as many workers as one server alone.
    """
    return max(2, (2 * CORES + 1) // app_servers + (1 if app_servers > 1 else 0))


@contextmanager
def running_servers(
    app_servers: int, replica: bool, esia_slow_seconds: float | None = None
) -> Iterator[Servers]:
    """Start PostgreSQL, Redis, gunicorn, nginx and, if asked, the emulator.

    ``esia_slow_seconds`` set starts the ESIA emulator with that back-channel
    delay behind SIGUSR1. PostgreSQL is stopped at the end only when this
    call started it.
    """
    cluster.init_postgres()
    started_postgres = not cluster.postgres_is_running()
    cluster.start_postgres()
    servers = Servers(env={}, replica=replica)
    try:
        dataset.copy_dataset()
        replica_url = start_replica() if replica else None
        servers.env = app_environment(secrets.token_urlsafe(48), replica_url)
        servers.redis = cluster.start_redis()
        setup_django(servers.env)
        dataset.prepare_accounts()
        servers.esia_oids = dataset.prepare_esia_people()
        close_django_connections()
        if esia_slow_seconds is not None:
            servers.emulator = cluster.start_emulator(
                dataset.ESIA_DATA_DIR, esia_slow_seconds
            )
        workers = workers_per_server(app_servers)
        for port in cluster.APP_PORTS[:app_servers]:
            servers.apps.append(cluster.start_gunicorn(port, workers, 4, servers.env))
        servers.balancer = cluster.start_balancer(cluster.APP_PORTS[:app_servers])
        yield servers
    finally:
        close_django_connections()
        servers.stop_all()
        if started_postgres:
            cluster.stop_postgres()


class LoadSampler:
    """Sample the 1-minute load average every 5 s in a background thread."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(5.0):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self) -> float | None:
        return max(self.samples) if self.samples else None

    def summary(self) -> str:
        peak = self.peak()
        return "n/a" if peak is None else f"{peak:.1f}"


def locust_command(
    users: int, seconds: int, csv_prefix: Path, classes: list[str]
) -> list[str]:
    # A ten-second ramp: everybody opens the portal at about eight o'clock.
    spawn_rate = max(1, users // 10)
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUST_FILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "15",
        "--host",
        f"http://{cluster.HOST}:{cluster.BALANCER_PORT}",
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        *classes,
    ]


def start_locust(
    users: int,
    seconds: int,
    tag: str,
    plan: Path,
    classes: list[str],
    esia_users: int = 0,
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start locust in the background; return the process and its events file."""
    events = cluster.WORK_DIR / f"{tag}-events.jsonl"
    events.unlink(missing_ok=True)
    env = dict(os.environ)
    env.update(
        LOAD_PLAN=str(plan),
        LOAD_EVENTS=str(events),
        LOAD_ESIA_URL=f"http://{cluster.HOST}:{cluster.ESIA_PORT}",
        LOAD_ESIA_USERS=str(esia_users),
    )
    log = (cluster.WORK_DIR / "logs" / f"locust-{tag}.log").open("ab")
    process = subprocess.Popen(  # noqa: S603
        locust_command(users, seconds, cluster.WORK_DIR / tag, classes),
        cwd=cluster.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    logger.info("locust started: %s users for %s s (%s)", users, seconds, tag)
    return process, events


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue  # a line cut off when locust was stopped
    return rows


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


@dataclass
class Summary:
    """Numbers of one locust run, from its events file."""

    requests: int
    seconds: float
    week_ms: list[float]
    all_ms: list[float]
    # The diary week's times of requests sent after the warm-up, once every
    # virtual user has arrived and made its first, uncached requests.
    steady_week_ms: list[float]
    server_errors: int
    timeouts: int
    unexpected: int
    tracebacks: int
    saved: list[tuple[int, int, str]]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.server_errors + self.timeouts + self.unexpected


def summarise(events: list[dict[str, Any]], warmup_seconds: float = 0.0) -> Summary:
    """Sum up one run; ``warmup_seconds`` from its first request on are left
    out of the steady-state percentiles."""
    requests = [row for row in events if row["kind"] == "request"]
    times = [row["t"] for row in requests]
    failures = [row for row in requests if not row["ok"]]
    week = [row for row in requests if row["name"] == "diary week"]
    steady_from = (min(times) if times else 0.0) + warmup_seconds
    return Summary(
        requests=len(requests),
        seconds=(max(times) - min(times)) if times else 0.0,
        week_ms=[row["ms"] for row in week],
        all_ms=[row["ms"] for row in requests],
        # An event's time is when the response arrived, so the request began
        # ``ms`` earlier.
        steady_week_ms=[
            row["ms"] for row in week if row["t"] - row["ms"] / 1000 >= steady_from
        ],
        server_errors=sum(1 for row in failures if row["status"] >= 500),
        timeouts=sum(1 for row in failures if row["status"] == 0),
        unexpected=sum(1 for row in failures if 0 < row["status"] < 500),
        tracebacks=sum(
            1 for row in events if row["kind"] == "error_page" and row["traceback"]
        ),
        saved=[
            (row["lesson"], row["student"], row["value"])
            for row in events
            if row["kind"] == "saved"
        ],
    )


def missing_saves(saved: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Return acknowledged saves whose mark is not in the database."""
    from journal.models import Mark

    if not saved:
        return []
    found = set(
        Mark.objects.filter(
            lesson_id__in={lesson for lesson, _, _ in saved},
            student_id__in={student for _, student, _ in saved},
        ).values_list("lesson_id", "student_id", "score")
    )
    return [
        (lesson, student, value)
        for lesson, student, value in saved
        if (lesson, student, int(value)) not in found
    ]


def code_version() -> str:
    """Return the checked-out commit, with "+changes" when the tree differs."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=cluster.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=cluster.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+changes" if changed else commit


def machine_line(load: str) -> str:
    return (
        f"Machine: {platform.platform()}, {CORES} CPUs, Python "
        f"{platform.python_version()}; code {code_version()}; peak 1-minute load "
        f"average during the runs {load}."
    )


TABLE_HEADER = (
    "| users | app servers | requests | requests/s | diary week p50 / p95 / p99, ms "
    "| diary week after the warm-up, p50 / p95 / p99, ms "
    "| all pages p50 / p95 / p99, ms | errors (5xx / timeouts / other 4xx) "
    "| saves acknowledged | marks added | acknowledged saves missing "
    "| load average, max |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def table_row(
    users: int,
    app_servers: int,
    summary: Summary,
    marks_added: int,
    missing: int,
    load: str,
) -> str:
    def triple(values: list[float]) -> str:
        return " / ".join(
            f"{percentile(values, share):.0f}" for share in (0.5, 0.95, 0.99)
        )

    return (
        f"| {users} | {app_servers} | {summary.requests} | {summary.rate:.1f} "
        f"| {triple(summary.week_ms)} | {triple(summary.steady_week_ms)} "
        f"| {triple(summary.all_ms)} "
        f"| {summary.errors} ({summary.server_errors} / {summary.timeouts} / "
        f"{summary.unexpected}) | {len(summary.saved)} | {marks_added} | {missing} "
        f"| {load} |"
    )


def run(
    user_counts: list[int],
    seconds: int,
    app_servers: int,
    replica: bool,
    warmup_seconds: int = 30,
) -> list[str]:
    """Run locust once per user count against one set of servers; return rows."""
    rows = []
    peaks: list[float] = []
    with running_servers(app_servers, replica):
        for users in user_counts:
            tag = f"run-{app_servers}app{'-replica' if replica else ''}-{users}u"
            plan = cluster.WORK_DIR / f"{tag}-plan.json"
            dataset.build_plan(users, [], plan, seed=users)
            before = count_marks()
            close_django_connections()
            with LoadSampler() as sampler:
                process, events_path = start_locust(
                    users, seconds, tag, plan, DIARY_CLASSES
                )
                process.wait()
            summary = summarise(read_events(events_path), warmup_seconds)
            added = count_marks() - before
            lost = missing_saves(summary.saved)
            if lost:
                logger.error("%s acknowledged saves are missing: %s", len(lost), lost)
            if summary.tracebacks:
                logger.error("%s error pages contained a traceback", summary.tracebacks)
            row = table_row(
                users, app_servers, summary, added, len(lost), sampler.summary()
            )
            print(row, flush=True)
            rows.append(row)
            peak = sampler.peak()
            if peak is not None:
                peaks.append(peak)
    load = f"{max(peaks):.1f}" if peaks else "n/a"
    print(f"\n{machine_line(load)}\n\n{TABLE_HEADER}")
    for row in rows:
        print(row)
    return rows
