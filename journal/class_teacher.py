"""The class teacher's reads and writes: the class across subjects, absences.

The class teacher records a valid reason for an absence: «Н» becomes «УП».
That is an attendance change like any other, with a version check and a
history row that carries the reason.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from journal.finals import period_is_closed
from journal.grading import Average, suggested_mark, weighted_average
from journal.models import Attendance, FinalMark, JournalChange, Lesson, Mark
from school.models import (
    Enrollment,
    Period,
    SchoolClass,
    StaffMember,
    Student,
    TeachingAssignment,
)

logger = logging.getLogger(__name__)


class _Scored(NamedTuple):
    score: int | None
    weight: int


@dataclass
class SubjectSummary:
    assignment: TeachingAssignment
    average: Average
    suggestion: str
    period_mark: FinalMark | None


@dataclass
class PupilSummary:
    student: Student
    subjects: list[SubjectSummary]
    absences: Counter[str] = field(default_factory=Counter)

    @property
    def missed(self) -> int:
        return sum(self.absences[code] for code in ("Н", "Б", "УП"))


def class_periods(school_class: SchoolClass) -> list[Period]:
    return list(
        Period.objects.filter(
            academic_year_id=school_class.academic_year_id,
            grade_from__lte=school_class.grade,
            grade_to__gte=school_class.grade,
        ).order_by("start_date")
    )


def class_students(school_class: SchoolClass, period: Period) -> list[Student]:
    enrollments = Enrollment.objects.filter(school_class=school_class).overlapping(
        period.start_date, period.end_date
    )
    return list(
        Student.objects.filter(pk__in=enrollments.values("student_id")).order_by(
            "last_name", "first_name", "middle_name", "id"
        )
    )


def class_summary(
    school_class: SchoolClass, period: Period
) -> tuple[list[TeachingAssignment], list[PupilSummary]]:
    """Averages, suggestions, period marks and absences of the whole class.

    Runs five queries whatever the class size.
    """
    students = class_students(school_class, period)
    assignments = list(
        TeachingAssignment.objects.filter(school_class=school_class)
        .select_related("subject", "subgroup", "teacher")
        .order_by("subject__name", "subgroup__name", "id")
    )
    marks: dict[tuple[int, int], list[_Scored]] = defaultdict(list)
    for assignment_id, student_id, score, weight in Mark.objects.filter(
        lesson__school_class=school_class,
        lesson__date__gte=period.start_date,
        lesson__date__lte=period.end_date,
    ).values_list("lesson__assignment_id", "student_id", "score", "weight"):
        marks[(assignment_id, student_id)].append(_Scored(score, weight))
    absences: dict[int, Counter[str]] = defaultdict(Counter)
    for student_id, code in Attendance.objects.filter(
        lesson__school_class=school_class,
        lesson__date__gte=period.start_date,
        lesson__date__lte=period.end_date,
    ).values_list("student_id", "code"):
        absences[student_id][code] += 1
    finals = {
        (mark.student_id, mark.subject_id): mark
        for mark in FinalMark.objects.filter(
            kind=FinalMark.Kind.PERIOD,
            period=period,
            student_id__in=[student.pk for student in students],
        )
    }

    school = school_class.school
    pupils = []
    for student in students:
        subjects = []
        for assignment in assignments:
            average = weighted_average(marks.get((assignment.pk, student.pk), []))
            subjects.append(
                SubjectSummary(
                    assignment=assignment,
                    average=average,
                    suggestion=suggested_mark(average, school),
                    period_mark=finals.get((student.pk, assignment.subject_id)),
                )
            )
        pupils.append(
            PupilSummary(
                student=student,
                subjects=subjects,
                absences=absences.get(student.pk, Counter()),
            )
        )
    return assignments, pupils


def class_absences(school_class: SchoolClass, period: Period) -> list[Attendance]:
    """Every attendance code of the class in the period, newest lesson first."""
    return list(
        Attendance.objects.filter(
            lesson__school_class=school_class,
            lesson__date__gte=period.start_date,
            lesson__date__lte=period.end_date,
        )
        .select_related("student", "lesson__assignment__subject")
        .order_by("-lesson__date", "-lesson__number", "student__last_name", "id")
    )


class ExcuseError(Exception):
    """The absence was not changed; the message is for the class teacher."""


def excuse_absence(
    *,
    school_class: SchoolClass,
    attendance_id: int,
    expected_version: int,
    reason: str,
    user: User,
    author: StaffMember,
    today: datetime.date,
    may_edit_closed: bool,
) -> Attendance:
    """Turn an «Н» of the class into «УП», recording the valid reason."""
    if not reason.strip():
        raise ExcuseError(
            "Укажите уважительную причину (например, справка или заявление)."
        )
    with transaction.atomic():
        row = (
            Attendance.objects.select_for_update()
            .filter(pk=attendance_id, lesson__school_class=school_class)
            .select_related("lesson__assignment", "lesson__school_class")
            .first()
        )
        if row is None:
            raise ExcuseError("Отметка посещаемости не найдена: обновите страницу.")
        if row.version != expected_version or row.code != Attendance.Code.ABSENT:
            raise ExcuseError(
                f"Отметку изменили, пока вы работали со страницей: сейчас "
                f"«{row.code}». Обновите страницу."
            )
        lesson: Lesson = row.lesson
        period = Period.objects.filter(
            academic_year_id=school_class.academic_year_id,
            grade_from__lte=school_class.grade,
            grade_to__gte=school_class.grade,
            start_date__lte=lesson.date,
            end_date__gte=lesson.date,
        ).first()
        if period_is_closed(period, today) and not may_edit_closed:
            raise ExcuseError(
                f"Период «{period}» закрыт: изменить посещаемость может только "
                "заместитель директора по УВР или администратор школы."
            )
        Attendance.objects.filter(pk=row.pk).update(
            code=Attendance.Code.EXCUSED,
            author=author,
            version=row.version + 1,
            updated_at=timezone.now(),
        )
        JournalChange.objects.create(
            kind=JournalChange.Kind.ATTENDANCE,
            action=JournalChange.Action.CHANGED,
            object_id=row.pk,
            student_id=row.student_id,
            lesson=lesson,
            subject_id=lesson.assignment.subject_id,
            old_value=Attendance.Code.ABSENT,
            new_value=Attendance.Code.EXCUSED,
            changed_by=user,
            reason=reason.strip()[:500],
        )
    logger.info("Absence %s excused by user %s", row.pk, user.pk)
    row.refresh_from_db()
    return row
