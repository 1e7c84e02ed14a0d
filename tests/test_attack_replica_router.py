"""Attacks on the read replica router: forged pins and writes that miss the primary.

The replica is the test database under a second alias, as in
``tests/test_db_router.py``, so only the connection a query used
distinguishes the aliases.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import signing
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.esia.matching import EsiaPerson, SignInRefused, match_person
from accounts.services import link_person_records
from accounts.tests.factories import UserFactory
from conftest import World
from diary.models import CalendarFeed
from eschool.db_router import (
    PIN_COOKIE,
    PIN_COOKIE_SALT,
    PRIMARY_ALIAS,
    REPLICA_ALIAS,
    ReplicaPinMiddleware,
)
from journal.models import Lesson, Mark
from journal.tests import factories as jf
from journal.tests.conftest import frozen_now as frozen_now
from school import models as sm
from school.snils import make_snils
from school.tests import factories as f
from tests.test_db_router import Capture, replica_alias, replica_router

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=[PRIMARY_ALIAS, REPLICA_ALIAS]),
    pytest.mark.usefixtures("frozen_now", "replica_router"),
]

# Imported fixtures: the module-scoped replica alias and the router settings.
__all__ = ["replica_alias", "replica_router"]

TUESDAY = datetime.date(2026, 12, 1)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stamp_queries(context: Any) -> list[str]:
    return [
        query["sql"]
        for query in context.captured_queries
        if "diary_cachestamp" in query["sql"]
    ]


@pytest.fixture
def lesson(world: World) -> Lesson:
    return jf.LessonFactory.create(
        assignment=world.assignment, date=TUESDAY, number=2, topic="Дроби"
    )


@pytest.fixture
def head_of_studies(world: World) -> Client:
    user = UserFactory.create()
    staff = f.StaffMemberFactory.create(user=user)
    f.StaffRoleFactory.create(
        staff=staff, school=world.school, role=sm.StaffRole.Role.HEAD_OF_STUDIES
    )
    return signed_in(user)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1",
        "1:abc:def",
        "x" * 4000,
        "\u00ff\u00fe",
        "1:" + "A" * 27 + ":" + "B" * 43,
    ],
)
def test_garbage_pin_cookie_ignored(world, lesson, value):
    guardian = signed_in(world.guardian_user)
    guardian.cookies[PIN_COOKIE] = value

    with Capture() as queries:
        response = guardian.get(reverse("diary:week"), {"date": "2026-12-01"})

    assert response.status_code == 200
    assert "journal" in queries.replica_apps
    assert "journal" not in queries.primary_apps


def test_pin_signed_with_other_salt_ignored(world, lesson):
    guardian = signed_in(world.guardian_user)
    signer = signing.get_cookie_signer(salt=PIN_COOKIE + "other")
    guardian.cookies[PIN_COOKIE] = signer.sign("1")

    with Capture() as queries:
        response = guardian.get(reverse("diary:week"), {"date": "2026-12-01"})

    assert response.status_code == 200
    assert "journal" in queries.replica_apps


def test_valid_pin_only_moves_reads(world, lesson):
    """A real pin reads from the primary but opens no other family's child."""
    other = signed_in(world.other_guardian_user)
    signer = signing.get_cookie_signer(salt=PIN_COOKIE + PIN_COOKIE_SALT)
    other.cookies[PIN_COOKIE] = signer.sign("1")

    with Capture() as queries:
        rejected = other.get(reverse("diary:week", args=[world.child.pk]))

    assert rejected.status_code == 404
    assert queries.replica.captured_queries == []


def test_stamps_and_week_read_from_one_alias(world, lesson):
    guardian = signed_in(world.guardian_user)

    with Capture() as unpinned:
        first = guardian.get(reverse("diary:week"), {"date": "2026-12-01"})
    assert first.status_code == 200
    assert stamp_queries(unpinned.replica) != []
    assert stamp_queries(unpinned.primary) == []

    low_vision = guardian.post(reverse("diary:low_vision"), {"enabled": "1"})
    assert PIN_COOKIE in low_vision.cookies
    jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=2, work_type=world.work_type
    )
    with Capture() as pinned:
        second = guardian.get(reverse("diary:week"), {"date": "2026-12-01"})

    assert second.status_code == 200
    assert pinned.replica.captured_queries == []
    assert stamp_queries(pinned.primary) != []
    assert "mark-2" in str(second.context["week_days_html"])


def test_head_request_reads_replica_and_does_not_pin(world, lesson):
    guardian = signed_in(world.guardian_user)

    with Capture() as queries:
        response = guardian.head(reverse("diary:week"))

    assert response.status_code == 200
    assert "journal" not in queries.primary_apps
    assert PIN_COOKIE not in response.cookies


def test_get_with_action_writes_nothing(world, lesson):
    guardian = signed_in(world.guardian_user)
    url = reverse("diary:calendar", args=[world.child.pk])

    with Capture() as queries:
        response = guardian.get(url, {"action": "renew"})

    assert response.status_code == 200
    assert CalendarFeed.objects.count() == 0
    assert PIN_COOKIE not in response.cookies
    for query in queries.replica.captured_queries:
        assert (
            not query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        )


def _writes(context: Any) -> list[str]:
    return [
        query["sql"]
        for query in context.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_new_screen_posts_stay_on_primary(world, lesson, head_of_studies):
    teacher = signed_in(world.teacher_user)
    bells = {
        "bell-TOTAL_FORMS": "1",
        "bell-INITIAL_FORMS": "0",
        "bell-MIN_NUM_FORMS": "0",
        "bell-MAX_NUM_FORMS": "1000",
        "bell-0-lesson_number": "1",
        "bell-0-starts_at": "08:00",
        "bell-0-ends_at": "08:45",
    }
    add_url = f"{reverse('journal:timetable_add')}?class={world.school_class.pk}"
    slot = {
        "add-valid_from": "2026-12-07",
        "add-assignment": str(world.assignment.pk),
        "add-weekday": "4",
        "add-lesson_number": "3",
        "add-room": "15",
    }

    with Capture() as queries:
        responses = [
            head_of_studies.post(reverse("journal:bells"), bells),
            head_of_studies.post(add_url, slot),
            head_of_studies.post(
                reverse("journal:lesson_change", args=[lesson.pk]),
                {"substitute": str(world.other_teacher.pk)},
            ),
            teacher.post(
                reverse("journal:lesson_topic", args=[lesson.pk]),
                {"topic": "Новая тема", "version": str(lesson.version)},
            ),
        ]

    for response in responses:
        assert response.status_code == 302
        assert PIN_COOKIE in response.cookies
    assert queries.replica.captured_queries == []
    assert _writes(queries.primary) != []
    lesson.refresh_from_db()
    assert lesson.topic == "Новая тема"
    assert lesson.substitute_teacher_id == world.other_teacher.pk
    assert sm.TimetableEntry.objects.filter(weekday=4, lesson_number=3).exists()


def test_rejected_post_writes_nowhere(world, lesson):
    other = signed_in(world.other_teacher_user)

    with Capture() as queries:
        response = other.post(
            reverse("journal:lesson_topic", args=[lesson.pk]),
            {"topic": "Чужая", "version": str(lesson.version)},
        )

    assert response.status_code == 404
    assert queries.replica.captured_queries == []
    assert _writes(queries.primary) == []
    assert not Mark.objects.exists()
    lesson.refresh_from_db()
    assert lesson.topic == "Дроби"


def test_sign_in_match_not_from_lagging_replica(world):
    mistaken_snils = make_snils(987_654_321)
    record = f.GuardianFactory.create(user=None, snils=mistaken_snils)
    f.GuardianLinkFactory.create(guardian=record, student=world.other_child)
    account = UserFactory.create()
    person = EsiaPerson(
        oid=str(account.esia_oid),
        last_name="Посторонний",
        first_name="Пётр",
        middle_name="",
        birth_date=None,
        snils=mistaken_snils,
        trusted=True,
        level="P",
    )

    def callback(request: HttpRequest) -> HttpResponse:
        """Match and link as the ESIA callback does, without the OAuth steps."""
        try:
            records = match_person(person, timezone.localdate())
        except SignInRefused:
            return HttpResponse("refused")
        link_person_records(account, records.ids())
        return HttpResponse("linked")

    # A repeatable-read snapshot on the replica connection simulates replay
    # lag, because its reads return rows as they were when it began.
    with transaction.atomic(using=REPLICA_ALIAS):
        with connections[REPLICA_ALIAS].cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT count(*) FROM school_guardian")
        # The school corrects the mistaken SNILS on the primary.
        sm.Guardian.objects.filter(pk=record.pk).update(snils=make_snils(987_654_320))
        response = ReplicaPinMiddleware(callback)(
            RequestFactory().get("/accounts/esia/login/callback/")
        )

    record.refresh_from_db()
    assert response.content == b"refused"
    assert record.user_id is None
