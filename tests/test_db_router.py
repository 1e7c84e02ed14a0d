"""The primary/replica router: which alias serves the queries of a request.

The replica here is the test database under a second alias (``TEST MIRROR``),
so both aliases see the same committed rows and only the connection used
differs. ``CaptureQueriesContext`` on each alias shows where queries went.
"""

from __future__ import annotations

import datetime
import re
import runpy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import World
from eschool import db_router
from eschool.db_router import (
    PIN_COOKIE,
    PRIMARY_ALIAS,
    REPLICA_ALIAS,
    PrimaryReplicaRouter,
    ReplicaPinMiddleware,
)
from journal.models import Mark
from journal.tests import factories as jf
from journal.tests.conftest import frozen_now as frozen_now
from school.models import Subject

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=[PRIMARY_ALIAS, REPLICA_ALIAS]),
    pytest.mark.usefixtures("frozen_now", "replica_router"),
]

BASE_DIR = Path(__file__).resolve().parent.parent
LESSON_DAY = datetime.date(2026, 11, 10)
PIN_SECONDS = 5
TABLE_NAME = re.compile(r'(?:FROM|JOIN) "(\w+)"')


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup: None) -> Iterator[None]:
    """Add the ``replica`` alias as a mirror of the test database.

    Module scope runs this before pytest-django checks the aliases of the
    ``django_db`` mark, which it does before any function-scoped fixture.
    """
    if REPLICA_ALIAS in django_settings.DATABASES:
        # DATABASE_REPLICA_URL is set, and settings made the alias a mirror.
        yield
        return
    primary = connections[PRIMARY_ALIAS].settings_dict
    replica = {**primary, "TEST": {**primary["TEST"], "MIRROR": PRIMARY_ALIAS}}
    django_settings.DATABASES[REPLICA_ALIAS] = replica
    assert REPLICA_ALIAS in connections
    yield
    connections[REPLICA_ALIAS].close()
    del connections[REPLICA_ALIAS]
    del django_settings.DATABASES[REPLICA_ALIAS]


@pytest.fixture
def replica_router(settings) -> None:
    settings.DATABASE_ROUTERS = ["eschool.db_router.PrimaryReplicaRouter"]
    settings.DATABASE_REPLICA_PIN_SECONDS = PIN_SECONDS


class Capture:
    """The queries of both aliases during a block, and the apps they read."""

    def __enter__(self) -> Capture:
        self.primary = CaptureQueriesContext(connections[PRIMARY_ALIAS])
        self.replica = CaptureQueriesContext(connections[REPLICA_ALIAS])
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.replica.__exit__(*exc_info)
        self.primary.__exit__(*exc_info)

    @staticmethod
    def apps_of_query(sql: str) -> set[str]:
        app_of_table = {
            model._meta.db_table: model._meta.app_label for model in apps.get_models()
        }
        return {app_of_table.get(table, table) for table in TABLE_NAME.findall(sql)}

    def _apps(self, context: CaptureQueriesContext) -> set[str]:
        return {
            app
            for query in context.captured_queries
            for app in self.apps_of_query(query["sql"])
        }

    @property
    def primary_apps(self) -> set[str]:
        return self._apps(self.primary)

    @property
    def replica_apps(self) -> set[str]:
        return self._apps(self.replica)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def grid_url(world: World) -> str:
    return reverse("journal:grid", args=[world.assignment.pk])


def save_mark(client: Client, world: World, lesson, score: str) -> Any:
    return client.post(
        reverse("journal:grid_cell", args=[lesson.pk, world.child.pk]),
        {"value": score, "state": "a;", "work_type": world.work_type.pk},
        headers={"HX-Request": "true"},
    )


class LaterClock:
    """Stands in for ``time`` in django.core.signing, past the pin time."""

    @staticmethod
    def time() -> float:
        return time.time() + PIN_SECONDS + 1


def test_guardian_diary_reads_from_replica(world: World) -> None:
    guardian = signed_in(world.guardian_user)

    with Capture() as queries:
        response = guardian.get(reverse("diary:week"), {"date": "2026-12-01"})

    assert response.status_code == 200
    assert {"journal", "school"} <= queries.replica_apps
    # The primary serves the session and the user, whose query may join the
    # school's staff table for the name shown in the header.
    for query in queries.primary.captured_queries:
        assert Capture.apps_of_query(query["sql"]) & {"sessions", "accounts"}
    assert PIN_COOKIE not in response.cookies


def test_teacher_reads_primary_after_write_then_replica(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=LESSON_DAY)
    teacher = signed_in(world.teacher_user)

    with Capture() as before:
        first = teacher.get(grid_url(world))
    assert first.status_code == 200
    assert "journal" in before.replica_apps
    assert "journal" not in before.primary_apps

    with Capture() as saving:
        saved = save_mark(teacher, world, lesson, "5")
    assert saved.status_code == 200
    assert Mark.objects.filter(lesson=lesson, student=world.child).exists()
    assert saving.replica.captured_queries == []
    assert PIN_COOKIE in saved.cookies

    with Capture() as pinned:
        after = teacher.get(grid_url(world))
    assert after.status_code == 200
    assert pinned.replica.captured_queries == []
    assert "journal" in pinned.primary_apps

    # Another browser never wrote, so its reads stay on the replica.
    with Capture() as guardian_queries:
        guardian = signed_in(world.guardian_user).get(reverse("diary:week"))
    assert guardian.status_code == 200
    assert "journal" in guardian_queries.replica_apps

    monkeypatch.setattr("django.core.signing.time", LaterClock)
    with Capture() as expired:
        later = teacher.get(grid_url(world))
    assert later.status_code == 200
    assert "journal" in expired.replica_apps
    assert "journal" not in expired.primary_apps


def test_other_teacher_rejected_but_pinned(world: World) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=LESSON_DAY)
    other = signed_in(world.other_teacher_user)

    response = save_mark(other, world, lesson, "2")

    assert response.status_code in {403, 404}
    assert not Mark.objects.filter(lesson=lesson).exists()
    # The view was reached, so the browser is pinned although nothing changed.
    assert PIN_COOKIE in response.cookies


def test_post_rejected_by_csrf_does_not_pin(world: World) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=LESSON_DAY)
    teacher = Client(enforce_csrf_checks=True)
    teacher.force_login(world.teacher_user)

    response = save_mark(teacher, world, lesson, "5")

    assert response.status_code == 403
    assert not Mark.objects.filter(lesson=lesson).exists()
    assert PIN_COOKIE not in response.cookies


def test_forged_pin_cookie_ignored(world: World) -> None:
    guardian = signed_in(world.guardian_user)
    guardian.cookies[PIN_COOKIE] = "1"

    with Capture() as queries:
        response = guardian.get(reverse("diary:week"))

    assert response.status_code == 200
    assert "journal" in queries.replica_apps


def test_write_in_get_pins_and_moves_reads(world: World) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        Subject.objects.filter(pk=world.subject.pk).update(name="Алгебра")
        name = Subject.objects.get(pk=world.subject.pk).name
        return HttpResponse(name)

    middleware = ReplicaPinMiddleware(view)
    request = RequestFactory().get("/")

    with Capture() as queries:
        response = middleware(request)

    assert response.content.decode() == "Алгебра"
    assert queries.replica.captured_queries == []
    assert PIN_COOKIE in response.cookies


def test_reads_in_primary_transaction_stay_on_primary(world: World) -> None:
    from django.db import transaction

    def view(request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            name = Subject.objects.select_for_update().get(pk=world.subject.pk).name
        return HttpResponse(name)

    with Capture() as queries:
        response = ReplicaPinMiddleware(view)(RequestFactory().get("/"))

    assert response.status_code == 200
    assert queries.replica.captured_queries == []


def test_reads_outside_requests_use_primary(world: World) -> None:
    with Capture() as queries:
        Mark.objects.count()
        Subject.objects.count()

    assert queries.replica.captured_queries == []
    assert {"journal", "school"} <= queries.primary_apps


def test_router_migrates_only_primary() -> None:
    router = PrimaryReplicaRouter()

    assert router.allow_migrate(PRIMARY_ALIAS, "journal") is True
    assert router.allow_migrate(REPLICA_ALIAS, "journal") is False
    assert router.allow_migrate(REPLICA_ALIAS, "sessions") is False


def test_router_relates_both_aliases(world: World) -> None:
    router = PrimaryReplicaRouter()
    on_primary = Subject.objects.using(PRIMARY_ALIAS).get(pk=world.subject.pk)
    on_replica = Subject.objects.using(REPLICA_ALIAS).get(pk=world.subject.pk)

    assert router.allow_relation(on_primary, on_replica) is True


def test_middleware_unused_without_replica(settings) -> None:
    settings.DATABASE_ROUTERS = []

    with pytest.raises(MiddlewareNotUsed):
        ReplicaPinMiddleware(lambda request: HttpResponse())
    assert not db_router.replica_configured()


def load_settings(monkeypatch: pytest.MonkeyPatch, **environment: str) -> dict:
    """Run eschool/settings.py again with ``environment`` and return its names."""
    with monkeypatch.context() as patch:
        patch.delenv("DATABASE_REPLICA_URL", raising=False)
        for name, value in environment.items():
            patch.setenv(name, value)
        return runpy.run_path(str(BASE_DIR / "eschool" / "settings.py"))


def test_settings_add_replica_from_url(monkeypatch: pytest.MonkeyPatch) -> None:
    names = load_settings(
        monkeypatch,
        DATABASE_REPLICA_URL="postgres://reader@replica.example:5432/eschool",
        CONN_MAX_AGE="60",
        DATABASE_REPLICA_PIN_SECONDS="3",
    )

    replica = names["DATABASES"][REPLICA_ALIAS]
    assert replica["HOST"] == "replica.example"
    assert replica["CONN_MAX_AGE"] == 60
    assert replica["CONN_HEALTH_CHECKS"] is True
    assert replica["TEST"] == {"MIRROR": PRIMARY_ALIAS}
    assert names["DATABASE_ROUTERS"] == ["eschool.db_router.PrimaryReplicaRouter"]
    assert names["DATABASE_REPLICA_PIN_SECONDS"] == 3


def test_settings_without_replica_url(monkeypatch: pytest.MonkeyPatch) -> None:
    names = load_settings(monkeypatch)

    assert list(names["DATABASES"]) == [PRIMARY_ALIAS]
    assert "DATABASE_ROUTERS" not in names


@pytest.fixture
def unreachable_replica(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the replica alias at a closed port, as if its server were down."""
    connection = connections[REPLICA_ALIAS]
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    monkeypatch.setattr(db_router, "_replica_down_until", 0.0)
    yield
    connection.close()


def test_unreachable_replica_falls_back_to_primary(
    world: World, unreachable_replica: None, caplog: pytest.LogCaptureFixture
) -> None:
    guardian = signed_in(world.guardian_user)

    # Capturing the replica's queries would connect to it, so only the
    # primary is watched: it serves the whole page.
    with CaptureQueriesContext(connections[PRIMARY_ALIAS]) as primary:
        response = guardian.get(reverse("diary:week"), {"date": "2026-12-01"})

    assert response.status_code == 200
    read_apps = {
        app
        for query in primary.captured_queries
        for app in Capture.apps_of_query(query["sql"])
    }
    assert {"journal", "school"} <= read_apps
    assert "Read replica unreachable" in caplog.text
    assert db_router._replica_down_until > time.monotonic()


def test_replica_retried_after_retry_time(
    world: World, unreachable_replica: None, settings: Any
) -> None:
    settings.DATABASE_REPLICA_RETRY_SECONDS = 0
    guardian = signed_in(world.guardian_user)
    assert guardian.get(reverse("diary:week")).status_code == 200

    connection = connections[REPLICA_ALIAS]
    connection.settings_dict.update(connections[PRIMARY_ALIAS].settings_dict)
    with Capture() as queries:
        response = guardian.get(reverse("diary:week"), {"date": "2026-12-01"})

    assert response.status_code == 200
    assert queries.replica.captured_queries != []
