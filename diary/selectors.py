"""Reads for the diary pages: one pupil's week, timetable, attendance, marks."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from journal.dates import school_week
from journal.grading import (
    ABSENCE_CODES,
    Average,
    in_range,
    weighted_average,
    whole_days_missed,
)
from journal.models import Attendance, FinalMark, JournalChange, Lesson, Mark
from school.models import (
    AcademicYear,
    Bell,
    Enrollment,
    Holiday,
    Period,
    SchoolClass,
    Student,
    SubgroupMembership,
    Subject,
    TeachingAssignment,
    TimetableEntry,
)


class _SchoolDayMixin:
    """Properties shared by the diary's and the schedule's days."""

    date: datetime.date
    school_class: SchoolClass | None

    @property
    def is_day_off(self) -> bool:
        """Saturday at a school with a five-day week."""
        return (
            self.date.weekday() == 5
            and self.school_class is not None
            and not self.school_class.school.works_saturday
        )


class _WeekNavigationMixin:
    """Week bounds and neighbours shared by the diary's and the schedule's weeks."""

    monday: datetime.date

    @property
    def saturday(self) -> datetime.date:
        return school_week(self.monday)[-1]

    @property
    def previous_monday(self) -> datetime.date:
        return self.monday - datetime.timedelta(days=7)

    @property
    def next_monday(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=7)


@dataclass
class WeekBounds(_WeekNavigationMixin):
    """A week's dates and neighbours, for a page whose days come from the cache."""

    monday: datetime.date


@dataclass
class DiaryLesson:
    lesson: Lesson
    bell: Bell | None
    marks: list[Mark]
    attendance: Attendance | None
    # Changes and removals of the pupil's marks at this lesson, oldest first.
    mark_changes: list[JournalChange] = field(default_factory=list)

    @property
    def is_substituted(self) -> bool:
        return self.lesson.substitute_teacher_id is not None


@dataclass
class DiaryDay(_SchoolDayMixin):
    date: datetime.date
    school_class: SchoolClass | None
    holiday: Holiday | None
    lessons: list[DiaryLesson] = field(default_factory=list)
    # Timetable slots of a school day whose lessons are not in the journal
    # yet (lessons are created ahead only as far as the school generates them).
    planned: list[ScheduleSlot] = field(default_factory=list)

    @property
    def is_enrolled(self) -> bool:
        return self.school_class is not None


@dataclass
class DiaryWeek(_WeekNavigationMixin):
    monday: datetime.date
    days: list[DiaryDay]

    @property
    def absence_count(self) -> int:
        return sum(
            1
            for day in self.days
            for item in day.lessons
            if item.attendance is not None
            and item.attendance.code != Attendance.Code.LATE
        )


def _week_lessons(
    student: Student, class_ids: list[int], first: datetime.date, last: datetime.date
) -> list[Lesson]:
    # The class's lessons without a subgroup plus those of the pupil's subgroups.
    subgroup_ids = SubgroupMembership.objects.filter(
        student=student, subgroup__school_class_id__in=class_ids
    ).values("subgroup_id")
    marks = Mark.objects.filter(student=student).select_related("work_type")
    attendance = Attendance.objects.filter(student=student)
    changes = JournalChange.objects.filter(
        student=student,
        kind=JournalChange.Kind.MARK,
        action__in=[JournalChange.Action.CHANGED, JournalChange.Action.DELETED],
    ).order_by("changed_at", "id")
    lessons = (
        Lesson.objects.between(first, last)
        .filter(school_class_id__in=class_ids)
        .filter(
            Q(assignment__subgroup__isnull=True)
            | Q(assignment__subgroup_id__in=subgroup_ids)
        )
        .select_related(
            "assignment__subject",
            "assignment__subgroup",
            "assignment__teacher",
            "substitute_teacher",
        )
        .prefetch_related(
            Prefetch(
                "marks",
                queryset=marks.order_by("entered_at", "id"),
                to_attr="pupil_marks",
            ),
            Prefetch("attendance", queryset=attendance, to_attr="pupil_attendance"),
            Prefetch("changes", queryset=changes, to_attr="pupil_mark_changes"),
        )
        .order_by("date", "number", "assignment__subject__name", "id")
    )
    return list(lessons)


def _holiday_on(
    holidays: list[Holiday], school_class: SchoolClass, day: datetime.date
) -> Holiday | None:
    for holiday in holidays:
        if (
            holiday.academic_year_id == school_class.academic_year_id
            and holiday.grade_from <= school_class.grade <= holiday.grade_to
            and holiday.start_date <= day <= holiday.end_date
        ):
            return holiday
    return None


def diary_week(
    student: Student,
    monday: datetime.date,
    known_enrollments: Sequence[Enrollment] | None = None,
) -> DiaryWeek:
    """Build the pupil's week from Monday to Saturday.

    A day counts only while the pupil is enrolled, so a pupil who joined or
    left a class mid-week sees that class's lessons only for their days in
    it. ``known_enrollments`` (all the pupil's enrollments with class and
    school loaded, as the access check has them) saves one query. Runs seven
    queries, or six, whatever the class size and the number of marks.
    """
    dates = school_week(monday)
    first, last = dates[0], dates[-1]
    if known_enrollments is None:
        enrollments = list(
            Enrollment.objects.filter(student=student)
            .overlapping(first, last)
            .select_related("school_class__school", "school_class__academic_year")
        )
    else:
        enrollments = [e for e in known_enrollments if e.overlaps(first, last)]
    if not enrollments:
        days = [DiaryDay(date=day, school_class=None, holiday=None) for day in dates]
        return DiaryWeek(monday=monday, days=days)

    class_ids = sorted({enrollment.school_class_id for enrollment in enrollments})
    year_ids = {enrollment.school_class.academic_year_id for enrollment in enrollments}
    lessons = _week_lessons(student, class_ids, first, last)
    bells = {
        (bell.academic_year_id, bell.lesson_number): bell
        for bell in Bell.objects.filter(academic_year_id__in=year_ids)
    }
    holidays = list(
        Holiday.objects.filter(
            academic_year_id__in=year_ids, start_date__lte=last, end_date__gte=first
        )
    )
    entries = _week_timetable(student, class_ids, first, last)

    days = []
    for day in dates:
        enrollment = next((e for e in enrollments if e.is_active_on(day)), None)
        if enrollment is None:
            days.append(DiaryDay(date=day, school_class=None, holiday=None))
            continue
        school_class = enrollment.school_class
        diary_day = DiaryDay(
            date=day,
            school_class=school_class,
            holiday=_holiday_on(holidays, school_class, day),
        )
        for lesson in lessons:
            if lesson.date != day or lesson.school_class_id != school_class.pk:
                continue
            pupil_attendance = lesson.pupil_attendance  # type: ignore[attr-defined]
            diary_day.lessons.append(
                DiaryLesson(
                    lesson=lesson,
                    bell=bells.get((school_class.academic_year_id, lesson.number)),
                    marks=lesson.pupil_marks,  # type: ignore[attr-defined]
                    attendance=pupil_attendance[0] if pupil_attendance else None,
                    mark_changes=lesson.pupil_mark_changes,  # type: ignore[attr-defined]
                )
            )
        if not diary_day.lessons and diary_day.holiday is None:
            diary_day.planned = _planned_slots(entries, bells, school_class, day)
        days.append(diary_day)
    return DiaryWeek(monday=monday, days=days)


def _week_timetable(
    student: Student, class_ids: list[int], first: datetime.date, last: datetime.date
) -> list[TimetableEntry]:
    """Return the timetable entries of the pupil's classes valid in the week."""
    return list(
        TimetableEntry.objects.filter(assignment__school_class_id__in=class_ids)
        .filter(valid_from__lte=last)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
        .filter(
            Q(assignment__subgroup__isnull=True)
            | Q(assignment__subgroup_id__in=_pupil_subgroups(student))
        )
        .select_related(
            "assignment__subject", "assignment__subgroup", "assignment__teacher"
        )
        .order_by("lesson_number", "assignment__subject__name", "id")
    )


def _planned_slots(
    entries: list[TimetableEntry],
    bells: dict[tuple[int, int], Bell],
    school_class: SchoolClass,
    day: datetime.date,
) -> list[ScheduleSlot]:
    year = school_class.academic_year
    if not year.start_date <= day <= year.end_date:
        return []
    return [
        ScheduleSlot(
            entry, bells.get((school_class.academic_year_id, entry.lesson_number))
        )
        for entry in entries
        if entry.assignment.school_class_id == school_class.pk
        and entry.weekday == day.isoweekday()
        and entry.is_valid_on(day)
    ]


# ----- Pupil's subjects, timetable and teachers -----------------------------


def _pupil_subgroups(student: Student) -> QuerySet[SubgroupMembership, int]:
    return SubgroupMembership.objects.filter(student=student).values_list(
        "subgroup_id", flat=True
    )


def pupil_assignments(
    student: Student, school_class: SchoolClass
) -> list[TeachingAssignment]:
    """Return the class's assignments for the whole class and the pupil's subgroups."""
    return list(
        TeachingAssignment.objects.filter(school_class=school_class)
        .filter(Q(subgroup__isnull=True) | Q(subgroup_id__in=_pupil_subgroups(student)))
        .select_related("subject", "subgroup", "teacher")
        .order_by("subject__name", "subgroup__name", "id")
    )


@dataclass
class SubjectTeachers:
    subject: Subject
    assignments: list[TeachingAssignment]


def subject_teachers(
    student: Student, school_class: SchoolClass
) -> list[SubjectTeachers]:
    """Return each of the pupil's subjects with its teachers (one per subgroup)."""
    rows: dict[int, SubjectTeachers] = {}
    for assignment in pupil_assignments(student, school_class):
        row = rows.setdefault(
            assignment.subject_id, SubjectTeachers(assignment.subject, [])
        )
        row.assignments.append(assignment)
    return list(rows.values())


@dataclass
class ScheduleSlot:
    entry: TimetableEntry
    bell: Bell | None


@dataclass
class ScheduleDay(_SchoolDayMixin):
    date: datetime.date
    school_class: SchoolClass | None
    holiday: Holiday | None
    outside_year: bool
    slots: list[ScheduleSlot] = field(default_factory=list)


@dataclass
class ScheduleWeek(_WeekNavigationMixin):
    monday: datetime.date
    days: list[ScheduleDay]


def weekly_schedule(student: Student, monday: datetime.date) -> ScheduleWeek:
    """Return the timetable in force on each day of the week for the pupil's class.

    A timetable change applies from its date on, so a week before the change
    shows the entries that were valid then. Runs four queries.
    """
    dates = school_week(monday)
    first, last = dates[0], dates[-1]
    enrollments = list(
        Enrollment.objects.filter(student=student)
        .overlapping(first, last)
        .select_related("school_class__school", "school_class__academic_year")
    )
    if not enrollments:
        days = [ScheduleDay(day, None, None, outside_year=False) for day in dates]
        return ScheduleWeek(monday=monday, days=days)

    class_ids = sorted({enrollment.school_class_id for enrollment in enrollments})
    year_ids = {enrollment.school_class.academic_year_id for enrollment in enrollments}
    entries = _week_timetable(student, class_ids, first, last)
    bells = {
        (bell.academic_year_id, bell.lesson_number): bell
        for bell in Bell.objects.filter(academic_year_id__in=year_ids)
    }
    holidays = list(
        Holiday.objects.filter(
            academic_year_id__in=year_ids, start_date__lte=last, end_date__gte=first
        )
    )

    days = []
    for day in dates:
        enrollment = next((e for e in enrollments if e.is_active_on(day)), None)
        if enrollment is None:
            days.append(ScheduleDay(day, None, None, outside_year=False))
            continue
        school_class = enrollment.school_class
        year = school_class.academic_year
        schedule_day = ScheduleDay(
            date=day,
            school_class=school_class,
            holiday=_holiday_on(holidays, school_class, day),
            outside_year=not year.start_date <= day <= year.end_date,
        )
        if schedule_day.holiday is None:
            schedule_day.slots = _planned_slots(entries, bells, school_class, day)
        days.append(schedule_day)
    return ScheduleWeek(monday=monday, days=days)


# ----- Attendance --------------------------------------------------------------


def attendance_records(
    student: Student, first: datetime.date, last: datetime.date
) -> list[Attendance]:
    """Return the pupil's attendance codes for lessons from ``first`` to ``last``."""
    return list(
        Attendance.objects.filter(
            student=student, lesson__date__gte=first, lesson__date__lte=last
        )
        .select_related("lesson__assignment__subject", "lesson__assignment__subgroup")
        .order_by("lesson__date", "lesson__number", "id")
    )


@dataclass
class MissedRow:
    subject: Subject
    counts: dict[str, int]

    @property
    def missed(self) -> int:
        return sum(self.counts[code] for code in ABSENCE_CODES)

    @property
    def late(self) -> int:
        return self.counts[Attendance.Code.LATE]


@dataclass
class MissedSummary:
    first: datetime.date
    last: datetime.date
    rows: list[MissedRow]
    totals: dict[str, int]
    whole_days: list[datetime.date]

    @property
    def missed(self) -> int:
        return sum(self.totals[code] for code in ABSENCE_CODES)

    @property
    def late(self) -> int:
        return self.totals[Attendance.Code.LATE]


def _pupil_lessons_on(
    student: Student, enrollments: list[Enrollment], days: set[datetime.date]
) -> dict[datetime.date, set[int]]:
    """Ids of the pupil's lessons held (not cancelled) on each of ``days``."""
    if not days or not enrollments:
        return {}
    lessons = (
        Lesson.objects.filter(
            school_class_id__in={e.school_class_id for e in enrollments},
            date__in=days,
            is_cancelled=False,
        )
        .filter(
            Q(assignment__subgroup__isnull=True)
            | Q(assignment__subgroup_id__in=_pupil_subgroups(student))
        )
        .values_list("id", "date", "school_class_id")
    )
    held: dict[datetime.date, set[int]] = {}
    for lesson_id, day, class_id in lessons:
        if any(
            e.school_class_id == class_id and e.is_active_on(day) for e in enrollments
        ):
            held.setdefault(day, set()).add(lesson_id)
    return held


def missed_summary(
    student: Student, first: datetime.date, last: datetime.date
) -> MissedSummary:
    """Missed and late lessons per subject and code, and whole days missed.

    A whole day is a day on which the pupil missed (Н, Б or УП) every lesson
    held for them. Runs four queries.
    """
    records = attendance_records(student, first, last)
    codes = [code.value for code in Attendance.Code]
    rows: dict[int, MissedRow] = {}
    totals = dict.fromkeys(codes, 0)
    absent_by_day: dict[datetime.date, set[int]] = {}
    for record in records:
        subject = record.lesson.assignment.subject
        row = rows.setdefault(subject.pk, MissedRow(subject, dict.fromkeys(codes, 0)))
        row.counts[record.code] += 1
        totals[record.code] += 1
        if record.code in ABSENCE_CODES and not record.lesson.is_cancelled:
            absent_by_day.setdefault(record.lesson.date, set()).add(record.lesson_id)

    enrollments = list(
        Enrollment.objects.filter(student=student).overlapping(first, last)
    )
    held = _pupil_lessons_on(student, enrollments, set(absent_by_day))
    whole_days = whole_days_missed(absent_by_day, held)
    ordered = sorted(rows.values(), key=lambda row: row.subject.name)
    return MissedSummary(first, last, ordered, totals, whole_days)


# ----- Marks of a subject, final marks -----------------------------------------


def year_periods(school_class: SchoolClass) -> list[Period]:
    return [
        period
        for period in Period.objects.filter(
            academic_year_id=school_class.academic_year_id
        ).order_by("start_date", "number")
        if period.grade_from <= school_class.grade <= period.grade_to
    ]


@dataclass
class SubjectMarks:
    subject: Subject
    marks: list[Mark]
    periods: list[Period]
    period: Period | None
    period_average: Average
    year_average: Average
    year: AcademicYear

    @property
    def period_marks(self) -> list[Mark]:
        if self.period is None:
            return []
        return [m for m in self.marks if in_range(m.lesson.date, self.period)]


def pupil_subjects(student: Student, school_class: SchoolClass) -> list[Subject]:
    return [row.subject for row in subject_teachers(student, school_class)]


def subject_marks(
    student: Student,
    subject: Subject,
    school_class: SchoolClass,
    period_id: int | None,
    today: datetime.date,
) -> SubjectMarks:
    """Return the pupil's marks in a subject this year with period and year averages.

    The period average takes the marks of lessons dated inside the period,
    both end dates included; the year average takes every mark of the year.
    Runs two queries.
    """
    year = school_class.academic_year
    periods = year_periods(school_class)
    marks = list(
        Mark.objects.filter(
            student=student,
            lesson__assignment__subject=subject,
            lesson__date__gte=year.start_date,
            lesson__date__lte=year.end_date,
        )
        .select_related("lesson", "work_type")
        .order_by("lesson__date", "lesson__number", "entered_at", "id")
    )
    period = next((p for p in periods if p.pk == period_id), None)
    if period is None:
        period = current_period(periods, today)
    period_marks = (
        [m for m in marks if in_range(m.lesson.date, period)] if period else []
    )
    return SubjectMarks(
        subject=subject,
        marks=marks,
        periods=periods,
        period=period,
        period_average=weighted_average(period_marks),
        year_average=weighted_average(marks),
        year=year,
    )


def current_period(periods: list[Period], today: datetime.date) -> Period | None:
    """Return the period containing today, else the last one begun, else the first."""
    begun = [p for p in periods if p.start_date <= today]
    for period in begun:
        if period.contains(today):
            return period
    if begun:
        return begun[-1]
    return periods[0] if periods else None


FINAL_DISPLAY = {
    FinalMark.Value.NOT_CERTIFIED: "н/а",
    FinalMark.Value.EXEMPT: "осв",
    FinalMark.Value.PASS: "зачёт",
    FinalMark.Value.FAIL: "незачёт",
}


def final_display(mark: FinalMark | None) -> str:
    if mark is None:
        return ""
    return FINAL_DISPLAY.get(FinalMark.Value(mark.value), mark.value)


@dataclass
class FinalRow:
    subject: Subject
    by_period: list[FinalMark | None]
    year: FinalMark | None
    exam: FinalMark | None
    final: FinalMark | None


@dataclass
class FinalTable:
    year: AcademicYear
    periods: list[Period]
    rows: list[FinalRow]
    school_class: SchoolClass | None = None

    @property
    def has_exam(self) -> bool:
        return any(row.exam for row in self.rows)

    @property
    def has_final(self) -> bool:
        return any(row.final for row in self.rows)


def _final_table(
    year: AcademicYear,
    periods: list[Period],
    marks: list[FinalMark],
    subjects: list[Subject],
) -> FinalTable:
    by_subject: dict[int, dict[tuple[str, int | None], FinalMark]] = {}
    all_subjects = {subject.pk: subject for subject in subjects}
    for mark in marks:
        all_subjects.setdefault(mark.subject_id, mark.subject)
        by_subject.setdefault(mark.subject_id, {})[(mark.kind, mark.period_id)] = mark
    rows = []
    for subject in sorted(all_subjects.values(), key=lambda s: s.name):
        cells = by_subject.get(subject.pk, {})
        rows.append(
            FinalRow(
                subject=subject,
                by_period=[cells.get((FinalMark.Kind.PERIOD, p.pk)) for p in periods],
                year=cells.get((FinalMark.Kind.YEAR, None)),
                exam=cells.get((FinalMark.Kind.EXAM, None)),
                final=cells.get((FinalMark.Kind.FINAL, None)),
            )
        )
    return FinalTable(year=year, periods=periods, rows=rows)


def current_final_marks(student: Student, school_class: SchoolClass) -> FinalTable:
    """Subjects × periods of this year, then year, exam and final marks."""
    year = school_class.academic_year
    marks = list(
        FinalMark.objects.filter(student=student, academic_year=year).select_related(
            "subject"
        )
    )
    table = _final_table(
        year,
        year_periods(school_class),
        marks,
        pupil_subjects(student, school_class),
    )
    table.school_class = school_class
    return table


def past_final_marks(
    student: Student, current_year: AcademicYear, enrollments: list[Enrollment]
) -> list[FinalTable]:
    """Final marks of each earlier year, newest first, from any school."""
    marks = list(
        FinalMark.objects.filter(
            student=student, academic_year__start_date__lt=current_year.start_date
        ).select_related("subject", "period", "academic_year__school")
    )
    years: dict[int, AcademicYear] = {}
    for enrollment in enrollments:
        year = enrollment.school_class.academic_year
        if year.start_date < current_year.start_date:
            years.setdefault(year.pk, year)
    for mark in marks:
        years.setdefault(mark.academic_year_id, mark.academic_year)
    tables = []
    for year in sorted(years.values(), key=lambda y: y.start_date, reverse=True):
        year_marks = [m for m in marks if m.academic_year_id == year.pk]
        periods = sorted(
            {m.period for m in year_marks if m.period is not None},
            key=lambda p: (p.start_date, p.number),
        )
        table = _final_table(year, periods, year_marks, [])
        table.school_class = next(
            (
                e.school_class
                for e in enrollments
                if e.school_class.academic_year_id == year.pk
            ),
            None,
        )
        tables.append(table)
    return tables


# ----- Mark history -------------------------------------------------------------


def mark_changes(student: Student, since: datetime.date) -> list[JournalChange]:
    """Changes and removals of the pupil's marks, newest first."""
    return list(
        JournalChange.objects.filter(
            student=student,
            kind=JournalChange.Kind.MARK,
            action__in=[JournalChange.Action.CHANGED, JournalChange.Action.DELETED],
            changed_at__date__gte=since,
        )
        .select_related("subject", "lesson")
        .order_by("-changed_at", "-id")
    )
