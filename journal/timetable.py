"""The завуч's writes: lessons from the timetable, timetable changes,
substitutions, cancellations and closing periods.

Lessons are generated from the timetable entries in force on each date,
skipping the holidays of the class's grade and dates outside every period.
A timetable change applies from a date on: entries and lessons before that
date are never touched, and a lesson on or after it that already holds a
topic, a mark or an attendance code is kept as it was held.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from journal.grading import holiday_on, period_of
from journal.models import Attendance, Lesson, Mark
from school.models import (
    AcademicYear,
    Holiday,
    Period,
    SchoolClass,
    StaffMember,
    TimetableEntry,
)

logger = logging.getLogger(__name__)

ONE_DAY = datetime.timedelta(days=1)


class TimetableError(Exception):
    """The change was not made; the message is for the завуч."""


@dataclass
class GenerationResult:
    created: int
    skipped_holidays: int


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + ONE_DAY * offset for offset in range((last - first).days + 1)]


def generate_lessons(
    year: AcademicYear,
    first: datetime.date,
    last: datetime.date,
    classes: list[SchoolClass] | None = None,
) -> GenerationResult:
    """Create the lessons of the timetable between two dates, both included.

    Existing lessons (the same assignment, date and number) are left alone,
    so running it twice creates nothing new. Runs a fixed number of queries
    plus one bulk insert.
    """
    if last < first:
        raise TimetableError("Дата окончания раньше даты начала.")
    if first < year.start_date or last > year.end_date:
        raise TimetableError(
            f"Даты должны лежать внутри учебного года {year.start_date:%d.%m.%Y} — "
            f"{year.end_date:%d.%m.%Y}."
        )
    entries = TimetableEntry.objects.filter(
        assignment__school_class__academic_year=year, valid_from__lte=last
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
    if classes is not None:
        entries = entries.filter(assignment__school_class__in=classes)
    entries_list = list(entries.select_related("assignment__school_class"))
    holidays = list(Holiday.objects.filter(academic_year=year))
    periods = list(Period.objects.filter(academic_year=year))

    lessons = []
    skipped = 0
    for day in _days(first, last):
        weekday = day.isoweekday()
        for entry in entries_list:
            if entry.weekday != weekday or not entry.is_valid_on(day):
                continue
            grade = entry.assignment.school_class.grade
            if holiday_on(holidays, grade, day) is not None:
                skipped += 1
                continue
            if period_of(periods, holidays, grade, day) is None:
                continue
            lessons.append(
                Lesson(
                    assignment=entry.assignment,
                    school_class=entry.assignment.school_class,
                    timetable_entry=entry,
                    date=day,
                    number=entry.lesson_number,
                    room=entry.room,
                )
            )
    before = Lesson.objects.filter(
        school_class__academic_year=year, date__gte=first, date__lte=last
    ).count()
    Lesson.objects.bulk_create(lessons, ignore_conflicts=True, batch_size=1000)
    after = Lesson.objects.filter(
        school_class__academic_year=year, date__gte=first, date__lte=last
    ).count()
    logger.info(
        "Lessons generated for year %s, %s to %s: %s new",
        year.pk,
        first,
        last,
        after - before,
    )
    return GenerationResult(created=after - before, skipped_holidays=skipped)


def unheld_lessons(entry: TimetableEntry, from_date: datetime.date) -> QuerySet[Lesson]:
    """Lessons of the entry from the date on with nothing recorded in them."""
    return (
        Lesson.objects.filter(timetable_entry=entry, date__gte=from_date, topic="")
        .annotate(
            has_marks=Exists(Mark.objects.filter(lesson=OuterRef("pk"))),
            has_attendance=Exists(Attendance.objects.filter(lesson=OuterRef("pk"))),
        )
        .filter(has_marks=False, has_attendance=False)
    )


def change_timetable_entry(
    entry: TimetableEntry,
    from_date: datetime.date,
    *,
    weekday: int,
    lesson_number: int,
    room: str,
    regenerate_until: datetime.date | None = None,
) -> TimetableEntry:
    """Move a timetable slot from a date on; return the new entry.

    The old entry ends the day before ``from_date``. Its lessons from that
    date on that hold nothing are removed; held ones stay. With
    ``regenerate_until`` the new entry's lessons are generated up to it.
    """
    if from_date < entry.valid_from:
        raise TimetableError(
            f"Изменение не может действовать раньше начала действия урока в "
            f"расписании ({entry.valid_from:%d.%m.%Y})."
        )
    if entry.valid_to is not None and from_date > entry.valid_to:
        raise TimetableError("Этот урок в расписании уже не действует на эту дату.")
    with transaction.atomic():
        new_entry = TimetableEntry.objects.create(
            assignment=entry.assignment,
            weekday=weekday,
            lesson_number=lesson_number,
            room=room,
            valid_from=from_date,
            valid_to=entry.valid_to,
        )
        unheld = unheld_lessons(entry, from_date)
        removed = Lesson.objects.filter(
            pk__in=[lesson.pk for lesson in unheld]
        ).delete()
        if from_date == entry.valid_from and not entry.lessons.exists():
            entry.delete()
        else:
            entry.valid_to = from_date - ONE_DAY
            entry.save(update_fields=["valid_to"])
        if regenerate_until is not None and regenerate_until >= from_date:
            year = entry.assignment.school_class.academic_year
            generate_lessons(
                year,
                from_date,
                min(regenerate_until, year.end_date),
                classes=[entry.assignment.school_class],
            )
    logger.info(
        "Timetable entry %s changed from %s: %s unheld lessons removed",
        entry.pk,
        from_date,
        removed[0],
    )
    return new_entry


def set_substitute(lesson: Lesson, substitute: StaffMember | None) -> None:
    if substitute is not None and substitute.pk == lesson.assignment.teacher_id:
        substitute = None
    lesson.substitute_teacher = substitute
    lesson.save(update_fields=["substitute_teacher", "updated_at"])


def set_cancelled(lesson: Lesson, cancelled: bool) -> None:
    if cancelled and (lesson.marks.exists() or lesson.attendance.exists()):
        raise TimetableError(
            "На уроке уже есть отметки или посещаемость: отменить его нельзя. "
            "Удалите их на странице урока или оставьте урок."
        )
    lesson.is_cancelled = cancelled
    lesson.save(update_fields=["is_cancelled", "updated_at"])


def close_period(period: Period, closed_on: datetime.date | None) -> None:
    """Close the period from a date (None opens it again)."""
    if closed_on is not None and closed_on < period.start_date:
        raise TimetableError("Дата закрытия раньше начала периода.")
    period.closed_on = closed_on
    period.save(update_fields=["closed_on"])
    logger.info("Period %s closed on %s", period.pk, closed_on)
