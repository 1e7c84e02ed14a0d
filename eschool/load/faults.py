"""Fault runs: break one server while the Monday-morning load is running.

Each fault run starts locust (``--users`` virtual users of the usual mix, and
four ESIA sign-in users for the ESIA fault), waits ``WARMUP_SECONDS``, breaks
something, and lets the load go on until the end. A probe thread requests a
guardian's diary week through the balancer four times a second. The time
until the portal returns 200 again is measured from the fault with it,
independent of locust's think times. Afterwards the run checks that every mark save the
portal acknowledged is in the database, and collects the error pages users
saw and the log lines the servers wrote during the run.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eschool.load import cluster, dataset, runner

logger = logging.getLogger(__name__)

WARMUP_SECONDS = 25
PROBE_INTERVAL_SECONDS = 0.25
ESIA_USERS = 4
# Longer than the portal's ESIA_TIMEOUT_SECONDS default of 10 s, so the
# portal's token request times out while the emulator is slow.
ESIA_SLOW_SECONDS = 12.0
LOG_PROBLEM = re.compile(
    r"ERROR|CRITICAL|FATAL|PANIC|Traceback|WARNING|\[error\]|\[crit\]"
)


@dataclass
class FaultRun:
    """Steps of one fault run, each with its time in seconds since the epoch."""

    name: str
    notes: list[tuple[float, str]] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append((time.time(), text))
        logger.info("%s: %s", self.name, text)


class Probe:
    """GET a guardian's diary week through the balancer every 0.25 s."""

    def __init__(self, session: str, student_id: int) -> None:
        self.path = f"/diary/{student_id}/week/"
        self.cookie = f"sessionid={session}"
        self.results: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _once(self) -> int:
        connection = http.client.HTTPConnection(
            cluster.HOST, cluster.BALANCER_PORT, timeout=5
        )
        try:
            connection.request("GET", self.path, headers={"Cookie": self.cookie})
            response = connection.getresponse()
            response.read()
            return response.status
        except OSError:
            return 0
        finally:
            connection.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.time()
            self.results.append((started, self._once()))
            self._stop.wait(max(0.0, PROBE_INTERVAL_SECONDS - (time.time() - started)))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def recovery(self, fault_at: float) -> tuple[str, str]:
        """Return (outage, time to 200 again) after ``fault_at``, as text."""
        after = [
            (moment, status) for moment, status in self.results if moment >= fault_at
        ]
        failed = [moment for moment, status in after if status != 200]
        if not failed:
            return "none", "0 s (no failed probe)"
        last_failure = max(failed)
        back = [
            moment
            for moment, status in after
            if moment > last_failure and status == 200
        ]
        if not back:
            return f"probes failed: {len(failed)}", "not back by the end of the run"
        return (
            f"probes failed: {len(failed)}, {min(failed) - fault_at:.1f}–"
            f"{last_failure - fault_at:.1f} s after the fault",
            f"{min(back) - fault_at:.1f} s",
        )


def _pg_restart(servers: runner.Servers, run: FaultRun) -> None:
    run.note("PostgreSQL restart (pg_ctl restart -m fast) begins")
    cluster.restart_postgres()
    run.note("PostgreSQL accepts connections again")


def _worker_kill(servers: runner.Servers, run: FaultRun) -> None:
    master = servers.apps[0]
    workers = cluster.gunicorn_worker_pids(master.pid)
    if not workers:
        run.note(f"no gunicorn worker found under master {master.pid}")
        return
    os.kill(workers[0], signal.SIGKILL)
    run.note(f"SIGKILL sent to gunicorn worker {workers[0]} of master {master.pid}")


def _redis_stop(servers: runner.Servers, run: FaultRun) -> None:
    if servers.redis is not None:
        servers.redis.stop()
    run.note("Redis stopped (SIGTERM, nothing saved to disk)")
    time.sleep(20)
    servers.redis = cluster.start_redis()
    run.note("Redis started again, empty")


def _esia_slow_then_down(servers: runner.Servers, run: FaultRun) -> None:
    emulator = servers.emulator
    if emulator is None:
        raise cluster.ClusterError("The ESIA fault needs the emulator running.")
    emulator.popen.send_signal(signal.SIGUSR1)
    run.note(f"ESIA back channel slowed to {ESIA_SLOW_SECONDS:g} s per response")
    time.sleep(25)
    emulator.stop()
    run.note("ESIA emulator stopped")
    time.sleep(20)
    servers.emulator = cluster.start_emulator(dataset.ESIA_DATA_DIR, ESIA_SLOW_SECONDS)
    run.note("ESIA emulator started again, prompt")


FAULTS: dict[str, Callable[[runner.Servers, FaultRun], None]] = {
    "pg-restart": _pg_restart,
    "worker-kill": _worker_kill,
    "redis-stop": _redis_stop,
    "esia": _esia_slow_then_down,
}


def _log_files() -> list[Path]:
    return [
        *sorted((cluster.WORK_DIR / "logs").glob("gunicorn-*.log")),
        cluster.WORK_DIR / "logs" / "esia-emulator.log",
        cluster.WORK_DIR / "logs" / "redis.log",
        cluster.WORK_DIR / "nginx" / "error.log",
        cluster.PG_DIR / "log",
    ]


def _log_sizes() -> dict[Path, int]:
    return {path: path.stat().st_size if path.exists() else 0 for path in _log_files()}


def _new_log_problems(sizes: dict[Path, int]) -> dict[str, Counter[str]]:
    """Count the problem lines each log got since ``sizes`` was taken."""
    found: dict[str, Counter[str]] = {}
    for path in _log_files():
        if not path.exists():
            continue
        with path.open("rb") as handle:
            handle.seek(sizes.get(path, 0))
            text = handle.read().decode("utf-8", errors="replace")
        counter: Counter[str] = Counter()
        for line in text.splitlines():
            if LOG_PROBLEM.search(line):
                # Drop the time stamp and numbers so that repeats count together.
                shape = re.sub(r"\d+", "N", line)[:160]
                counter[shape] += 1
        if counter:
            found[path.name] = counter
    return found


def _error_pages(events: list[dict[str, object]]) -> Counter[str]:
    pages: Counter[str] = Counter()
    for row in events:
        if row["kind"] in ("error_page", "unexpected"):
            traceback = " with a traceback" if row.get("traceback") else ""
            pages[f"{row['status']} «{row['title']}»{traceback}"] += 1
    return pages


def _esia_outcomes(
    events: list[dict[str, object]], notes: list[tuple[float, str]]
) -> list[str]:
    """Count ESIA sign-in outcomes between the notes of the run."""
    edges = [0.0, *[moment for moment, _ in notes], float("inf")]
    labels = ["before the fault", *[text for _, text in notes]]
    lines = []
    for start, end, label in zip(edges, edges[1:], labels, strict=False):
        outcomes = Counter(
            str(row["outcome"])
            for row in events
            if row["kind"] == "esia_sign_in" and start <= float(str(row["t"])) < end
        )
        lines.append(f"{label}: {dict(outcomes) or 'no sign-in finished'}")
    return lines


def _latency_windows(events: list[dict[str, object]], fault_at: float) -> str:
    """Describe p50 / p95 of all requests before and in the 30 s after the fault."""
    windows = (
        ("before", float("-inf"), fault_at),
        ("0–30 s after", fault_at, fault_at + 30),
        ("later", fault_at + 30, float("inf")),
    )
    parts = []
    for label, start, end in windows:
        times = [
            float(str(row["ms"]))
            for row in events
            if row["kind"] == "request" and start <= float(str(row["t"])) < end
        ]
        p50 = runner.percentile(times, 0.5)
        p95 = runner.percentile(times, 0.95)
        parts.append(f"{label} {p50:.0f} / {p95:.0f} ms")
    return "; ".join(parts)


def run_faults(names: list[str], users: int, seconds: int, app_servers: int) -> None:
    """Run each named fault under load and print a Markdown report."""
    report: list[str] = []
    with runner.running_servers(
        app_servers, False, esia_slow_seconds=ESIA_SLOW_SECONDS
    ) as servers:
        for name in names:
            report.extend(_run_one(name, servers, users, seconds, app_servers))
    print("\n".join(report))


@dataclass
class FaultOutcome:
    """Measurements of one fault run, taken after locust has stopped."""

    run: FaultRun
    fault_at: float
    events: list[dict[str, object]]
    marks_added: int
    load: str
    probe: Probe
    log_sizes: dict[Path, int]


def _run_one(
    name: str,
    servers: runner.Servers,
    users: int,
    seconds: int,
    app_servers: int,
) -> list[str]:
    """Run one fault under load and return its report lines."""
    tag = f"fault-{name}"
    plan_path = cluster.WORK_DIR / f"{tag}-plan.json"
    dataset.build_plan(
        users + 1, servers.esia_oids, plan_path, seed=list(FAULTS).index(name)
    )
    # The probe uses the plan's last guardian, which no virtual user reaches.
    guardian = json.loads(plan_path.read_text("utf-8"))["guardians"][-1]
    before = runner.count_marks()
    runner.close_django_connections()
    sizes = _log_sizes()
    run = FaultRun(name)
    probe = Probe(guardian["session"], guardian["student_ids"][0])
    classes = [*runner.DIARY_CLASSES, *(["EsiaUser"] if name == "esia" else [])]

    with runner.LoadSampler() as sampler:
        process, events_path = runner.start_locust(
            users, seconds, tag, plan_path, classes, ESIA_USERS
        )
        probe.start()
        time.sleep(WARMUP_SECONDS)
        fault_at = time.time()
        FAULTS[name](servers, run)
        process.wait()
        probe.stop()

    outcome = FaultOutcome(
        run=run,
        fault_at=fault_at,
        events=runner.read_events(events_path),
        marks_added=runner.count_marks() - before,
        load=sampler.summary(),
        probe=probe,
        log_sizes=sizes,
    )
    lines = [
        f"### {name}",
        "",
        f"- load: {users} users, {seconds} s, {app_servers} app server(s); "
        f"peak 1-minute load average {outcome.load} on {runner.CORES} CPUs; "
        f"code {runner.code_version()}",
        *_report_lines(outcome),
        "",
    ]
    for line in lines:
        print(line, flush=True)
    return lines


def _report_lines(outcome: FaultOutcome) -> list[str]:
    """Describe the steps, recovery, failures, marks and logs of a fault run."""
    run, fault_at, events = outcome.run, outcome.fault_at, outcome.events
    summary = runner.summarise(events)
    missing = runner.missing_saves(summary.saved)
    outage, recovered = outcome.probe.recovery(fault_at)
    steps = "; ".join(
        f"+{moment - fault_at:.1f} s {text}" for moment, text in run.notes
    )
    lines = [
        f"- steps: {steps}",
        f"- probe: {outage}; diary week returns 200 again after {recovered}",
        f"- all requests, p50 / p95: {_latency_windows(events, fault_at)}",
        f"- requests: {summary.requests}, failed {summary.errors} "
        f"({summary.server_errors} 5xx, {summary.timeouts} timeouts or refused, "
        f"{summary.unexpected} other 4xx)",
        f"- error pages: {dict(_error_pages(events)) or 'none'}; "
        f"with a traceback: {summary.tracebacks}",
        f"- marks: {len(summary.saved)} saves acknowledged, "
        f"{outcome.marks_added} marks added, "
        f"{len(missing)} acknowledged saves missing",
    ]
    if run.name == "esia":
        lines.append(
            "- ESIA sign-ins: " + " | ".join(_esia_outcomes(events, run.notes))
        )
    for log_name, counter in _new_log_problems(outcome.log_sizes).items():
        common = "; ".join(
            f"{count} × {shape}" for shape, count in counter.most_common(4)
        )
        lines.append(f"- log {log_name}: {common}")
    return lines
