"""Saving one cell of the class journal grid.

A cell is typed as text: an attendance code and marks separated by spaces,
e.g. "5", "4 5", "н", "оп 4". Pass / fail subjects take "зч" and "нз". The
text replaces the cell: marks are matched to the existing ones in order
(changed, kept or deleted), extra marks are added with the chosen work type.

The cell carries the versions it was rendered with ("state"), so the save
goes through :func:`journal.services.save_lesson` with its version checks,
history rows and calendar rules, all or nothing.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from accounts.models import User
from journal.models import Attendance, Lesson, Mark
from journal.services import (
    JournalSaveError,
    LessonSubmission,
    MarkEdit,
    MarkValue,
    PupilEntry,
    SaveResult,
    save_lesson,
)
from school.models import StaffMember, Subject, WorkType

ATTENDANCE_TOKENS = {
    "н": Attendance.Code.ABSENT,
    "нб": Attendance.Code.ABSENT,
    "б": Attendance.Code.ILL,
    "уп": Attendance.Code.EXCUSED,
    "оп": Attendance.Code.LATE,
}
PASS_TOKENS = {"зч": True, "зач": True, "+": True, "нз": False, "незач": False}
# A cell holds at most this many marks; more belong on the lesson page.
MAX_CELL_MARKS = 4
_STATE = re.compile(r"^a(\d*);((?:m\d+:\d+)(?:,m\d+:\d+)*)?$")


class CellInputError(ValueError):
    """The typed text is not a cell value; the message is for the teacher."""


@dataclass(frozen=True)
class CellValue:
    attendance_code: str
    # (score, passed) pairs in the order typed.
    marks: tuple[tuple[int | None, bool | None], ...]


@dataclass(frozen=True)
class CellState:
    attendance_version: int | None
    marks: tuple[tuple[int, int], ...]  # (mark id, version)


def parse_cell(text: str, grading: str) -> CellValue:
    """Parse what the teacher typed; raise CellInputError with a Russian message."""
    tokens = [token for token in re.split(r"[\s,;]+", text.strip().lower()) if token]
    code = ""
    marks: list[tuple[int | None, bool | None]] = []
    for token in tokens:
        if token in ATTENDANCE_TOKENS:
            if code:
                raise CellInputError(
                    "В ячейке может быть только одна отметка посещаемости."
                )
            code = ATTENDANCE_TOKENS[token]
        elif grading == Subject.Grading.PASS_FAIL and token in PASS_TOKENS:
            marks.append((None, PASS_TOKENS[token]))
        elif grading == Subject.Grading.NUMERIC and token in {"1", "2", "3", "4", "5"}:
            marks.append((int(token), None))
        else:
            expected = (
                "«зч» или «нз»"
                if grading == Subject.Grading.PASS_FAIL
                else "оценку от 1 до 5"
            )
            raise CellInputError(
                f"Не удалось разобрать «{token[:20]}»: введите {expected} или "
                "отметку посещаемости (н, б, уп, оп)."
            )
    if len(marks) > MAX_CELL_MARKS:
        raise CellInputError(
            f"В ячейке не больше {MAX_CELL_MARKS} отметок; остальные выставьте "
            "на странице урока."
        )
    return CellValue(attendance_code=code, marks=tuple(marks))


def parse_state(raw: str) -> CellState:
    match = _STATE.match(raw.strip())
    if match is None:
        raise CellInputError(
            "Ячейка устарела: обновите страницу и внесите отметку ещё раз."
        )
    version = int(match.group(1)) if match.group(1) else None
    marks = tuple(
        (int(mark_id), int(mark_version))
        for mark_id, mark_version in re.findall(r"m(\d+):(\d+)", match.group(2) or "")
    )
    return CellState(attendance_version=version, marks=marks)


def build_cell_submission(
    student_id: int,
    value: CellValue,
    state: CellState,
    current: dict[int, Mark],
    new_work_type: WorkType,
) -> LessonSubmission:
    """Turn a typed cell into a submission of the lesson form's shape."""
    known = frozenset(mark_id for mark_id, _ in state.marks)
    first = PupilEntry(
        student_id=student_id,
        known_mark_ids=known,
        attendance_code=value.attendance_code,
        attendance_version=state.attendance_version,
    )
    entries = [first]
    for index, (mark_id, version) in enumerate(state.marks):
        if index >= len(value.marks):
            first.mark_edits.append(MarkEdit(mark_id, version, None))
            continue
        score, passed = value.marks[index]
        existing = current.get(mark_id)
        first.mark_edits.append(
            MarkEdit(
                mark_id,
                version,
                MarkValue(
                    score=score,
                    passed=passed,
                    work_type=existing.work_type if existing else new_work_type,
                    comment=existing.comment if existing else "",
                ),
            )
        )
    for score, passed in value.marks[len(state.marks) :]:
        entries.append(
            PupilEntry(
                student_id=student_id,
                known_mark_ids=known,
                new_mark=MarkValue(score=score, passed=passed, work_type=new_work_type),
            )
        )
    return LessonSubmission(pupils=entries)


def save_cell(
    lesson: Lesson,
    student_id: int,
    text: str,
    raw_state: str,
    work_type: WorkType,
    user: User,
    author: StaffMember,
    today: datetime.date,
    *,
    may_edit_closed: bool = False,
    reason: str = "",
) -> SaveResult:
    """Save a typed cell; raise CellInputError or JournalSaveError on refusal."""
    value = parse_cell(text, lesson.assignment.subject.grading)
    state = parse_state(raw_state)
    current = {
        mark.pk: mark
        for mark in Mark.objects.filter(
            lesson=lesson, student_id=student_id
        ).select_related("work_type")
    }
    submission = build_cell_submission(student_id, value, state, current, work_type)
    return save_lesson(
        lesson,
        submission,
        user,
        author,
        today,
        may_edit_closed=may_edit_closed,
        reason=reason,
    )


__all__ = [
    "CellInputError",
    "JournalSaveError",
    "parse_cell",
    "parse_state",
    "save_cell",
]
