"""The завуч's school page: who may open it and what its forms change."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from journal.models import Lesson
from journal.tests import factories as jf
from school.models import StaffRole
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def head_of_studies(world):
    user = UserFactory.create()
    staff = f.StaffMemberFactory.create(user=user)
    f.StaffRoleFactory.create(
        staff=staff, school=world.school, role=StaffRole.Role.HEAD_OF_STUDIES
    )
    return user


def test_head_of_studies_sees_journals_and_gaps(client, world, head_of_studies) -> None:
    empty = jf.LessonFactory.create(
        assignment=world.assignment, date=datetime.date(2026, 11, 20), topic=""
    )
    client.force_login(head_of_studies)

    page = client.get(reverse("journal:school"))

    assert page.status_code == 200
    assert empty in page.context["gaps"]
    assert world.assignment in page.context["assignments"]
    grid = client.get(reverse("journal:grid", args=[world.assignment.pk]))
    assert grid.status_code == 200
    assert "grid-input" not in grid.text


@pytest.mark.parametrize(
    "persona", ["teacher_user", "guardian_user", "other_school_admin_user"]
)
def test_others_cannot_open_or_use_the_school_page(client, world, persona) -> None:
    client.force_login(getattr(world, persona))
    before = (world.quarter.closed_on, Lesson.objects.count())

    page = client.get(reverse("journal:school"))
    if persona == "other_school_admin_user":
        # Their own school's page: nothing of this school on it.
        assert world.assignment not in page.context["assignments"]
    else:
        assert page.status_code == 404
    closing = client.post(
        reverse("journal:period_close", args=[world.quarter.pk]),
        {"closed_on": "2026-12-01"},
    )
    generating = client.post(
        reverse("journal:generate"), {"first": "2026-11-16", "last": "2026-11-29"}
    )

    assert closing.status_code == 404
    # Another school's admin generates for their own school, never this one.
    assert generating.status_code == (
        302 if persona == "other_school_admin_user" else 404
    )
    world.quarter.refresh_from_db()
    assert (world.quarter.closed_on, Lesson.objects.count()) == before


def test_head_of_studies_closes_a_period_and_generates_lessons(
    client, world, head_of_studies
) -> None:
    f.TimetableEntryFactory.create(assignment=world.assignment, weekday=2)
    client.force_login(head_of_studies)

    client.post(
        reverse("journal:period_close", args=[world.quarter.pk]),
        {"closed_on": "2026-12-29"},
    )
    client.post(
        reverse("journal:generate"), {"first": "2026-11-16", "last": "2026-11-29"}
    )

    world.quarter.refresh_from_db()
    assert world.quarter.closed_on == datetime.date(2026, 12, 29)
    assert Lesson.objects.filter(assignment=world.assignment).count() == 2


def test_bad_dates_are_explained(client, world, head_of_studies) -> None:
    client.force_login(head_of_studies)
    response = client.post(
        reverse("journal:generate"), {"first": "вчера", "last": ""}, follow=True
    )
    assert "ГГГГ-ММ-ДД" in response.text
    assert not Lesson.objects.exists()


def test_head_of_studies_sets_a_substitute(client, world, head_of_studies) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment)
    client.force_login(head_of_studies)

    client.post(
        reverse("journal:lesson_change", args=[lesson.pk]),
        {"substitute": world.other_teacher.pk},
    )

    lesson.refresh_from_db()
    assert lesson.substitute_teacher == world.other_teacher
