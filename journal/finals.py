"""Final marks: period, year, exam and certificate marks, and their history.

The journal suggests a value (the period average by the school's
thresholds, the year mark from the period marks, the certificate mark from
the year and exam marks); the teacher sets the mark. A stored mark is never
recomputed: ``set_by_hand`` records whether the teacher chose a value other
than the suggestion shown to them.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction

from accounts.models import User
from journal.grading import NOT_CERTIFIED, Average, suggested_mark
from journal.models import FinalMark, JournalChange
from school.models import Period, School, StaffMember, Student, TeachingAssignment

logger = logging.getLogger(__name__)

NUMERIC_VALUES = {"1", "2", "3", "4", "5"}
# Grades whose pupils sit state exams and get a certificate mark.
EXAM_GRADES = (9, 11)
VALUE_LABELS = dict(FinalMark.Value.choices)


class FinalMarkError(Exception):
    """The final mark was not saved; ``current`` is what is stored now."""

    def __init__(self, message: str, current: FinalMark | None = None):
        super().__init__(message)
        self.message = message
        self.current = current


def value_label(value: str) -> str:
    return VALUE_LABELS.get(value, value or "—")


def suggest_year_mark(period_values: Iterable[str | None], school: School) -> str:
    """Suggest a year mark from the period marks by the school's thresholds.

    Only numeric period marks count; «н/а» when there is none. An «н/а» in
    the last period does not by itself make the year «н/а»: the teacher
    decides, and the suggestion is the mean of what was certified.
    """
    scores = [int(value) for value in period_values if value in NUMERIC_VALUES]
    if not scores:
        return FinalMark.Value.NOT_CERTIFIED
    mean = Decimal(sum(scores)) / Decimal(len(scores))
    # The thresholds need three marks; a year has two to four periods.
    average = Average(value=mean, count=max(len(scores), 3), weight_total=len(scores))
    return _value_of(suggested_mark(average, school))


def suggest_certificate_mark(year: str | None, exam: str | None) -> str | None:
    """The certificate mark: the mean of the year and exam marks, half up."""
    if year not in NUMERIC_VALUES or exam not in NUMERIC_VALUES:
        return None
    mean = (Decimal(year) + Decimal(exam)) / 2
    return str(int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def suggest_period_mark(average: Average, school: School) -> str:
    return _value_of(suggested_mark(average, school))


def _value_of(suggestion: str) -> str:
    return FinalMark.Value.NOT_CERTIFIED if suggestion == NOT_CERTIFIED else suggestion


def period_is_closed(period: Period | None, today: datetime.date) -> bool:
    return bool(period and period.closed_on and period.closed_on <= today)


def set_final_mark(
    *,
    assignment: TeachingAssignment,
    student: Student,
    kind: str,
    period: Period | None,
    value: str,
    expected_version: int,
    suggestion: str | None,
    user: User,
    author: StaffMember,
    today: datetime.date,
    may_edit_closed: bool = False,
    reason: str = "",
) -> FinalMark | None:
    """Set, change or clear (``value`` "") one final mark; return what is stored.

    ``expected_version`` is the version shown to the teacher, 0 for no mark.
    Raises FinalMarkError when the mark changed meanwhile, the period is
    closed, or the kind does not apply to the class.
    """
    if value and value not in VALUE_LABELS:
        raise FinalMarkError("Недопустимое значение итоговой отметки.")
    if kind not in FinalMark.Kind.values:
        raise FinalMarkError("Неизвестный вид итоговой отметки.")
    if (kind == FinalMark.Kind.PERIOD) != (period is not None):
        raise FinalMarkError("Отметка за период требует указать период.")
    grade = assignment.school_class.grade
    if kind in (FinalMark.Kind.EXAM, FinalMark.Kind.FINAL) and grade not in EXAM_GRADES:
        raise FinalMarkError(
            "Экзаменационные и итоговые отметки выставляются только в 9 и 11 классах."
        )
    if period_is_closed(period, today):
        if not may_edit_closed:
            raise FinalMarkError(
                f"Период «{period}» закрыт: изменить отметку может только "
                "заместитель директора по УВР или администратор школы."
            )
        if not reason.strip():
            raise FinalMarkError("Период закрыт: укажите причину изменения.")

    year_id = assignment.school_class.academic_year_id
    with transaction.atomic():
        current = (
            FinalMark.objects.select_for_update()
            .filter(
                student=student,
                subject_id=assignment.subject_id,
                academic_year_id=year_id,
                kind=kind,
                period=period,
            )
            .first()
        )
        current_version = current.version if current else 0
        current_value = current.value if current else ""
        if current_version != expected_version:
            if current_value == value:
                return current
            raise FinalMarkError(
                "Отметку изменили, пока вы её редактировали: сейчас "
                f"«{value_label(current_value)}», вы выбрали «{value_label(value)}». "
                "Проверьте и сохраните ещё раз.",
                current,
            )
        if current_value == value:
            return current

        action = JournalChange.Action.CHANGED
        object_id = current.pk if current else 0
        if current is None:
            action = JournalChange.Action.CREATED
            try:
                with transaction.atomic():
                    current = FinalMark.objects.create(
                        student=student,
                        subject_id=assignment.subject_id,
                        academic_year_id=year_id,
                        kind=kind,
                        period=period,
                        value=value,
                        set_by_hand=value != suggestion,
                        author=author,
                    )
            except IntegrityError as error:
                raise FinalMarkError(
                    "Отметку выставили одновременно с вами: обновите страницу."
                ) from error
            object_id = current.pk
        elif not value:
            action = JournalChange.Action.DELETED
            current.delete()
        else:
            current.value = value
            current.set_by_hand = value != suggestion
            current.author = author
            current.version += 1
            current.save(
                update_fields=[
                    "value",
                    "set_by_hand",
                    "author",
                    "version",
                    "updated_at",
                ]
            )
        JournalChange.objects.create(
            kind=JournalChange.Kind.FINAL_MARK,
            action=action,
            object_id=object_id,
            student=student,
            subject_id=assignment.subject_id,
            old_value=value_label(current_value) if current_value else "",
            new_value=value_label(value) if value else "",
            changed_by=user,
            reason=reason.strip()[:500],
        )
    logger.info("Final mark %s of student %s set by user %s", kind, student.pk, user.pk)
    return current if value else None
