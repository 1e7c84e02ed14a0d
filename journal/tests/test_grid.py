"""The class journal grid: access, numbers, cell saving, query counts."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from journal.models import Attendance, JournalChange, Lesson, Mark
from journal.tests import factories as jf
from journal.tests.conftest import count_queries, enroll_pupils
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

HTMX = {"HTTP_HX_REQUEST": "true"}
FIRST_DAY = datetime.date(2026, 11, 10)


def grid_url(world) -> str:
    return reverse("journal:grid", args=[world.assignment.pk])


def cell_url(lesson: Lesson, student) -> str:
    return reverse("journal:grid_cell", args=[lesson.pk, student.pk])


def make_lessons(world, count: int, first_day=FIRST_DAY) -> list[Lesson]:
    return [
        jf.LessonFactory.create(
            assignment=world.assignment,
            date=first_day + datetime.timedelta(days=index // 3),
            number=index % 3 + 1,
        )
        for index in range(count)
    ]


def give_marks(world, student, scores_and_weights) -> None:
    lessons = make_lessons(world, len(scores_and_weights))
    for lesson, (score, weight) in zip(lessons, scores_and_weights, strict=True):
        jf.MarkFactory.create(
            lesson=lesson,
            student=student,
            score=score,
            work_type=world.work_type,
            weight=weight,
        )


def row_of(response, student):
    return next(
        row for row in response.context["grid"].rows if row.student.pk == student.pk
    )


def test_teacher_sees_pupils_lessons_and_marks(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    jf.MarkFactory.create(lesson=lesson, student=world.child, score=4)
    jf.AttendanceFactory.create(lesson=lesson, student=world.other_child)
    client.force_login(world.teacher_user)

    response = client.get(grid_url(world))

    assert response.status_code == 200
    assert row_of(response, world.child).cells[0].text == "4"
    assert row_of(response, world.other_child).cells[0].text == "Н"
    assert 'src="/static/vendor/htmx/htmx.min.js"' in response.text


@pytest.mark.parametrize(
    ("scores", "average", "suggestion"),
    [
        # (30 + 3 + 36) / 20 = 3.45 exactly: half up at .5 gives a 3.
        ([(3, 10), (3, 1), (4, 9)], "3,45", "3"),
        # (30 + 20 + 20) / 20 = 3.50 exactly: a 4.
        ([(3, 10), (4, 5), (4, 5)], "3,50", "4"),
        # Weights count: (25 + 2 + 2) / 7 = 4.142857...
        ([(5, 5), (2, 1), (2, 1)], "4,14", "4"),
        # Two marks are not enough for a period mark.
        ([(5, 1), (5, 1)], "5,00", "н/а"),
    ],
)
def test_grid_average_and_suggestion_default_rule(
    client, world, scores, average, suggestion
) -> None:
    give_marks(world, world.child, scores)
    client.force_login(world.teacher_user)

    row = row_of(client.get(grid_url(world)), world.child)

    assert row.average.display == average
    assert row.suggestion == suggestion


@pytest.mark.parametrize(
    ("scores", "average", "suggestion"),
    [
        ([(5, 10), (5, 3), (4, 7)], "4,65", "5"),
        ([(5, 8), (5, 8), (4, 9)], "4,64", "4"),
        ([(4, 10), (4, 3), (3, 7)], "3,65", "4"),
        ([(4, 8), (4, 8), (3, 9)], "3,64", "3"),
        ([(3, 10), (3, 3), (2, 7)], "2,65", "3"),
        ([(3, 8), (3, 8), (2, 9)], "2,64", "2"),
    ],
)
def test_grid_suggestion_by_school_thresholds(
    client, world, scores, average, suggestion
) -> None:
    world.school.threshold_five = Decimal("4.65")
    world.school.threshold_four = Decimal("3.65")
    world.school.threshold_three = Decimal("2.65")
    world.school.save()
    give_marks(world, world.child, scores)
    client.force_login(world.teacher_user)

    row = row_of(client.get(grid_url(world)), world.child)

    assert (row.average.display, row.suggestion) == (average, suggestion)


def test_other_teacher_cannot_open_grid(client, world) -> None:
    client.force_login(world.other_teacher_user)
    assert client.get(grid_url(world)).status_code == 404


def test_guardian_pupil_and_other_school_admin_cannot_open_grid(client, world) -> None:
    for user in (
        world.guardian_user,
        world.child_user,
        world.other_school_admin_user,
    ):
        client.force_login(user)
        assert client.get(grid_url(world)).status_code == 404


def test_school_admin_reads_an_open_period_without_inputs(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    jf.MarkFactory.create(lesson=lesson, student=world.child, score=4)
    client.force_login(world.school_admin_user)

    response = client.get(grid_url(world))

    assert response.status_code == 200
    assert "grid-input" not in response.text
    assert "только для чтения" in response.text


def test_anonymous_is_sent_to_sign_in(client, world) -> None:
    assert client.get(grid_url(world)).status_code == 302


def test_grid_query_count_does_not_grow_with_class(client, world) -> None:
    client.force_login(world.teacher_user)
    make_lessons(world, 10)
    enroll_pupils(world.school_class, 3)
    small = count_queries(lambda: client.get(grid_url(world)))

    lessons = make_lessons(world, 50, datetime.date(2026, 11, 14))
    pupils = enroll_pupils(world.school_class, 25)
    for lesson in lessons[::5]:
        for pupil in pupils:
            jf.MarkFactory.create(
                lesson=lesson, student=pupil, work_type=world.work_type
            )
            jf.AttendanceFactory.create(lesson=lesson, student=pupil)
    large = count_queries(lambda: client.get(grid_url(world)))

    assert small == large


def test_cell_saves_a_mark_with_the_chosen_work_type(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    client.force_login(world.teacher_user)

    response = client.post(
        cell_url(lesson, world.child),
        {"value": "5", "state": "a;", "work_type": world.control_work.pk},
        **HTMX,
    )

    assert response.status_code == 200
    mark = Mark.objects.get(lesson=lesson, student=world.child)
    assert (mark.score, mark.work_type, mark.weight) == (5, world.control_work, 5)
    assert JournalChange.objects.filter(object_id=mark.pk, new_value__startswith="5")
    assert f'id="avg-{world.child.pk}"' in response.text
    assert 'value="5"' in response.text


def test_cell_replaces_marks_and_sets_attendance(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    mark = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    client.force_login(world.teacher_user)

    response = client.post(
        cell_url(lesson, world.child),
        {
            "value": "ОП 4 5",
            "state": f"a;m{mark.pk}:1",
            "work_type": world.work_type.pk,
        },
        **HTMX,
    )

    assert response.status_code == 200
    scores = list(
        Mark.objects.filter(lesson=lesson, student=world.child)
        .order_by("id")
        .values_list("score", flat=True)
    )
    assert scores == [4, 5]
    assert Attendance.objects.get(lesson=lesson, student=world.child).code == "ОП"


def test_clearing_a_cell_deletes_its_mark(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    mark = jf.MarkFactory.create(lesson=lesson, student=world.child, score=3)
    client.force_login(world.teacher_user)

    client.post(
        cell_url(lesson, world.child),
        {"value": "", "state": f"a;m{mark.pk}:1", "work_type": world.work_type.pk},
        **HTMX,
    )

    assert not Mark.objects.filter(pk=mark.pk).exists()


def test_second_save_of_the_same_cell_is_refused_with_current_value(
    client, world
) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    mark = jf.MarkFactory.create(lesson=lesson, student=world.child, score=3)
    client.force_login(world.teacher_user)
    state = f"a;m{mark.pk}:1"
    client.post(
        cell_url(lesson, world.child),
        {"value": "4", "state": state, "work_type": world.work_type.pk},
        **HTMX,
    )

    response = client.post(
        cell_url(lesson, world.child),
        {"value": "2", "state": state, "work_type": world.work_type.pk},
        **HTMX,
    )

    assert response.status_code == 409
    mark.refresh_from_db()
    assert mark.score == 4
    assert 'value="4"' in response.text
    assert "вы вводили «2»" in response.text


def test_bad_input_is_explained_and_nothing_changes(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    mark = jf.MarkFactory.create(lesson=lesson, student=world.child, score=3)
    client.force_login(world.teacher_user)

    response = client.post(
        cell_url(lesson, world.child),
        {"value": "7", "state": f"a;m{mark.pk}:1", "work_type": world.work_type.pk},
        **HTMX,
    )

    assert response.status_code == 400
    assert "Не удалось разобрать «7»" in response.text
    assert 'value="7"' in response.text
    mark.refresh_from_db()
    assert (mark.score, mark.version) == (3, 1)


def test_tampered_state_is_refused(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    client.force_login(world.teacher_user)

    response = client.post(
        cell_url(lesson, world.child),
        {"value": "5", "state": "junk", "work_type": world.work_type.pk},
        **HTMX,
    )

    assert response.status_code == 400
    assert not Mark.objects.exists()


def test_other_teacher_cannot_save_a_cell(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    client.force_login(world.other_teacher_user)

    response = client.post(
        cell_url(lesson, world.child),
        {"value": "5", "state": "a;", "work_type": world.work_type.pk},
        **HTMX,
    )

    assert response.status_code == 404
    assert not Mark.objects.exists()
    assert not JournalChange.objects.exists()


def test_pupil_of_another_class_cannot_be_marked(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    stranger = enroll_pupils(world.other_class, 1)[0]
    client.force_login(world.teacher_user)

    response = client.post(
        cell_url(lesson, stranger),
        {"value": "5", "state": "a;", "work_type": world.work_type.pk},
        **HTMX,
    )

    assert response.status_code == 404
    assert not Mark.objects.exists()


def test_work_type_of_another_school_is_refused(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    foreign = f.WorkTypeFactory.create(school=world.other_school)
    client.force_login(world.teacher_user)

    response = client.post(
        cell_url(lesson, world.child),
        {"value": "5", "state": "a;", "work_type": foreign.pk},
        **HTMX,
    )

    assert response.status_code == 400
    assert not Mark.objects.exists()


def test_closed_period_refuses_the_teacher(client, world) -> None:
    world.quarter.closed_on = datetime.date(2026, 11, 30)
    world.quarter.save()
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    client.force_login(world.teacher_user)

    response = client.post(
        cell_url(lesson, world.child),
        {"value": "5", "state": "a;", "work_type": world.work_type.pk},
        **HTMX,
    )

    assert response.status_code == 403
    assert "Период закрыт" in response.text
    assert not Mark.objects.exists()


def test_cell_save_query_count_is_small(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    client.force_login(world.teacher_user)

    queries = count_queries(
        lambda: client.post(
            cell_url(lesson, world.child),
            {"value": "5", "state": "a;", "work_type": world.work_type.pk},
            **HTMX,
        )
    )

    assert queries <= 25


def test_journal_exports_to_xlsx(client, world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    jf.MarkFactory.create(lesson=lesson, student=world.child, score=4)
    client.force_login(world.teacher_user)

    response = client.get(reverse("journal:grid_xlsx", args=[world.assignment.pk]))

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1][:2] == ["Ученик", "10.11"]
    assert [world.child.short_name, "4"] in [row[:2] for row in rows]


def test_other_teacher_cannot_export_the_journal(client, world) -> None:
    client.force_login(world.other_teacher_user)
    response = client.get(reverse("journal:grid_xlsx", args=[world.assignment.pk]))
    assert response.status_code == 404


def test_print_layout_has_no_inputs(client, world) -> None:
    jf.LessonFactory.create(assignment=world.assignment, date=FIRST_DAY)
    client.force_login(world.teacher_user)
    response = client.get(grid_url(world) + "?print=1")
    assert response.status_code == 200
    assert "grid-input" not in response.text
