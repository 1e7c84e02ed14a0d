"""Monday-morning load test and fault runs of the portal.

    python -m eschool.load run --users 100,300,500 --duration 60s \\
        [--app-servers 1|2] [--replica]
    python -m eschool.load faults [--users 100] [--only pg-restart,worker-kill]
    python -m eschool.load stop

``run`` and ``faults`` start their own PostgreSQL (port 5450, data in var/h3-pg),
Redis (6392), gunicorn (8630, 8631), nginx (8632) and, for the faults, the
ESIA emulator (8633), all on 127.0.0.1, and stop them at the end. ``stop``
stops a PostgreSQL or replica that an interrupted run left behind. The first
run copies the ``eschool_bench`` data set from the shared development server
(``python -m diary.bench`` builds it). Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import sys


def _users(raw: str) -> list[int]:
    try:
        counts = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--users must be comma-separated integers, got {raw!r}"
        ) from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"--users needs counts of 1 or more: {raw!r}")
    return counts


def _seconds(raw: str) -> int:
    text = raw.strip().lower()
    factor = 60 if text.endswith("m") else 1
    try:
        value = int(text.rstrip("sm")) * factor
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--duration must look like 60s or 2m, got {raw!r}"
        ) from None
    if value < 10:
        raise argparse.ArgumentTypeError("--duration must be at least 10 seconds")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eschool.load", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="load runs, one per user count")
    run.add_argument("--users", type=_users, default=[100, 300, 500])
    run.add_argument(
        "--duration", type=_seconds, default=60, help="length of each run (60s, 2m)"
    )
    run.add_argument("--app-servers", type=int, choices=(1, 2), default=1)
    run.add_argument(
        "--replica", action="store_true", help="serve reads from a streaming replica"
    )
    run.add_argument(
        "--warmup",
        type=_seconds,
        default=30,
        help="seconds from the first request left out of the steady-state "
        "percentiles (30s)",
    )

    faults = commands.add_parser("faults", help="fault runs under load")
    faults.add_argument("--users", type=int, default=100)
    faults.add_argument(
        "--duration", type=_seconds, default=90, help="length of each fault run"
    )
    faults.add_argument(
        "--only", default="", help="comma-separated fault names (default: all)"
    )
    faults.add_argument("--app-servers", type=int, choices=(1, 2), default=1)

    commands.add_parser("stop", help="stop the load run's PostgreSQL and replica")

    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if arguments.command == "run":
        from eschool.load import runner

        runner.run(
            arguments.users,
            arguments.duration,
            arguments.app_servers,
            arguments.replica,
            arguments.warmup,
        )
        return 0

    if arguments.command == "stop":
        from eschool import replica
        from eschool.load import cluster, runner

        replica.stop(runner.REPLICA_DIR)
        cluster.stop_postgres()
        return 0

    from eschool.load import faults as fault_runs

    names = [name for name in arguments.only.split(",") if name]
    unknown = sorted(set(names) - set(fault_runs.FAULTS))
    if unknown:
        known = ", ".join(fault_runs.FAULTS)
        parser.error(f"unknown fault {', '.join(unknown)}; choose from {known}")
    fault_runs.run_faults(
        names or list(fault_runs.FAULTS),
        arguments.users,
        arguments.duration,
        arguments.app_servers,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
