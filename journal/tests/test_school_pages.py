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


def _school_day(world, lessons: int, teachers: int) -> None:
    """Add lessons on 2 December and staff of the school, each with a name."""
    for _ in range(teachers):
        staff = f.StaffMemberFactory.create()
        f.StaffRoleFactory.create(staff=staff, school=world.school)
    for number in range(lessons):
        assignment = f.TeachingAssignmentFactory.create(
            school_class=world.school_class, teacher=world.teacher
        )
        jf.LessonFactory.create(
            assignment=assignment, date=datetime.date(2026, 12, 2), number=number % 8
        )


def _school_page_size(client) -> int:
    return len(client.get(reverse("journal:school") + "?date=2026-12-02").content)


def test_school_page_size_ignores_teacher_count(client, world, head_of_studies) -> None:
    _school_day(world, lessons=10, teachers=0)
    client.force_login(head_of_studies)
    few_teachers = _school_page_size(client)

    _school_day(world, lessons=0, teachers=40)
    many_teachers = _school_page_size(client)

    assert many_teachers == few_teachers


def test_school_page_grows_per_lesson_only(client, world, head_of_studies) -> None:
    _school_day(world, lessons=5, teachers=5)
    client.force_login(head_of_studies)
    small = _school_page_size(client)

    _school_day(world, lessons=5, teachers=40)
    large = _school_page_size(client)

    # Five more lessons add a day row, a gaps row and a journal link each.
    # A select of every teacher in each row would add kilobytes per lesson.
    assert large - small < 5 * 2500


@pytest.mark.parametrize(("lessons", "teachers"), [(2, 2), (30, 40)])
def test_school_page_query_count_is_fixed(
    client, world, head_of_studies, django_assert_num_queries, lessons, teachers
) -> None:
    _school_day(world, lessons=lessons, teachers=teachers)
    client.force_login(head_of_studies)

    # Session and user, the role, the year, classes, journals, periods,
    # gaps, the day's lessons and the header's navigation.
    with django_assert_num_queries(11):
        page = client.get(reverse("journal:school") + "?date=2026-12-02")

    assert page.status_code == 200
    assert len(page.context["day_lessons"]) == lessons


def test_school_page_links_the_change_form(client, world, head_of_studies) -> None:
    lesson = jf.LessonFactory.create(
        assignment=world.assignment, date=datetime.date(2026, 12, 2)
    )
    client.force_login(head_of_studies)

    page = client.get(reverse("journal:school") + "?date=2026-12-02")

    assert reverse("journal:lesson_change", args=[lesson.pk]) in page.text
    assert reverse("journal:bells") in page.text
    assert reverse("journal:timetable") in page.text


def test_change_page_lists_the_school_teachers(client, world, head_of_studies) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment)
    client.force_login(head_of_studies)

    page = client.get(reverse("journal:lesson_change", args=[lesson.pk]))

    assert page.status_code == 200
    assert f'value="{world.other_teacher.pk}"' in page.text
    assert f'value="{world.other_school_admin.pk}"' not in page.text


def test_head_of_studies_cancels_a_lesson(client, world, head_of_studies) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment)
    client.force_login(head_of_studies)

    response = client.post(
        reverse("journal:lesson_change", args=[lesson.pk]),
        {"substitute": "", "cancelled": "on"},
    )

    assert response.status_code == 302
    assert response.url.endswith("?date=2026-12-01")
    lesson.refresh_from_db()
    assert lesson.is_cancelled


@pytest.mark.parametrize(
    "persona", ["teacher_user", "guardian_user", "other_school_admin_user"]
)
def test_others_cannot_change_a_lesson(client, world, persona) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment)
    client.force_login(getattr(world, persona))

    page = client.get(reverse("journal:lesson_change", args=[lesson.pk]))
    change = client.post(
        reverse("journal:lesson_change", args=[lesson.pk]),
        {"substitute": world.other_teacher.pk, "cancelled": "on"},
    )

    assert page.status_code == 404
    assert change.status_code == 404
    lesson.refresh_from_db()
    assert lesson.substitute_teacher is None
    assert not lesson.is_cancelled


def test_substitute_from_another_school_is_rejected(
    client, world, head_of_studies
) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment)
    client.force_login(head_of_studies)

    response = client.post(
        reverse("journal:lesson_change", args=[lesson.pk]),
        {"substitute": world.other_school_admin.pk},
    )

    assert response.status_code == 400
    assert "Учитель не найден в этой школе" in response.text
    lesson.refresh_from_db()
    assert lesson.substitute_teacher is None


def test_cancelling_a_held_lesson_saves_nothing(client, world, head_of_studies) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment)
    jf.MarkFactory.create(lesson=lesson, student=world.child)
    client.force_login(head_of_studies)

    response = client.post(
        reverse("journal:lesson_change", args=[lesson.pk]),
        {"substitute": world.other_teacher.pk, "cancelled": "on"},
    )

    assert response.status_code == 400
    assert "отменить его нельзя" in response.text
    lesson.refresh_from_db()
    assert lesson.substitute_teacher is None
    assert not lesson.is_cancelled
