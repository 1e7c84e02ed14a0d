"""Reads for the diary pages: one pupil's week of lessons."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from journal.dates import school_week
from journal.models import Attendance, Lesson, Mark
from school.models import (
    Bell,
    Enrollment,
    Holiday,
    SchoolClass,
    Student,
    SubgroupMembership,
)


@dataclass
class DiaryLesson:
    lesson: Lesson
    bell: Bell | None
    marks: list[Mark]
    attendance: Attendance | None

    @property
    def is_substituted(self) -> bool:
        return self.lesson.substitute_teacher_id is not None


@dataclass
class DiaryDay:
    date: datetime.date
    school_class: SchoolClass | None
    holiday: Holiday | None
    lessons: list[DiaryLesson] = field(default_factory=list)

    @property
    def is_enrolled(self) -> bool:
        return self.school_class is not None

    @property
    def is_day_off(self) -> bool:
        """Saturday at a school with a five-day week."""
        return (
            self.date.weekday() == 5
            and self.school_class is not None
            and not self.school_class.school.works_saturday
        )


@dataclass
class DiaryWeek:
    monday: datetime.date
    days: list[DiaryDay]

    @property
    def saturday(self) -> datetime.date:
        return self.days[-1].date

    @property
    def previous_monday(self) -> datetime.date:
        return self.monday - datetime.timedelta(days=7)

    @property
    def next_monday(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=7)

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


def diary_week(student: Student, monday: datetime.date) -> DiaryWeek:
    """Build the pupil's week from Monday to Saturday.

    A day counts only while the pupil is enrolled, so a pupil who joined or
    left a class mid-week sees that class's lessons only for their days in
    it. Runs six queries whatever the class size and the number of marks.
    """
    dates = school_week(monday)
    first, last = dates[0], dates[-1]
    enrollments = list(
        Enrollment.objects.filter(student=student)
        .overlapping(first, last)
        .select_related("school_class__school")
    )
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
                )
            )
        days.append(diary_day)
    return DiaryWeek(monday=monday, days=days)
