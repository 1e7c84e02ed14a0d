"""Writes to the class journal: one lesson's topic, homework, marks, attendance.

:func:`save_lesson` applies a whole lesson form in one transaction and writes
a JournalChange row for every mark and attendance code it creates, changes or
deletes. It either saves everything or raises and saves nothing.

Concurrent edits are detected by the ``version`` the form carries for every
existing mark and attendance row, and for the lesson's topic and homework. A
row whose version moved on since the form was rendered is a conflict, unless
the row already contains exactly what the form requests: that is how a
double submit of the same form, or the same change made by two people, stays
harmless. New marks are compared the same way with the marks the pupil got
since the form was rendered, so a repeated submit never creates a duplicate
mark.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from journal.models import Attendance, JournalChange, Lesson, Mark
from journal.selectors import lesson_holiday, lesson_period, next_lesson_date
from school.models import StaffMember, WorkType

logger = logging.getLogger(__name__)

# JournalChange.old_value and new_value are at most 100 characters.
_VALUE_LENGTH = 100
CREATED = JournalChange.Action.CREATED
CHANGED = JournalChange.Action.CHANGED
DELETED = JournalChange.Action.DELETED


@dataclass(frozen=True)
class MarkValue:
    """A score 1–5, or a pass / fail for a pass_fail subject."""

    score: int | None
    passed: bool | None
    work_type: WorkType
    comment: str = ""

    @property
    def display(self) -> str:
        if self.score is not None:
            return str(self.score)
        return "зч" if self.passed else "нз"

    def matches(self, mark: Mark) -> bool:
        return (
            mark.score == self.score
            and mark.passed == self.passed
            and mark.work_type_id == self.work_type.pk
            and mark.comment == self.comment
        )


@dataclass(frozen=True)
class MarkEdit:
    """A change to an existing mark, or its deletion (``value`` is then None)."""

    mark_id: int
    version: int
    value: MarkValue | None


@dataclass
class PupilEntry:
    student_id: int
    # Ids of the pupil's marks on the lesson when the form was rendered.
    known_mark_ids: frozenset[int] = frozenset()
    new_mark: MarkValue | None = None
    mark_edits: list[MarkEdit] = field(default_factory=list)
    # None leaves attendance alone; "" clears it.
    attendance_code: str | None = None
    # None when the form was rendered without an attendance row.
    attendance_version: int | None = None


@dataclass
class LessonSubmission:
    # New values of Lesson.topic, homework and homework_due; a field missing
    # from the dict is left as it is.
    lesson_fields: dict[str, str | datetime.date | None] = field(default_factory=dict)
    # Lesson.version the lesson fields were loaded with; None skips the check
    # (a grid cell carries no lesson fields).
    lesson_version: int | None = None
    pupils: list[PupilEntry] = field(default_factory=list)
    # Marks the form edits (not deletes) that were not found when the page
    # was built again for the POST: someone deleted them meanwhile.
    vanished_mark_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Conflict:
    """A cell someone else changed since the form was rendered."""

    # None for a mark that no longer exists, whose pupil is unknown, and for
    # the lesson's own fields.
    student_id: int | None
    # "mark", "new_mark", "attendance" or "lesson" (topic and homework).
    cell: str
    message: str
    mark_id: int | None = None
    current_mark: Mark | None = None
    current_attendance: Attendance | None = None


class JournalSaveError(Exception):
    """The submission was rejected and nothing of it was saved."""

    def __init__(self, errors: list[str], conflicts: list[Conflict] | None = None):
        super().__init__("; ".join(errors))
        self.errors = errors
        self.conflicts = conflicts or []


@dataclass
class SaveResult:
    created: int = 0
    changed: int = 0
    deleted: int = 0
    lesson_changed: bool = False

    @property
    def total(self) -> int:
        return self.created + self.changed + self.deleted + int(self.lesson_changed)


def mark_label(mark: Mark | MarkValue) -> str:
    """Describe a mark for history and messages: "5 (урок, вес 1) «Молодец»"."""
    work_type = mark.work_type
    weight = mark.weight if isinstance(mark, Mark) else work_type.weight
    text = f"{mark.display} ({work_type.short_name}, вес {weight})"
    if mark.comment:
        text += f" «{mark.comment}»"
    return text[:_VALUE_LENGTH]


def attendance_label(code: str) -> str:
    return code or "пусто"


@dataclass
class _Plan:
    """The changes of a submission, worked out before anything is written."""

    creates: list[tuple[int, MarkValue]] = field(default_factory=list)
    changes: list[tuple[Mark, MarkValue]] = field(default_factory=list)
    deletes: list[Mark] = field(default_factory=list)
    attendance_creates: list[tuple[int, str]] = field(default_factory=list)
    attendance_changes: list[tuple[Attendance, str]] = field(default_factory=list)
    attendance_deletes: list[Attendance] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def sets_values(self) -> bool:
        return bool(
            self.creates
            or self.changes
            or self.attendance_creates
            or self.attendance_changes
        )

    @property
    def touches_rows(self) -> bool:
        return self.sets_values or bool(self.deletes or self.attendance_deletes)


def _plan_mark_edit(
    plan: _Plan, entry: PupilEntry, edit: MarkEdit, marks: dict[int, Mark]
) -> None:
    current = marks.get(edit.mark_id)
    if current is None or current.student_id != entry.student_id:
        if edit.value is not None:
            plan.conflicts.append(
                Conflict(
                    entry.student_id,
                    "mark",
                    "Отметку удалили, пока вы редактировали журнал: "
                    f"ваше изменение на «{edit.value.display}» не сохранено.",
                    mark_id=edit.mark_id,
                )
            )
        return
    if current.version != edit.version:
        if edit.value is not None and edit.value.matches(current):
            return
        wanted = "удаление" if edit.value is None else f"«{edit.value.display}»"
        plan.conflicts.append(
            Conflict(
                entry.student_id,
                "mark",
                "Отметку изменили, пока вы редактировали журнал: сейчас "
                f"«{mark_label(current)}», ваше значение — {wanted}. "
                "Проверьте её и сохраните ещё раз.",
                mark_id=current.pk,
                current_mark=current,
            )
        )
        return
    if edit.value is None:
        plan.deletes.append(current)
    elif not edit.value.matches(current):
        plan.changes.append((current, edit.value))


def _plan_new_mark(
    plan: _Plan, entry: PupilEntry, pupil_marks: list[Mark], value: MarkValue
) -> None:
    arrived = [mark for mark in pupil_marks if mark.pk not in entry.known_mark_ids]
    if any(value.matches(mark) for mark in arrived):
        # The same mark was saved by an earlier submit of this form.
        return
    if arrived:
        labels = ", ".join(f"«{mark_label(mark)}»" for mark in arrived)
        plan.conflicts.append(
            Conflict(
                entry.student_id,
                "new_mark",
                f"Пока вы редактировали журнал, ученику выставили отметку {labels}. "
                f"Ваша отметка «{value.display}» не сохранена: проверьте и "
                "сохраните ещё раз.",
            )
        )
        return
    plan.creates.append((entry.student_id, value))


def _plan_attendance(
    plan: _Plan, entry: PupilEntry, current: Attendance | None
) -> None:
    code = entry.attendance_code
    if code is None:
        return
    current_code = current.code if current else ""
    stale = (
        current is not None
        if entry.attendance_version is None
        else current is None or current.version != entry.attendance_version
    )
    if stale:
        if current_code == code:
            return
        plan.conflicts.append(
            Conflict(
                entry.student_id,
                "attendance",
                "Посещаемость изменили, пока вы редактировали журнал: сейчас "
                f"«{attendance_label(current_code)}», ваше значение — "
                f"«{attendance_label(code)}». Проверьте и сохраните ещё раз.",
                current_attendance=current,
            )
        )
        return
    if current is None:
        if code:
            plan.attendance_creates.append((entry.student_id, code))
    elif not code:
        plan.attendance_deletes.append(current)
    elif code != current.code:
        plan.attendance_changes.append((current, code))


def _build_plan(lesson: Lesson, submission: LessonSubmission) -> _Plan:
    marks = {
        mark.pk: mark
        for mark in Mark.objects.filter(lesson=lesson)
        .select_related("work_type")
        .order_by("id")
    }
    attendance = {
        row.student_id: row for row in Attendance.objects.filter(lesson=lesson)
    }
    plan = _Plan()
    for entry in submission.pupils:
        for edit in entry.mark_edits:
            _plan_mark_edit(plan, entry, edit, marks)
        if entry.new_mark is not None:
            pupil_marks = [
                m for m in marks.values() if m.student_id == entry.student_id
            ]
            _plan_new_mark(plan, entry, pupil_marks, entry.new_mark)
        _plan_attendance(plan, entry, attendance.get(entry.student_id))
    for mark_id in submission.vanished_mark_ids:
        if mark_id not in marks:
            plan.conflicts.append(
                Conflict(
                    None,
                    "mark",
                    "Одну из отметок удалили, пока вы редактировали журнал: "
                    "её изменение не сохранено.",
                    mark_id=mark_id,
                )
            )
    return plan


def _calendar_errors(
    lesson: Lesson,
    plan: _Plan,
    today: datetime.date,
    may_edit_closed: bool = False,
    reason: str = "",
) -> list[str]:
    """Check that marks and attendance may be set on this lesson's date.

    A closed period is open to ``may_edit_closed`` users (the завуч, the
    school admin) when they give a reason.
    """
    errors = []
    when = f"{lesson.date:%d.%m.%Y}"
    # First-graders are taught without marks; attendance is still kept.
    if (plan.creates or plan.changes) and lesson.school_class.grade == 1:
        errors.append(
            "В 1 классе обучение безотметочное: отметки не выставляются, "
            "отмечается только посещаемость."
        )
    if plan.sets_values:
        if lesson.is_cancelled:
            errors.append(
                "Урок отменён: отметки и посещаемость на нём не выставляются."
            )
        holiday = lesson_holiday(lesson)
        if holiday is not None:
            errors.append(
                f"{when} — каникулы («{holiday.name}»): отметки и посещаемость "
                "на эту дату не выставляются."
            )
    if plan.touches_rows:
        period = lesson_period(lesson)
        if period is None and plan.sets_values:
            errors.append(
                f"Дата урока {when} не входит ни в один учебный период этого "
                "класса: отметки на неё не выставляются. Проверьте дату урока "
                "или попросите администратора школы настроить периоды."
            )
        elif period is not None and period.closed_on and period.closed_on <= today:
            if may_edit_closed:
                if not reason.strip():
                    errors.append(
                        f"Период «{period}» закрыт {period.closed_on:%d.%m.%Y}: "
                        "укажите причину изменения."
                    )
                return errors
            errors.append(
                f"Период «{period}» закрыт {period.closed_on:%d.%m.%Y}: изменить "
                "отметки и посещаемость может только заместитель директора по "
                "УВР или администратор школы."
            )
    return errors


def _history(
    lesson: Lesson,
    user: User,
    row: Mark | Attendance,
    action: str,
    old: str = "",
    new: str = "",
) -> JournalChange:
    kind = (
        JournalChange.Kind.MARK
        if isinstance(row, Mark)
        else JournalChange.Kind.ATTENDANCE
    )
    return JournalChange(
        kind=kind,
        action=action,
        object_id=row.pk,
        student_id=row.student_id,
        lesson=lesson,
        subject_id=lesson.assignment.subject_id,
        old_value=old[:_VALUE_LENGTH],
        new_value=new[:_VALUE_LENGTH],
        changed_by=user,
    )


def _apply_marks(
    lesson: Lesson, plan: _Plan, user: User, author: StaffMember
) -> list[JournalChange]:
    now = timezone.now()
    history = []
    for student_id, value in plan.creates:
        mark = Mark.objects.create(
            lesson=lesson,
            student_id=student_id,
            score=value.score,
            passed=value.passed,
            work_type=value.work_type,
            weight=value.work_type.weight,
            comment=value.comment,
            author=author,
            entered_at=now,
        )
        history.append(_history(lesson, user, mark, CREATED, new=mark_label(mark)))

    for mark, value in plan.changes:
        updated = Mark.objects.filter(pk=mark.pk, version=mark.version).update(
            score=value.score,
            passed=value.passed,
            work_type=value.work_type,
            weight=value.work_type.weight,
            comment=value.comment,
            version=mark.version + 1,
            updated_at=now,
        )
        if not updated:
            raise _lost_race()
        old, new = mark_label(mark), mark_label(value)
        history.append(_history(lesson, user, mark, CHANGED, old=old, new=new))

    for mark in plan.deletes:
        deleted, _ = Mark.objects.filter(pk=mark.pk, version=mark.version).delete()
        if not deleted:
            raise _lost_race()
        history.append(_history(lesson, user, mark, DELETED, old=mark_label(mark)))
    return history


def _apply_attendance(
    lesson: Lesson, plan: _Plan, user: User, author: StaffMember
) -> list[JournalChange]:
    history = []
    for student_id, code in plan.attendance_creates:
        row = Attendance.objects.create(
            lesson=lesson, student_id=student_id, code=code, author=author
        )
        history.append(_history(lesson, user, row, CREATED, new=code))

    for row, code in plan.attendance_changes:
        updated = Attendance.objects.filter(pk=row.pk, version=row.version).update(
            code=code,
            author=author,
            version=row.version + 1,
            updated_at=timezone.now(),
        )
        if not updated:
            raise _lost_race()
        history.append(_history(lesson, user, row, CHANGED, old=row.code, new=code))

    for row in plan.attendance_deletes:
        deleted, _ = Attendance.objects.filter(pk=row.pk, version=row.version).delete()
        if not deleted:
            raise _lost_race()
        history.append(_history(lesson, user, row, DELETED, old=row.code))
    return history


def _lost_race() -> JournalSaveError:
    # Reached only when a writer that does not lock the lesson row changed
    # the row between the plan and the update.
    return JournalSaveError(
        [
            "Журнал урока изменился во время сохранения. Обновите страницу и "
            "сохраните ещё раз."
        ]
    )


def _with_due_default(
    lesson: Lesson, fields: dict[str, str | datetime.date | None]
) -> dict[str, str | datetime.date | None]:
    """Fill an empty homework due date with the next lesson's date.

    A due date is kept only together with homework: without homework text
    the due date is cleared.
    """
    if "homework" not in fields and "homework_due" not in fields:
        return fields
    result = dict(fields)
    homework = fields.get("homework", lesson.homework)
    due = fields.get("homework_due", lesson.homework_due)
    if not str(homework or "").strip():
        result["homework_due"] = None
    elif due is None:
        result["homework_due"] = next_lesson_date(lesson)
    return result


def _lesson_conflict(lesson: Lesson) -> Conflict:
    due = f"{lesson.homework_due:%d.%m.%Y}" if lesson.homework_due else "не указан"
    return Conflict(
        None,
        "lesson",
        "Тему или домашнее задание изменили, пока вы редактировали урок: сейчас "
        f"тема «{lesson.topic or 'не указана'}», задание "
        f"«{lesson.homework or 'не задано'}», срок {due}. Ваши изменения не "
        "сохранены: проверьте их и сохраните ещё раз.",
    )


def _lesson_field_changes(
    lesson: Lesson, fields: dict[str, str | datetime.date | None]
) -> list[str]:
    return [name for name, value in fields.items() if getattr(lesson, name) != value]


def _apply_lesson_fields(
    lesson: Lesson, fields: dict[str, str | datetime.date | None]
) -> bool:
    changed = _lesson_field_changes(lesson, fields)
    for name in changed:
        setattr(lesson, name, fields[name])
    if changed:
        lesson.version += 1
        lesson.save(update_fields=[*changed, "version", "updated_at"])
    return bool(changed)


def save_lesson(
    lesson: Lesson,
    submission: LessonSubmission,
    user: User,
    author: StaffMember,
    today: datetime.date,
    *,
    may_edit_closed: bool = False,
    reason: str = "",
) -> SaveResult:
    """Save a lesson form: lesson fields, marks and attendance, all or nothing.

    ``author`` is the staff member who keeps the journal of this lesson (its
    teacher or substitute) and ``today`` is the school's local date. Raises
    JournalSaveError with Russian messages when the submission is invalid
    for the lesson's date or conflicts with a concurrent edit.
    """
    unknown = set(submission.lesson_fields) - {"topic", "homework", "homework_due"}
    if unknown:
        raise ValueError(f"Lesson fields cannot be set here: {sorted(unknown)}")
    due = submission.lesson_fields.get("homework_due")
    if isinstance(due, datetime.date) and due < lesson.date:
        raise JournalSaveError(
            [
                f"Срок сдачи домашнего задания ({due:%d.%m.%Y}) "
                f"не может быть раньше даты урока ({lesson.date:%d.%m.%Y})."
            ]
        )
    with transaction.atomic():
        # The row lock serialises saves of one lesson, so a double submit sees
        # the marks that the first submit created.
        locked = Lesson.objects.select_for_update().get(pk=lesson.pk)
        lesson.topic, lesson.homework = locked.topic, locked.homework
        lesson.homework_due, lesson.is_cancelled = (
            locked.homework_due,
            locked.is_cancelled,
        )
        lesson.version = locked.version

        lesson_fields = _with_due_default(lesson, submission.lesson_fields)
        plan = _build_plan(lesson, submission)
        stale = (
            submission.lesson_version is not None
            and submission.lesson_version != lesson.version
        )
        # A stale form that requests what is saved already (a double submit,
        # or the same text typed twice) is harmless.
        if stale and _lesson_field_changes(lesson, lesson_fields):
            plan.conflicts.insert(0, _lesson_conflict(lesson))
        if plan.conflicts:
            raise JournalSaveError(
                [conflict.message for conflict in plan.conflicts], plan.conflicts
            )
        errors = _calendar_errors(lesson, plan, today, may_edit_closed, reason)
        if errors:
            raise JournalSaveError(errors)

        history = _apply_marks(lesson, plan, user, author)
        history += _apply_attendance(lesson, plan, user, author)
        for change in history:
            change.reason = reason.strip()[:500]
        JournalChange.objects.bulk_create(history)
        lesson_changed = _apply_lesson_fields(lesson, lesson_fields)

    result = SaveResult(
        created=len(plan.creates) + len(plan.attendance_creates),
        changed=len(plan.changes) + len(plan.attendance_changes),
        deleted=len(plan.deletes) + len(plan.attendance_deletes),
        lesson_changed=lesson_changed,
    )
    logger.info(
        "Lesson %s saved by user %s: %s created, %s changed, %s deleted",
        lesson.pk,
        user.pk,
        result.created,
        result.changed,
        result.deleted,
    )
    return result
