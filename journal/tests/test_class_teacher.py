"""The class teacher: the class across subjects, absences, valid reasons."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from journal.models import Attendance, FinalMark, JournalChange, Mark
from journal.tests import factories as jf
from journal.tests.conftest import count_queries, enroll_pupils
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = datetime.date(2026, 11, 10)


@pytest.fixture
def russian(world):
    """Russian language in 5А, taught by ``other_teacher``, not the class teacher."""
    subject = f.SubjectFactory.create(
        school=world.school, name="Русский язык", short_name="Рус"
    )
    return f.TeachingAssignmentFactory.create(
        school_class=world.school_class, subject=subject, teacher=world.other_teacher
    )


def test_class_teacher_reads_another_teachers_journal(client, world, russian) -> None:
    lesson = jf.LessonFactory.create(assignment=russian, date=DAY)
    jf.MarkFactory.create(lesson=lesson, student=world.child, score=2)
    client.force_login(world.teacher_user)

    page = client.get(reverse("journal:grid", args=[russian.pk]))

    assert page.status_code == 200
    assert "grid-input" not in page.text
    assert "только для чтения" in page.text


def test_class_teacher_cannot_change_another_teachers_marks(
    client, world, russian
) -> None:
    lesson = jf.LessonFactory.create(assignment=russian, date=DAY)
    mark = jf.MarkFactory.create(lesson=lesson, student=world.child, score=2)
    client.force_login(world.teacher_user)

    cell = client.post(
        reverse("journal:grid_cell", args=[lesson.pk, world.child.pk]),
        {"value": "5", "state": f"a;m{mark.pk}:1", "work_type": mark.work_type_id},
        **HTMX,
    )
    final = client.post(
        reverse("journal:final_mark", args=[russian.pk, world.child.pk]),
        {"kind": "period", "period": world.quarter.pk, "value": "5", "version": 0},
        **HTMX,
    )
    lesson_page = client.post(reverse("journal:lesson", args=[lesson.pk]), {})

    assert (cell.status_code, final.status_code, lesson_page.status_code) == (
        403,
        403,
        404,
    )
    mark.refresh_from_db()
    assert (mark.score, mark.version) == (2, 1)
    assert not JournalChange.objects.exists()


def test_class_overview_shows_every_subject(client, world, russian) -> None:
    for number, score in enumerate((5, 4, 4), start=1):
        lesson = jf.LessonFactory.create(assignment=russian, date=DAY, number=number)
        jf.MarkFactory.create(lesson=lesson, student=world.child, score=score)
    jf.AttendanceFactory.create(
        lesson=lesson, student=world.other_child, code=Attendance.Code.ILL
    )
    client.force_login(world.teacher_user)

    page = client.get(reverse("journal:class", args=[world.school_class.pk]))

    assert page.status_code == 200
    child = next(p for p in page.context["pupils"] if p.student == world.child)
    russian_summary = next(s for s in child.subjects if s.assignment == russian)
    # (5 + 4 + 4) / 3 = 4.33: a 4.
    assert (russian_summary.average.display, russian_summary.suggestion) == (
        "4,33",
        "4",
    )
    other = next(p for p in page.context["pupils"] if p.student == world.other_child)
    assert (other.missed, other.absences["Б"]) == (1, 1)


def test_class_overview_query_count_is_fixed(client, world, russian) -> None:
    client.force_login(world.teacher_user)
    url = reverse("journal:class", args=[world.school_class.pk])
    small = count_queries(lambda: client.get(url))
    pupils = enroll_pupils(world.school_class, 20)
    lesson = jf.LessonFactory.create(assignment=russian, date=DAY)
    for pupil in pupils:
        jf.MarkFactory.create(lesson=lesson, student=pupil)
        jf.AttendanceFactory.create(lesson=lesson, student=pupil)
    assert count_queries(lambda: client.get(url)) == small


def test_other_teacher_cannot_open_the_class_pages(client, world) -> None:
    client.force_login(world.other_teacher_user)
    for name in ("journal:class", "journal:class_attendance"):
        assert (
            client.get(reverse(name, args=[world.school_class.pk])).status_code == 404
        )


def test_class_teacher_excuses_an_absence_with_a_reason(client, world, russian) -> None:
    lesson = jf.LessonFactory.create(assignment=russian, date=DAY)
    absence = jf.AttendanceFactory.create(lesson=lesson, student=world.child)
    client.force_login(world.teacher_user)
    url = reverse("journal:excuse", args=[world.school_class.pk, absence.pk])

    page = client.get(reverse("journal:class_attendance", args=[world.school_class.pk]))
    assert "Н → УП" in page.text
    client.post(url, {"version": 1, "reason": ""})
    absence.refresh_from_db()
    assert absence.code == "Н"

    client.post(url, {"version": 1, "reason": "Справка из поликлиники"})

    absence.refresh_from_db()
    assert (absence.code, absence.version) == ("УП", 2)
    change = JournalChange.objects.get(object_id=absence.pk)
    assert (change.old_value, change.new_value, change.reason) == (
        "Н",
        "УП",
        "Справка из поликлиники",
    )


def test_stale_excuse_is_refused(client, world, russian) -> None:
    lesson = jf.LessonFactory.create(assignment=russian, date=DAY)
    absence = jf.AttendanceFactory.create(lesson=lesson, student=world.child)
    client.force_login(world.teacher_user)
    url = reverse("journal:excuse", args=[world.school_class.pk, absence.pk])

    response = client.post(url, {"version": 7, "reason": "Заявление"}, follow=True)

    assert "изменили" in response.text
    absence.refresh_from_db()
    assert absence.code == "Н"


def test_other_teacher_cannot_excuse(client, world, russian) -> None:
    lesson = jf.LessonFactory.create(assignment=russian, date=DAY)
    absence = jf.AttendanceFactory.create(lesson=lesson, student=world.child)
    client.force_login(world.other_teacher_user)

    response = client.post(
        reverse("journal:excuse", args=[world.school_class.pk, absence.pk]),
        {"version": 1, "reason": "Заявление"},
    )

    assert response.status_code == 404
    absence.refresh_from_db()
    assert absence.code == "Н"
    assert not Mark.objects.exists()


def test_excuse_in_a_closed_period_is_refused(client, world, russian) -> None:
    world.quarter.closed_on = datetime.date(2026, 11, 30)
    world.quarter.save()
    lesson = jf.LessonFactory.create(assignment=russian, date=DAY)
    absence = jf.AttendanceFactory.create(lesson=lesson, student=world.child)
    client.force_login(world.teacher_user)

    response = client.post(
        reverse("journal:excuse", args=[world.school_class.pk, absence.pk]),
        {"version": 1, "reason": "Заявление"},
        follow=True,
    )

    assert "закрыт" in response.text
    absence.refresh_from_db()
    assert absence.code == "Н"


def test_report_card_exports_period_marks(client, world, russian) -> None:
    FinalMark.objects.create(
        student=world.child,
        subject=russian.subject,
        academic_year=world.year,
        kind=FinalMark.Kind.PERIOD,
        period=world.quarter,
        value="5",
    )
    client.force_login(world.teacher_user)

    response = client.get(
        reverse("journal:report_card_xlsx", args=[world.school_class.pk])
    )

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows[1]
    child = next(row for row in rows if row[0] == world.child.short_name)
    assert child[header.index("Рус")] == "5"


def test_other_teacher_cannot_export_the_report_card(client, world) -> None:
    client.force_login(world.other_teacher_user)
    response = client.get(
        reverse("journal:report_card_xlsx", args=[world.school_class.pk])
    )
    assert response.status_code == 404
