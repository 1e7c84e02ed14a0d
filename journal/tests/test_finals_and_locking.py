"""Final marks and closed periods: suggestions, hand-set marks, who may edit."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from journal.finals import suggest_certificate_mark, suggest_year_mark
from journal.models import FinalMark, JournalChange, Mark
from journal.tests import factories as jf
from school.models import StaffRole
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

HTMX = {"HTTP_HX_REQUEST": "true"}
LESSON_DAY = datetime.date(2026, 11, 10)


@pytest.fixture
def head_of_studies(world):
    user = UserFactory.create()
    staff = f.StaffMemberFactory.create(user=user)
    f.StaffRoleFactory.create(
        staff=staff, school=world.school, role=StaffRole.Role.HEAD_OF_STUDIES
    )
    return user


def close_quarter(world) -> None:
    world.quarter.closed_on = datetime.date(2026, 11, 30)
    world.quarter.save()


def final_url(world, student) -> str:
    return reverse("journal:final_mark", args=[world.assignment.pk, student.pk])


def cell_url(lesson, student) -> str:
    return reverse("journal:grid_cell", args=[lesson.pk, student.pk])


def post_period_mark(client, world, value, version=0, **extra):
    return client.post(
        final_url(world, world.child),
        {
            "kind": "period",
            "period": world.quarter.pk,
            "value": value,
            "version": version,
            **extra,
        },
        **HTMX,
    )


def three_marks(world, scores=(5, 5, 4)) -> None:
    for number, score in enumerate(scores, start=1):
        lesson = jf.LessonFactory.create(
            assignment=world.assignment, date=LESSON_DAY, number=number
        )
        jf.MarkFactory.create(
            lesson=lesson, student=world.child, score=score, work_type=world.work_type
        )


# ----- suggestions ---------------------------------------------------------


def test_year_mark_is_suggested_from_period_marks(world) -> None:
    # (5 + 4 + 4 + 5) / 4 = 4.5: a 5 under the default half-up rule.
    assert suggest_year_mark(["5", "4", "4", "5"], world.school) == "5"
    # (4 + 3 + 4 + 3) / 4 = 3.5: a 4; «н/а» periods are left out.
    assert suggest_year_mark(["4", "3", "na", "4", "3"], world.school) == "4"
    assert suggest_year_mark(["na", None], world.school) == "na"


def test_certificate_mark_is_the_rounded_mean_of_year_and_exam() -> None:
    assert suggest_certificate_mark("4", "5") == "5"  # 4.5 rounds up
    assert suggest_certificate_mark("4", "3") == "4"  # 3.5 rounds up
    assert suggest_certificate_mark("3", "3") == "3"
    assert suggest_certificate_mark("4", None) is None


# ----- period marks ----------------------------------------------------------


def test_teacher_accepts_the_suggested_period_mark(client, world) -> None:
    three_marks(world)  # 14 / 3 = 4.67: suggests a 5
    client.force_login(world.teacher_user)

    response = post_period_mark(client, world, "5")

    assert response.status_code == 200
    mark = FinalMark.objects.get(student=world.child, kind="period")
    assert (mark.value, mark.set_by_hand, mark.version) == ("5", False, 1)
    change = JournalChange.objects.get(kind=JournalChange.Kind.FINAL_MARK)
    assert (change.old_value, change.new_value) == ("", "5")


def test_mark_other_than_suggestion_is_hand_set_and_never_recomputed(
    client, world
) -> None:
    three_marks(world)
    client.force_login(world.teacher_user)
    post_period_mark(client, world, "4")
    mark = FinalMark.objects.get(student=world.child, kind="period")
    assert mark.set_by_hand

    # A new 2 moves the suggestion; the stored mark stays as the teacher set it.
    lesson = jf.LessonFactory.create(
        assignment=world.assignment, date=LESSON_DAY, number=5
    )
    client.post(
        cell_url(lesson, world.child),
        {"value": "2", "state": "a;", "work_type": world.work_type.pk},
        **HTMX,
    )
    mark.refresh_from_db()
    assert (mark.value, mark.version) == ("4", 1)
    page = client.get(reverse("journal:grid", args=[world.assignment.pk]))
    assert "вручную" in page.text


def test_not_certified_with_two_marks(client, world) -> None:
    three_marks(world, scores=(5, 5))
    client.force_login(world.teacher_user)
    page = client.get(reverse("journal:grid", args=[world.assignment.pk]))
    child_row = next(r for r in page.context["grid"].rows if r.student == world.child)
    assert child_row.suggestion == "н/а"

    post_period_mark(client, world, "na")

    mark = FinalMark.objects.get(student=world.child, kind="period")
    assert (mark.value, mark.set_by_hand) == ("na", False)


def test_concurrent_period_mark_is_refused_with_current_value(client, world) -> None:
    client.force_login(world.teacher_user)
    post_period_mark(client, world, "4")

    response = post_period_mark(client, world, "3", version=0)

    assert response.status_code == 409
    assert "сейчас «4»" in response.text
    assert FinalMark.objects.get(student=world.child).value == "4"


def test_other_teacher_cannot_set_a_final_mark(client, world) -> None:
    client.force_login(world.other_teacher_user)

    response = post_period_mark(client, world, "5")

    assert response.status_code == 404
    assert not FinalMark.objects.exists()


def test_exam_marks_only_in_grades_9_and_11(client, world) -> None:
    client.force_login(world.teacher_user)

    response = client.post(
        final_url(world, world.child),
        {"kind": "exam", "value": "5", "version": 0},
        **HTMX,
    )

    assert response.status_code == 400
    assert "только в 9 и 11 классах" in response.text
    assert not FinalMark.objects.exists()


def test_finals_page_lists_year_suggestion(client, world) -> None:
    client.force_login(world.teacher_user)
    post_period_mark(client, world, "4")

    page = client.get(reverse("journal:finals", args=[world.assignment.pk]))

    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r.student == world.child)
    assert row.year_suggestion == "4"


def test_other_teacher_cannot_open_finals(client, world) -> None:
    client.force_login(world.other_teacher_user)
    page = client.get(reverse("journal:finals", args=[world.assignment.pk]))
    assert page.status_code == 404


# ----- closed periods ----------------------------------------------------------


def test_teacher_cannot_change_a_period_mark_after_closing(client, world) -> None:
    client.force_login(world.teacher_user)
    post_period_mark(client, world, "4")
    close_quarter(world)

    response = post_period_mark(client, world, "5", version=1)

    assert response.status_code == 403
    assert FinalMark.objects.get(student=world.child).value == "4"


def test_head_of_studies_changes_a_closed_mark_with_a_reason(
    client, world, head_of_studies
) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=LESSON_DAY)
    mark = jf.MarkFactory.create(lesson=lesson, student=world.child, score=3)
    close_quarter(world)
    client.force_login(head_of_studies)
    data = {"value": "4", "state": f"a;m{mark.pk}:1", "work_type": world.work_type.pk}

    refused = client.post(cell_url(lesson, world.child), data, **HTMX)
    assert refused.status_code == 400
    assert "укажите причину" in refused.text
    mark.refresh_from_db()
    assert mark.score == 3

    saved = client.post(
        cell_url(lesson, world.child),
        {**data, "reason": "Ошибка при выставлении, приказ № 12"},
        **HTMX,
    )

    assert saved.status_code == 200
    mark.refresh_from_db()
    assert mark.score == 4
    change = JournalChange.objects.get(object_id=mark.pk, action="changed")
    assert change.reason == "Ошибка при выставлении, приказ № 12"
    assert change.changed_by == head_of_studies


def test_head_of_studies_does_not_edit_an_open_period(
    client, world, head_of_studies
) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=LESSON_DAY)
    client.force_login(head_of_studies)

    response = client.post(
        cell_url(lesson, world.child),
        {"value": "5", "state": "a;", "work_type": world.work_type.pk},
        **HTMX,
    )

    assert response.status_code == 403
    assert not Mark.objects.exists()


def test_school_admin_sets_a_closed_period_mark_with_reason(client, world) -> None:
    close_quarter(world)
    client.force_login(world.school_admin_user)

    without = post_period_mark(client, world, "5")
    assert without.status_code == 400
    assert not FinalMark.objects.exists()

    response = post_period_mark(client, world, "5", reason="Пересдача")

    assert response.status_code == 200
    change = JournalChange.objects.get(kind=JournalChange.Kind.FINAL_MARK)
    assert change.reason == "Пересдача"
