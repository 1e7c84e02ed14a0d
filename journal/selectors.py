"""Reads for the journal pages."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from journal.models import Attendance, Lesson, Mark
from school.models import (
    Bell,
    Enrollment,
    Holiday,
    Period,
    SchoolClass,
    StaffMember,
    StaffRole,
    Student,
    TeachingAssignment,
    WorkType,
)


def staff_time_zone(staff: StaffMember) -> str | None:
    """Return the time zone of the staff member's school (the first by id)."""
    role = StaffRole.objects.filter(staff=staff).select_related("school").first()
    return role.school.time_zone if role else None


@dataclass
class DayLesson:
    lesson: Lesson
    bell: Bell | None
    is_substitution: bool


def teacher_day(staff: StaffMember, day: datetime.date) -> list[DayLesson]:
    """Return the teacher's own lessons and substitutions of the day, in order.

    A lesson of the teacher's own assignment that someone else substitutes is
    included too, marked as not taught by them.
    """
    lessons = list(
        Lesson.objects.filter(date=day)
        .filter(Q(assignment__teacher=staff) | Q(substitute_teacher=staff))
        .select_related(
            "assignment__subject",
            "assignment__subgroup",
            "assignment__teacher",
            "substitute_teacher",
            "school_class",
        )
        .order_by("number", "school_class__grade", "school_class__letter", "id")
    )
    year_ids = {lesson.school_class.academic_year_id for lesson in lessons}
    bells = {
        (bell.academic_year_id, bell.lesson_number): bell
        for bell in Bell.objects.filter(academic_year_id__in=year_ids)
    }
    return [
        DayLesson(
            lesson=lesson,
            bell=bells.get((lesson.school_class.academic_year_id, lesson.number)),
            is_substitution=lesson.substitute_teacher_id == staff.pk,
        )
        for lesson in lessons
    ]


# A school year's journals stay in the teacher's lists for this long after
# the year ends, for exams and final marks in June.
YEAR_AFTERMATH = datetime.timedelta(days=90)


def _year_in_use(prefix: str, day: datetime.date) -> Q:
    """Match rows of academic years that have begun and ended at most 90 days ago."""
    return Q(
        **{
            f"{prefix}start_date__lte": day,
            f"{prefix}end_date__gte": day - YEAR_AFTERMATH,
        }
    )


def teacher_journals(
    staff: StaffMember, day: datetime.date
) -> list[TeachingAssignment]:
    """Return the staff member's journals of the school year in use on ``day``."""
    return list(
        TeachingAssignment.objects.filter(teacher=staff)
        .filter(_year_in_use("school_class__academic_year__", day))
        .select_related("school_class", "subject", "subgroup")
        .order_by(
            "-school_class__academic_year__start_date",
            "school_class__grade",
            "school_class__letter",
            "subject__name",
            "subgroup__name",
        )
    )


def class_teacher_classes(staff: StaffMember, day: datetime.date) -> list[SchoolClass]:
    return list(
        SchoolClass.objects.filter(class_teacher=staff)
        .filter(_year_in_use("academic_year__", day))
        .order_by("-academic_year__start_date", "grade", "letter")
    )


@dataclass
class LessonPupil:
    student: Student
    marks: list[Mark] = field(default_factory=list)
    attendance: Attendance | None = None


def lesson_roster(lesson: Lesson) -> list[LessonPupil]:
    """Return the pupils of the lesson with their marks and attendance.

    The pupils are those enrolled in the class on the lesson date and, for a
    subgroup lesson, members of the subgroup, sorted by full name. Runs three
    queries whatever the class size.
    """
    enrollments = Enrollment.objects.filter(
        school_class_id=lesson.school_class_id
    ).active_on(lesson.date)
    if lesson.assignment.subgroup_id is not None:
        enrollments = enrollments.filter(
            student__subgroup_memberships__subgroup_id=lesson.assignment.subgroup_id
        )
    students = Student.objects.filter(pk__in=enrollments.values("student_id")).order_by(
        "last_name", "first_name", "middle_name", "id"
    )
    pupils = {student.pk: LessonPupil(student=student) for student in students}

    marks: dict[int, list[Mark]] = defaultdict(list)
    lesson_marks = Mark.objects.filter(lesson=lesson).select_related("work_type")
    for mark in lesson_marks.order_by("entered_at", "id"):
        marks[mark.student_id].append(mark)
    attendance = {
        row.student_id: row for row in Attendance.objects.filter(lesson=lesson)
    }
    for student_id, pupil in pupils.items():
        pupil.marks = marks.get(student_id, [])
        pupil.attendance = attendance.get(student_id)
    return list(pupils.values())


def school_work_types(lesson: Lesson) -> list[WorkType]:
    return list(
        WorkType.objects.filter(school_id=lesson.school_class.school_id).order_by(
            "-is_default", "name", "id"
        )
    )


def lesson_bell(lesson: Lesson) -> Bell | None:
    return Bell.objects.filter(
        academic_year_id=lesson.school_class.academic_year_id,
        lesson_number=lesson.number,
    ).first()


_PERIOD_ATTRIBUTE = "_journal_lesson_period"


def lesson_period(lesson: Lesson) -> Period | None:
    """Return the reporting period of the lesson's date and the class's grade.

    The period is kept on the lesson object, because saving a grid cell
    needs it three times. An object loaded anew queries the database again.
    """
    key = (lesson.date, lesson.school_class_id)
    known = lesson.__dict__.get(_PERIOD_ATTRIBUTE)
    if known is not None and known[0] == key:
        return known[1]  # type: ignore[no-any-return]
    grade = lesson.school_class.grade
    period = Period.objects.filter(
        academic_year_id=lesson.school_class.academic_year_id,
        grade_from__lte=grade,
        grade_to__gte=grade,
        start_date__lte=lesson.date,
        end_date__gte=lesson.date,
    ).first()
    lesson.__dict__[_PERIOD_ATTRIBUTE] = (key, period)
    return period


def lesson_holiday(lesson: Lesson) -> Holiday | None:
    grade = lesson.school_class.grade
    return Holiday.objects.filter(
        academic_year_id=lesson.school_class.academic_year_id,
        grade_from__lte=grade,
        grade_to__gte=grade,
        start_date__lte=lesson.date,
        end_date__gte=lesson.date,
    ).first()


# Lessons looked at when searching for the next one; a longer run of
# cancelled lessons or lessons dated in holidays leaves the due date empty.
NEXT_LESSON_SEARCH = 60


def next_lesson_date(lesson: Lesson) -> datetime.date | None:
    """Return the date of the next lesson of the same journal, if any.

    The next lesson is the first later-dated lesson of the same teaching
    assignment (class or subgroup, and subject) that is neither cancelled nor
    dated in the holidays of the class's grade. A second lesson on the same
    day does not count, because homework is due at a later lesson. Runs two
    queries.
    """
    grade = lesson.school_class.grade
    holidays = list(
        Holiday.objects.filter(
            academic_year_id=lesson.school_class.academic_year_id,
            grade_from__lte=grade,
            grade_to__gte=grade,
            end_date__gt=lesson.date,
        )
    )
    later = (
        Lesson.objects.filter(
            assignment_id=lesson.assignment_id,
            date__gt=lesson.date,
            is_cancelled=False,
        )
        .order_by("date", "number")
        .values_list("date", flat=True)[:NEXT_LESSON_SEARCH]
    )
    for day in later:
        if not any(h.start_date <= day <= h.end_date for h in holidays):
            return day
    return None
