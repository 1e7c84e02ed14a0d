"""The завуч's writes: lessons from the timetable, timetable changes,
substitutions, cancellations and closing periods.

Lessons are generated from the timetable entries in force on each date,
skipping the holidays of the class's grade and dates outside every period.
A timetable change (a slot moved, given to another subject or teacher of
the class, added or removed) applies from a date on. Entries and lessons
before that date are never touched. A lesson on or after it that already
contains a topic, a mark or an attendance code is kept as it was held.
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
    School,
    SchoolClass,
    StaffMember,
    TeachingAssignment,
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


@dataclass
class TimetableChange:
    """The outcome of a timetable change, for the завуч's message."""

    # The entry in force from the change date on; None when a slot was removed.
    entry: TimetableEntry | None
    # Lessons on or after the change date with nothing recorded, now deleted.
    removed: int
    # Lessons on or after the change date with a topic, a mark or an
    # attendance code: they stay as they were held.
    kept: int
    # Lessons generated for the new entry.
    created: int = 0


def _check_in_year(year: AcademicYear, day: datetime.date) -> None:
    if not year.start_date <= day <= year.end_date:
        raise TimetableError(
            f"Дата {day:%d.%m.%Y} вне учебного года {year.start_date:%d.%m.%Y} — "
            f"{year.end_date:%d.%m.%Y}: выберите дату внутри года."
        )


def _check_starts_in_entry(entry: TimetableEntry, from_date: datetime.date) -> None:
    if from_date < entry.valid_from:
        raise TimetableError(
            f"Изменение не может действовать раньше начала действия урока в "
            f"расписании ({entry.valid_from:%d.%m.%Y})."
        )
    if entry.valid_to is not None and from_date > entry.valid_to:
        raise TimetableError("Этот урок в расписании уже не действует на эту дату.")


def slot_conflicts(
    assignment: TeachingAssignment,
    *,
    weekday: int,
    lesson_number: int,
    room: str,
    first: datetime.date,
    last: datetime.date | None,
    ignored_entry_id: int | None = None,
) -> list[str]:
    """Describe the entries that would share the slot with a new one.

    The class (or the same subgroup, or the whole class against a subgroup),
    the teacher and a non-empty room may each hold one lesson per slot.
    Entries in force at any time from ``first`` to ``last`` (open-ended when
    None) count; ``ignored_entry_id`` is the entry being replaced.
    """
    overlapping = TimetableEntry.objects.filter(
        assignment__school_class__academic_year_id=(
            assignment.school_class.academic_year_id
        ),
        weekday=weekday,
        lesson_number=lesson_number,
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
    if last is not None:
        overlapping = overlapping.filter(valid_from__lte=last)
    if ignored_entry_id is not None:
        overlapping = overlapping.exclude(pk=ignored_entry_id)
    same_class = Q(assignment__school_class_id=assignment.school_class_id)
    if assignment.subgroup_id is not None:
        # Two subgroups of a class are taught at the same time, in two rooms.
        same_class &= Q(assignment__subgroup__isnull=True) | Q(
            assignment__subgroup_id=assignment.subgroup_id
        )
    busy = Q(assignment__teacher_id=assignment.teacher_id) | same_class
    if room:
        busy |= Q(room=room)
    problems = []
    for other in overlapping.filter(busy).select_related(
        "assignment__school_class", "assignment__subject", "assignment__teacher"
    ):
        described = (
            f"{other.assignment.school_class.name}, "
            f"«{other.assignment.subject.name}» (в расписании с "
            f"{other.valid_from:%d.%m.%Y})"
        )
        if other.assignment.school_class_id == assignment.school_class_id and (
            other.assignment.subgroup_id is None
            or assignment.subgroup_id is None
            or other.assignment.subgroup_id == assignment.subgroup_id
        ):
            problems.append(f"У класса в это время уже стоит урок: {described}.")
        elif other.assignment.teacher_id == assignment.teacher_id:
            problems.append(
                f"Учитель {assignment.teacher.short_name} в это время ведёт "
                f"другой урок: {described}."
            )
        else:
            problems.append(f"Кабинет {room} в это время занят: {described}.")
    return problems


def _raise_conflicts(problems: list[str]) -> None:
    if problems:
        raise TimetableError(" ".join(problems))


def _remove_unheld(entry: TimetableEntry, from_date: datetime.date) -> tuple[int, int]:
    """Delete the entry's unheld lessons from the date on; return (removed, kept)."""
    unheld_ids = [lesson.pk for lesson in unheld_lessons(entry, from_date)]
    removed, _ = Lesson.objects.filter(pk__in=unheld_ids).delete()
    kept = Lesson.objects.filter(timetable_entry=entry, date__gte=from_date).count()
    return removed, kept


def _end_entry(entry: TimetableEntry, from_date: datetime.date) -> None:
    """End the entry the day before ``from_date``, or delete it if it never ran."""
    if from_date > entry.valid_from:
        entry.valid_to = from_date - ONE_DAY
        entry.save(update_fields=["valid_to"])
        return
    # The entry would end before it began. Its remaining lessons are held
    # ones, which keep their date, topic and marks without the link.
    entry.lessons.update(timetable_entry=None)
    entry.delete()


def _regenerate(
    school_class: SchoolClass,
    from_date: datetime.date,
    until: datetime.date | None,
) -> int:
    if until is None or until < from_date:
        return 0
    year = school_class.academic_year
    result = generate_lessons(
        year, from_date, min(until, year.end_date), classes=[school_class]
    )
    return result.created


def change_timetable_entry(
    entry: TimetableEntry,
    from_date: datetime.date,
    *,
    weekday: int,
    lesson_number: int,
    room: str,
    assignment: TeachingAssignment | None = None,
    regenerate_until: datetime.date | None = None,
) -> TimetableChange:
    """Change a timetable slot from a date on and return what changed.

    The old entry ends the day before ``from_date``. Its lessons from that
    date on that hold nothing are removed; held ones stay. ``assignment``
    (another subject, subgroup or teacher of the same class) replaces the
    entry's one. With ``regenerate_until`` the new entry's lessons are
    generated up to it. Raises TimetableError when the date is outside the
    year or the entry, when nothing changes, or when the class, the teacher
    or the room is busy.
    """
    school_class = entry.assignment.school_class
    new_assignment = assignment or entry.assignment
    if new_assignment.school_class_id != school_class.pk:
        raise TimetableError("Предмет и учитель должны быть из нагрузки этого класса.")
    with transaction.atomic():
        _lock_timetable(school_class.school_id)
        _reload(entry)
        return _change_locked(
            entry,
            new_assignment,
            from_date,
            weekday=weekday,
            lesson_number=lesson_number,
            room=room,
            regenerate_until=regenerate_until,
        )


def _reload(entry: TimetableEntry) -> None:
    """Read the entry again under the lock: another change may have ended or
    deleted it while the form was open."""
    try:
        entry.refresh_from_db()
    except TimetableEntry.DoesNotExist:
        raise TimetableError(
            "Этот урок уже убран из расписания другим изменением. "
            "Обновите страницу и проверьте расписание."
        ) from None


def _lock_timetable(school_id: int) -> None:
    """Serialize timetable changes of one school until the transaction ends.

    The conflict checks read other entries of the school (the teacher's and
    the room's slots), so two changes checked at once could both pass and
    book one slot twice. The school's row is the lock.
    """
    School.objects.select_for_update().filter(pk=school_id).first()


def _change_locked(
    entry: TimetableEntry,
    new_assignment: TeachingAssignment,
    from_date: datetime.date,
    *,
    weekday: int,
    lesson_number: int,
    room: str,
    regenerate_until: datetime.date | None,
) -> TimetableChange:
    school_class = entry.assignment.school_class
    _check_in_year(school_class.academic_year, from_date)
    _check_starts_in_entry(entry, from_date)
    unchanged = (
        new_assignment.pk == entry.assignment_id
        and weekday == entry.weekday
        and lesson_number == entry.lesson_number
        and room == entry.room
    )
    if unchanged:
        raise TimetableError(
            "Изменений нет: предмет, день, номер урока и кабинет те же. Измените "
            "что-нибудь или отметьте «убрать урок из расписания»."
        )
    _raise_conflicts(
        slot_conflicts(
            new_assignment,
            weekday=weekday,
            lesson_number=lesson_number,
            room=room,
            first=from_date,
            last=entry.valid_to,
            ignored_entry_id=entry.pk,
        )
    )
    new_entry = TimetableEntry.objects.create(
        assignment=new_assignment,
        weekday=weekday,
        lesson_number=lesson_number,
        room=room,
        valid_from=from_date,
        valid_to=entry.valid_to,
    )
    removed, kept = _remove_unheld(entry, from_date)
    _end_entry(entry, from_date)
    created = _regenerate(school_class, from_date, regenerate_until)
    logger.info(
        "Timetable entry %s changed from %s into %s: %s unheld lessons removed, "
        "%s held kept, %s created",
        entry.pk,
        from_date,
        new_entry.pk,
        removed,
        kept,
        created,
    )
    return TimetableChange(new_entry, removed, kept, created)


def remove_timetable_entry(
    entry: TimetableEntry, from_date: datetime.date
) -> TimetableChange:
    """Take a slot out of the timetable from a date on.

    Lessons of the slot from that date on that hold nothing are deleted;
    held ones and every lesson before the date stay.
    """
    school_class = entry.assignment.school_class
    _check_in_year(school_class.academic_year, from_date)
    entry_id = entry.pk
    with transaction.atomic():
        _lock_timetable(school_class.school_id)
        _reload(entry)
        _check_starts_in_entry(entry, from_date)
        removed, kept = _remove_unheld(entry, from_date)
        _end_entry(entry, from_date)
    logger.info(
        "Timetable entry %s removed from %s: %s unheld lessons removed, %s held kept",
        entry_id,
        from_date,
        removed,
        kept,
    )
    return TimetableChange(None, removed, kept)


def add_timetable_entry(
    assignment: TeachingAssignment,
    from_date: datetime.date,
    *,
    weekday: int,
    lesson_number: int,
    room: str,
    regenerate_until: datetime.date | None = None,
) -> TimetableChange:
    """Put a new slot into the timetable from a date on, to the end of the year."""
    school_class = assignment.school_class
    _check_in_year(school_class.academic_year, from_date)
    with transaction.atomic():
        _lock_timetable(school_class.school_id)
        _raise_conflicts(
            slot_conflicts(
                assignment,
                weekday=weekday,
                lesson_number=lesson_number,
                room=room,
                first=from_date,
                last=None,
            )
        )
        entry = TimetableEntry.objects.create(
            assignment=assignment,
            weekday=weekday,
            lesson_number=lesson_number,
            room=room,
            valid_from=from_date,
        )
        created = _regenerate(school_class, from_date, regenerate_until)
    logger.info(
        "Timetable entry %s added from %s: %s lessons created",
        entry.pk,
        from_date,
        created,
    )
    return TimetableChange(entry, 0, 0, created)


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
