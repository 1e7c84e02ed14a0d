"""Tests of the load runner's own logic: arguments, summaries and checks.

The runs themselves need the servers and the region-sized data set, so they
are not part of the test suite. These tests cover the code that decides
their verdicts.
"""

from __future__ import annotations

import argparse

import pytest
from django.test import Client

from conftest import World
from eschool.load import dataset, runner
from eschool.load.__main__ import _seconds, _users
from eschool.load.faults import Probe
from journal.tests.factories import LessonFactory, MarkFactory


def test_users_parses_counts() -> None:
    assert _users("100,300, 500") == [100, 300, 500]


@pytest.mark.parametrize("raw", ["", "ten", "0,100", "-5"])
def test_users_rejects_bad_counts(raw: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _users(raw)


@pytest.mark.parametrize(("raw", "seconds"), [("60s", 60), ("2m", 120), ("45", 45)])
def test_seconds_parses_durations(raw: str, seconds: int) -> None:
    assert _seconds(raw) == seconds


@pytest.mark.parametrize("raw", ["5s", "soon", "1h"])
def test_seconds_rejects_bad_durations(raw: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _seconds(raw)


def test_workers_split_between_servers() -> None:
    single = runner.workers_per_server(1)
    each_of_two = runner.workers_per_server(2)
    assert single == 2 * runner.CORES + 1
    assert each_of_two >= 2
    assert 2 * each_of_two >= single


def _request(t: float, name: str, status: int, ms: float) -> dict[str, object]:
    return {
        "t": t,
        "kind": "request",
        "name": name,
        "status": status,
        "ok": 200 <= status < 400,
        "ms": ms,
    }


def test_summarise_counts_error_kinds() -> None:
    events = [
        _request(0.0, "diary week", 200, 10.0),
        _request(1.0, "diary week", 200, 30.0),
        _request(2.0, "diary week", 500, 5.0),
        _request(3.0, "journal grid", 0, 10000.0),
        _request(4.0, "cell save", 403, 20.0),
        {"t": 2.0, "kind": "error_page", "traceback": True},
        {"t": 4.0, "kind": "saved", "lesson": 1, "student": 2, "value": "5"},
    ]

    summary = runner.summarise(events)

    assert summary.requests == 5
    assert summary.seconds == 4.0
    assert summary.week_ms == [10.0, 30.0, 5.0]
    assert summary.server_errors == 1
    assert summary.timeouts == 1
    assert summary.unexpected == 1
    assert summary.errors == 3
    assert summary.tracebacks == 1
    assert summary.saved == [(1, 2, "5")]


def test_summarise_leaves_warmup_out_of_steady_times() -> None:
    events = [
        _request(0.0, "diary week", 200, 10.0),
        # Sent at 29.5 s with the response at 30.5 s, so part of the warm-up.
        _request(30.5, "diary week", 200, 1000.0),
        _request(31.0, "diary week", 200, 20.0),
        _request(32.0, "journal grid", 200, 50.0),
    ]

    summary = runner.summarise(events, warmup_seconds=30)

    assert summary.week_ms == [10.0, 1000.0, 20.0]
    assert summary.steady_week_ms == [20.0]


def test_percentile_of_sorted_values() -> None:
    values = [float(n) for n in range(1, 101)]
    assert runner.percentile(values, 0.5) == 50.0
    assert runner.percentile(values, 0.95) == 95.0
    assert runner.percentile([7.0], 0.99) == 7.0


def test_probe_recovery_after_outage() -> None:
    probe = Probe("session", 1)
    probe.results = [(9.0, 200), (10.2, 0), (10.5, 500), (10.8, 200), (11.0, 200)]

    outage, recovered = probe.recovery(10.0)

    assert outage == "probes failed: 2, 0.2–0.5 s after the fault"
    assert recovered == "0.8 s"


def test_probe_recovery_without_failure() -> None:
    probe = Probe("session", 1)
    probe.results = [(9.0, 200), (10.5, 200)]
    assert probe.recovery(10.0) == ("none", "0 s (no failed probe)")


def test_probe_recovery_never_back() -> None:
    probe = Probe("session", 1)
    probe.results = [(10.5, 502), (10.8, 502)]
    assert probe.recovery(10.0)[1] == "not back by the end of the run"


def test_missing_saves_finds_lost_mark(world: World) -> None:
    lesson = LessonFactory.create(assignment=world.assignment)
    MarkFactory.create(
        lesson=lesson, student=world.child, work_type=world.work_type, score=4
    )
    saved = [
        (lesson.pk, world.child.pk, "4"),
        (lesson.pk, world.other_child.pk, "5"),
        (lesson.pk, world.child.pk, "3"),
    ]

    missing = runner.missing_saves(saved)

    assert missing == [
        (lesson.pk, world.other_child.pk, "5"),
        (lesson.pk, world.child.pk, "3"),
    ]


def test_made_session_signs_user_in(world: World) -> None:
    session = dataset.make_session(world.guardian_user)
    client = Client()
    client.cookies["sessionid"] = session

    response = client.get(f"/diary/{world.child.pk}/week/", secure=True)

    assert response.status_code == 200
