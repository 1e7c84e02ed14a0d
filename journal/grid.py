"""Reads for the class journal grid: pupils down, lessons across.

:func:`journal_grid` loads one teaching assignment's journal for a period in
a fixed number of queries, whatever the number of pupils and lessons.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from journal.grading import Average, suggested_mark, weighted_average
from journal.models import Attendance, FinalMark, Lesson, Mark
from school.models import (
    Enrollment,
    Period,
    School,
    Student,
    TeachingAssignment,
    WorkType,
)


@dataclass(frozen=True)
class CellMark:
    """The part of a mark the grid shows; cheaper to load than a Mark."""

    pk: int
    version: int
    score: int | None
    passed: bool | None
    weight: int

    @property
    def display(self) -> str:
        if self.score is not None:
            return str(self.score)
        return "зч" if self.passed else "нз"


_CELL_MARK_FIELDS = ("pk", "version", "score", "passed", "weight")


@dataclass(frozen=True)
class CellAttendance:
    code: str
    version: int


@dataclass
class GridCell:
    lesson: Lesson
    student_id: int
    marks: list[CellMark] = field(default_factory=list)
    attendance: CellAttendance | None = None

    @property
    def text(self) -> str:
        """The cell as the teacher types it: attendance code first, then marks."""
        parts = [self.attendance.code] if self.attendance else []
        parts += [mark.display for mark in self.marks]
        return " ".join(parts)

    @property
    def state(self) -> str:
        """The versions the cell was rendered with: "a2;m17:1,m18:3"."""
        attendance = f"a{self.attendance.version}" if self.attendance else "a"
        marks = ",".join(f"m{mark.pk}:{mark.version}" for mark in self.marks)
        return f"{attendance};{marks}"


@dataclass
class GridRow:
    student: Student
    cells: list[GridCell]
    average: Average
    suggestion: str
    period_mark: FinalMark | None


@dataclass
class JournalGrid:
    assignment: TeachingAssignment
    period: Period
    periods: list[Period]
    lessons: list[Lesson]
    rows: list[GridRow]
    work_types: list[WorkType]


def class_periods(assignment: TeachingAssignment) -> list[Period]:
    grade = assignment.school_class.grade
    return list(
        Period.objects.filter(
            academic_year_id=assignment.school_class.academic_year_id,
            grade_from__lte=grade,
            grade_to__gte=grade,
        ).order_by("start_date")
    )


def choose_period(
    periods: list[Period], wanted_id: int | None, today: datetime.date
) -> Period | None:
    """Return the asked period, else the one containing today, else the last
    that started, else the first."""
    if wanted_id is not None:
        for period in periods:
            if period.pk == wanted_id:
                return period
    started = [period for period in periods if period.start_date <= today]
    for period in started:
        if period.end_date >= today:
            return period
    if started:
        return started[-1]
    return periods[0] if periods else None


def grid_students(
    assignment: TeachingAssignment, first_day: datetime.date, last_day: datetime.date
) -> list[Student]:
    """Pupils enrolled in the class (and the subgroup) at any time in the range."""
    enrollments = Enrollment.objects.filter(
        school_class_id=assignment.school_class_id
    ).overlapping(first_day, last_day)
    if assignment.subgroup_id is not None:
        enrollments = enrollments.filter(
            student__subgroup_memberships__subgroup_id=assignment.subgroup_id
        )
    return list(
        Student.objects.filter(pk__in=enrollments.values("student_id")).order_by(
            "last_name", "first_name", "middle_name", "id"
        )
    )


def journal_grid(
    assignment: TeachingAssignment, period: Period, periods: list[Period]
) -> JournalGrid:
    """Return the grid of one assignment for one period.

    ``assignment`` must come with its school class and school selected. Runs
    six queries: pupils, lessons, marks, attendance, period marks, work types.
    """
    school: School = assignment.school_class.school
    students = grid_students(assignment, period.start_date, period.end_date)
    lessons = list(
        Lesson.objects.filter(assignment=assignment)
        .between(period.start_date, period.end_date)
        .order_by("date", "number", "id")
    )
    lesson_ids = [lesson.pk for lesson in lessons]
    marks: dict[tuple[int, int], list[CellMark]] = {}
    for lesson_id, student_id, *values in (
        Mark.objects.filter(lesson_id__in=lesson_ids)
        .order_by("entered_at", "id")
        .values_list("lesson_id", "student_id", *_CELL_MARK_FIELDS)
    ):
        marks.setdefault((lesson_id, student_id), []).append(CellMark(*values))
    attendance = {
        (lesson_id, student_id): CellAttendance(code, version)
        for lesson_id, student_id, code, version in Attendance.objects.filter(
            lesson_id__in=lesson_ids
        ).values_list("lesson_id", "student_id", "code", "version")
    }
    period_marks = {
        final.student_id: final
        for final in FinalMark.objects.filter(
            subject_id=assignment.subject_id,
            kind=FinalMark.Kind.PERIOD,
            period=period,
            student_id__in=[student.pk for student in students],
        )
    }
    work_types = list(
        WorkType.objects.filter(school_id=school.pk).order_by(
            "-is_default", "name", "id"
        )
    )

    rows = []
    for student in students:
        cells = [
            GridCell(
                lesson=lesson,
                student_id=student.pk,
                marks=marks.get((lesson.pk, student.pk), []),
                attendance=attendance.get((lesson.pk, student.pk)),
            )
            for lesson in lessons
        ]
        average = weighted_average(mark for cell in cells for mark in cell.marks)
        rows.append(
            GridRow(
                student=student,
                cells=cells,
                average=average,
                suggestion=suggested_mark(average, school),
                period_mark=period_marks.get(student.pk),
            )
        )
    return JournalGrid(
        assignment=assignment,
        period=period,
        periods=periods,
        lessons=lessons,
        rows=rows,
        work_types=work_types,
    )


def grid_cell(lesson: Lesson, student_id: int) -> GridCell:
    """Load one cell of the grid afresh (two queries)."""
    marks = [
        CellMark(*values)
        for values in Mark.objects.filter(lesson=lesson, student_id=student_id)
        .order_by("entered_at", "id")
        .values_list(*_CELL_MARK_FIELDS)
    ]
    row = (
        Attendance.objects.filter(lesson=lesson, student_id=student_id)
        .values_list("code", "version")
        .first()
    )
    attendance = CellAttendance(*row) if row else None
    return GridCell(
        lesson=lesson, student_id=student_id, marks=marks, attendance=attendance
    )
