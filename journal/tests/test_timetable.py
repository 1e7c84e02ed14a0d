"""Lessons from the timetable, timetable changes, substitutions, closing."""

from __future__ import annotations

import datetime

import pytest

from journal.models import Lesson
from journal.tests import factories as jf
from journal.timetable import (
    TimetableError,
    change_timetable_entry,
    close_period,
    generate_lessons,
    remove_timetable_entry,
    set_cancelled,
    set_substitute,
)
from school.models import Holiday
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

# Monday 16 November 2026 to Sunday 29 November 2026, inside the quarter.
FIRST = datetime.date(2026, 11, 16)
LAST = datetime.date(2026, 11, 29)


@pytest.fixture
def tuesday_slot(world):
    return f.TimetableEntryFactory.create(
        assignment=world.assignment,
        weekday=2,
        lesson_number=3,
        room="12",
        valid_from=datetime.date(2026, 9, 1),
        valid_to=None,
    )


def lesson_dates(world) -> list[datetime.date]:
    return list(
        Lesson.objects.filter(assignment=world.assignment)
        .order_by("date")
        .values_list("date", flat=True)
    )


def test_lessons_follow_the_timetable(world, tuesday_slot) -> None:
    result = generate_lessons(world.year, FIRST, LAST)

    assert result.created == 2
    assert lesson_dates(world) == [
        datetime.date(2026, 11, 17),
        datetime.date(2026, 11, 24),
    ]
    lesson = Lesson.objects.get(date=datetime.date(2026, 11, 17))
    assert (lesson.number, lesson.room, lesson.timetable_entry) == (
        3,
        "12",
        tuesday_slot,
    )


def test_generating_twice_creates_nothing_new(world, tuesday_slot) -> None:
    generate_lessons(world.year, FIRST, LAST)
    assert generate_lessons(world.year, FIRST, LAST).created == 0


def test_no_lesson_is_generated_in_a_holiday(world, tuesday_slot) -> None:
    Holiday.objects.create(
        academic_year=world.year,
        name="Дополнительные каникулы",
        start_date=datetime.date(2026, 11, 23),
        end_date=datetime.date(2026, 11, 29),
    )

    result = generate_lessons(world.year, FIRST, LAST)

    assert (result.created, result.skipped_holidays) == (1, 1)
    assert lesson_dates(world) == [datetime.date(2026, 11, 17)]


def test_dates_outside_the_year_are_refused(world, tuesday_slot) -> None:
    with pytest.raises(TimetableError):
        generate_lessons(world.year, datetime.date(2026, 8, 1), LAST)


def test_timetable_change_leaves_held_lessons_untouched(world, tuesday_slot) -> None:
    generate_lessons(world.year, FIRST, LAST)
    held = Lesson.objects.get(date=datetime.date(2026, 11, 17))
    held.topic = "Дроби"
    held.save()
    jf.MarkFactory.create(lesson=held, student=world.child)
    # A lesson after the change date that was already held stays too.
    later_held = Lesson.objects.get(date=datetime.date(2026, 11, 24))
    jf.AttendanceFactory.create(lesson=later_held, student=world.child)
    jf.LessonFactory.create(
        assignment=world.assignment,
        timetable_entry=tuesday_slot,
        date=datetime.date(2026, 12, 1),
        number=3,
        topic="",
    )

    change = change_timetable_entry(
        tuesday_slot,
        datetime.date(2026, 11, 23),
        weekday=4,
        lesson_number=2,
        room="15",
        regenerate_until=datetime.date(2026, 12, 6),
    )

    held.refresh_from_db()
    assert (held.date, held.number, held.room, held.topic) == (
        datetime.date(2026, 11, 17),
        3,
        "12",
        "Дроби",
    )
    assert held.timetable_entry == tuesday_slot
    assert Lesson.objects.filter(pk=later_held.pk).exists()
    # The unheld Tuesday lesson of 1 December is gone; Thursdays took its place.
    assert lesson_dates(world) == [
        datetime.date(2026, 11, 17),
        datetime.date(2026, 11, 24),
        datetime.date(2026, 11, 26),
        datetime.date(2026, 12, 3),
    ]
    tuesday_slot.refresh_from_db()
    assert tuesday_slot.valid_to == datetime.date(2026, 11, 22)
    assert change.entry is not None
    assert change.entry.valid_from == datetime.date(2026, 11, 23)
    assert (change.removed, change.kept, change.created) == (1, 1, 2)


def test_substitute_and_cancel(world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment)
    set_substitute(lesson, world.other_teacher)
    set_cancelled(lesson, True)
    lesson.refresh_from_db()
    assert (lesson.substitute_teacher, lesson.is_cancelled) == (
        world.other_teacher,
        True,
    )


def test_a_lesson_with_marks_cannot_be_cancelled(world) -> None:
    lesson = jf.LessonFactory.create(assignment=world.assignment)
    jf.MarkFactory.create(lesson=lesson, student=world.child)
    with pytest.raises(TimetableError):
        set_cancelled(lesson, True)


def test_closing_a_period(world) -> None:
    close_period(world.quarter, datetime.date(2026, 12, 29))
    world.quarter.refresh_from_db()
    assert world.quarter.closed_on == datetime.date(2026, 12, 29)


def test_change_of_a_deleted_slot_is_explained(world, tuesday_slot) -> None:
    stale = f.TimetableEntryFactory.create(
        assignment=world.assignment,
        weekday=4,
        lesson_number=2,
        room="12",
        valid_from=datetime.date(2026, 11, 20),
        valid_to=None,
    )
    # Another завуч's form removed the slot from its first day on, which
    # deletes it. This form still has the old object.
    same_row = type(stale).objects.get(pk=stale.pk)
    remove_timetable_entry(same_row, datetime.date(2026, 11, 20))

    with pytest.raises(TimetableError, match="уже убран из расписания"):
        change_timetable_entry(
            stale, datetime.date(2026, 11, 27), weekday=4, lesson_number=3, room="12"
        )
    with pytest.raises(TimetableError, match="уже убран из расписания"):
        remove_timetable_entry(stale, datetime.date(2026, 11, 27))
