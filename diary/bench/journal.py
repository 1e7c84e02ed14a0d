"""Teachers for the benchmark: sessions, journal grids and empty cells to fill.

The generated data set has no staff accounts, so the first run gives the
teachers of a sample of teaching assignments a user and a teacher's role at
their school. Later runs reuse them.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from accounts.models import User
from journal.models import Attendance, Lesson, Mark
from school import models as sm

# Marks are saved into lessons of the last two weeks before the benchmark's
# day, inside the open quarter.
RECENT_DAYS = 14


@dataclass(frozen=True)
class CellTarget:
    """An empty journal cell (no mark, no attendance) to save a mark into."""

    lesson_id: int
    student_id: int
    work_type_id: int
    session_key: str


def _teacher_user(staff: sm.StaffMember, school_id: int) -> User:
    user = staff.user
    if user is None:
        user = User.objects.create(email=f"bench-teacher-{staff.pk}@example.ru")
        staff.user = user
        staff.save(update_fields=["user"])
    sm.StaffRole.objects.get_or_create(
        staff=staff, school_id=school_id, role=sm.StaffRole.Role.TEACHER
    )
    return user


def grid_sessions(
    count: int, make_session: object, rng: random.Random
) -> list[tuple[str, str]]:
    """Return (session key, grid path) pairs for ``count`` random assignments."""
    # First grades get no marks, so their cells would reject every save.
    ids = list(
        sm.TeachingAssignment.objects.filter(
            subgroup__isnull=True, school_class__grade__gte=2
        ).values_list("pk", flat=True)
    )
    pairs = []
    for assignment_id in rng.sample(ids, min(count, len(ids))):
        assignment = sm.TeachingAssignment.objects.select_related(
            "teacher", "school_class"
        ).get(pk=assignment_id)
        user = _teacher_user(assignment.teacher, assignment.school_class.school_id)
        key = make_session(user)  # type: ignore[operator]
        pairs.append((key, f"/journal/journals/{assignment_id}/"))
    return pairs


def empty_cells(
    grids: list[tuple[str, str]], today: datetime.date, count: int
) -> list[CellTarget]:
    """Return up to ``count`` distinct empty cells in recent lessons of the grids."""
    targets: list[CellTarget] = []
    per_grid = max(1, count // max(1, len(grids)) + 1)
    for key, path in grids:
        assignment_id = int(path.rstrip("/").rsplit("/", 1)[1])
        assignment = sm.TeachingAssignment.objects.select_related(
            "school_class__school"
        ).get(pk=assignment_id)
        work_type = sm.WorkType.objects.filter(
            school=assignment.school_class.school
        ).first()
        if work_type is None:
            continue
        lessons = list(
            Lesson.objects.filter(
                assignment_id=assignment_id,
                date__gte=today - datetime.timedelta(days=RECENT_DAYS),
                date__lte=today,
                is_cancelled=False,
            ).values_list("pk", flat=True)
        )
        pupils = list(
            sm.Enrollment.objects.filter(
                school_class_id=assignment.school_class_id, end_date__isnull=True
            ).values_list("student_id", flat=True)
        )
        found = 0
        for lesson_id in lessons:
            busy = Mark.objects.filter(lesson_id=lesson_id, student_id=OuterRef("pk"))
            free = (
                sm.Student.objects.filter(pk__in=pupils)
                .exclude(Exists(busy))
                .exclude(
                    Exists(
                        Attendance.objects.filter(
                            lesson_id=lesson_id, student_id=OuterRef("pk")
                        )
                    )
                )
                .values_list("pk", flat=True)
            )
            for student_id in free:
                targets.append(CellTarget(lesson_id, student_id, work_type.pk, key))
                found += 1
                if found >= per_grid:
                    break
            if found >= per_grid:
                break
    return targets[:count]
