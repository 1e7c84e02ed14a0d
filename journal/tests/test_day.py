"""The teacher's day page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from journal.tests import factories as jf
from journal.tests.conftest import TODAY
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")


def test_teacher_sees_own_lessons_and_substitutions(client, world):
    own = jf.LessonFactory.create(assignment=world.assignment, date=TODAY, number=2)
    covered = jf.LessonFactory.create(
        assignment=world.other_assignment,
        date=TODAY,
        number=1,
        substitute_teacher=world.teacher,
    )
    jf.LessonFactory.create(assignment=world.other_assignment, date=TODAY, number=3)
    client.force_login(world.teacher_user)

    response = client.get(reverse("journal:day"))
    page = response.content.decode()

    assert response.status_code == 200
    assert [item.lesson for item in response.context["lessons"]] == [covered, own]
    assert reverse("journal:lesson", args=[own.pk]) in page
    assert reverse("journal:lesson", args=[covered.pk]) in page
    assert "замена за" in page
    assert "среда, 2 декабря" in page


def test_other_day_chosen_by_date(client, world):
    lesson = jf.LessonFactory.create(
        assignment=world.assignment, date=TODAY.replace(day=1)
    )
    client.force_login(world.teacher_user)

    response = client.get(reverse("journal:day") + "?date=2026-12-01")
    page = response.content.decode()

    assert [item.lesson for item in response.context["lessons"]] == [lesson]
    assert "?date=2026-11-30" in page
    assert "?date=2026-12-02" in page


def test_staff_without_lessons_sees_message(client, world):
    client.force_login(world.school_admin_user)

    response = client.get(reverse("journal:day"))

    assert response.status_code == 200
    assert "нет уроков" in response.content.decode()


@pytest.mark.parametrize("persona", ["guardian_user", "child_user"])
def test_non_staff_get_404(client, world, persona):
    client.force_login(getattr(world, persona))

    assert client.get(reverse("journal:day")).status_code == 404


def test_anonymous_redirected(client, world):
    response = client.get(reverse("journal:day"))

    assert response.status_code == 302


def test_day_lists_only_current_year_journals(client, world):
    last_year = f.AcademicYearFactory.create(
        school=world.school,
        name="2025/2026",
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2026, 5, 31),
    )
    old_class = f.SchoolClassFactory.create(
        academic_year=last_year, grade=4, letter="А", class_teacher=world.teacher
    )
    old = f.TeachingAssignmentFactory.create(
        school_class=old_class, subject=world.subject, teacher=world.teacher
    )
    client.force_login(world.teacher_user)

    page = client.get(reverse("journal:day"), {"date": "2026-12-01"})
    html = page.content.decode()

    assert reverse("journal:grid", args=[world.assignment.pk]) in html
    assert reverse("journal:grid", args=[old.pk]) not in html
    assert "4А" not in html

    june = client.get(reverse("journal:day"), {"date": "2026-06-20"}).content.decode()
    assert reverse("journal:grid", args=[old.pk]) in june
