"""The lesson page form: lesson fields, one row per pupil, one per mark.

Field names carry the pupil's or the mark's id as a prefix (``p12-score``,
``m40-version``), so one POST carries the whole class. A row whose fields
are missing from the POST (a pupil enrolled or a mark added after the page
was rendered) is left unbound and untouched.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.http import QueryDict

from journal.models import Attendance, Lesson, Mark
from journal.selectors import LessonPupil, next_lesson_date
from journal.services import LessonSubmission, MarkEdit, MarkValue, PupilEntry
from school.models import Subject, WorkType

NUMERIC_CHOICES = [("", "—")] + [(str(n), str(n)) for n in range(5, 0, -1)]
PASS_FAIL_CHOICES = [("", "—"), ("pass", "зачёт"), ("fail", "незачёт")]
ATTENDANCE_CHOICES = [("", "—")] + [
    (code, f"{code} — {label}") for code, label in Attendance.Code.choices
]

SCORE_INVALID: dict[str, str] = {
    Subject.Grading.NUMERIC: "Недопустимая оценка «%(value)s»: выберите от 1 до 5.",
    Subject.Grading.PASS_FAIL: (
        "Недопустимая отметка «%(value)s»: выберите «зачёт» или «незачёт»."
    ),
}
WORK_TYPE_INVALID = "Неизвестный вид работы. Выберите вид работы из списка."
ATTENDANCE_INVALID = (
    "Недопустимая отметка посещаемости «%(value)s»: допустимы Н, Б, УП, ОП "
    "или пустое значение."
)
STALE_FORM = "Форма устарела: обновите страницу и внесите изменения ещё раз."


LESSON_FIELDS = ("topic", "homework", "homework_due")


def lesson_initial(lesson: Lesson) -> dict[str, Any]:
    """Return the lesson form's initial values, the due date pre-filled.

    An empty due date shows the date of the next lesson of the journal, the
    value that saving homework with an empty due date stores.
    """
    return {
        "topic": lesson.topic,
        "homework": lesson.homework,
        "homework_due": lesson.homework_due or next_lesson_date(lesson),
        "version": lesson.version,
    }


def show_current_lesson_fields(data: QueryDict, lesson: Lesson) -> None:
    """Replace the submitted topic and homework with the saved ones.

    Used after a version conflict: the form then shows what is saved now,
    with the current version, so the next save is made from it.
    """
    data["topic"] = lesson.topic
    data["homework"] = lesson.homework
    data["homework_due"] = (
        f"{lesson.homework_due:%Y-%m-%d}" if lesson.homework_due else ""
    )
    data["version"] = str(lesson.version)


def typed_lesson_fields_note(data: QueryDict) -> str:
    """Describe the topic and homework the teacher sent, for a rejected save."""
    topic = data.get("topic", "")[:500]
    homework = data.get("homework", "")[:1000]
    return f"Вы вводили: тема «{topic}», задание «{homework}»."


class LessonForm(forms.Form):
    topic = forms.CharField(
        label="Тема урока",
        required=False,
        max_length=500,
        error_messages={"max_length": "Тема урока длиннее 500 символов."},
    )
    homework = forms.CharField(
        label="Домашнее задание",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    homework_due = forms.DateField(
        label="Сдать к",
        required=False,
        help_text=(
            "Пустой срок — дата следующего урока по этому предмету. Срок "
            "хранится только вместе с заданием."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Срок сдачи: укажите дату в виде ГГГГ-ММ-ДД."},
    )

    version = forms.IntegerField(
        required=True,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": STALE_FORM,
            "required": STALE_FORM,
            "min_value": STALE_FORM,
        },
    )

    def __init__(self, *args: Any, lesson: Lesson, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lesson = lesson

    def clean_homework_due(self) -> Any:
        due = self.cleaned_data.get("homework_due")
        if due is not None and due < self.lesson.date:
            raise forms.ValidationError(
                f"Срок сдачи домашнего задания ({due:%d.%m.%Y}) не может быть "
                f"раньше даты урока ({self.lesson.date:%d.%m.%Y})."
            )
        return due


class _MarkFieldsForm(forms.Form):
    """Score, work type and comment, shared by new and existing marks."""

    score = forms.ChoiceField(label="Оценка", required=False)
    work_type = forms.TypedChoiceField(
        label="Вид работы",
        required=False,
        coerce=int,
        error_messages={"invalid_choice": WORK_TYPE_INVALID},
    )
    comment = forms.CharField(
        label="Комментарий",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "комментарий", "size": 14}),
        error_messages={"max_length": "Комментарий длиннее 500 символов."},
    )

    def __init__(
        self,
        *args: Any,
        grading: str,
        work_types: list[WorkType],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.work_types = {work_type.pk: work_type for work_type in work_types}
        score = cast(forms.ChoiceField, self.fields["score"])
        score.choices = (
            PASS_FAIL_CHOICES
            if grading == Subject.Grading.PASS_FAIL
            else NUMERIC_CHOICES
        )
        score.error_messages["invalid_choice"] = SCORE_INVALID.get(
            grading, SCORE_INVALID[Subject.Grading.NUMERIC]
        )
        work_type = cast(forms.ChoiceField, self.fields["work_type"])
        work_type.choices = [(wt.pk, wt.short_name) for wt in work_types]

    def mark_value(self) -> MarkValue | None:
        """Return the entered mark, or None when no score was chosen."""
        score = self.cleaned_data.get("score")
        if not score:
            return None
        work_type = self.work_types[self.cleaned_data["work_type"]]
        comment = self.cleaned_data.get("comment", "").strip()
        if score in ("pass", "fail"):
            return MarkValue(None, score == "pass", work_type, comment)
        return MarkValue(int(score), None, work_type, comment)

    def _require_work_type(self, cleaned: dict[str, Any]) -> None:
        missing = cleaned.get("score") and cleaned.get("work_type") in (None, "")
        if missing and "work_type" not in self.errors:
            self.add_error("work_type", "Выберите вид работы для оценки.")


class PupilForm(_MarkFieldsForm):
    """One pupil's row: a new mark and the attendance code."""

    attendance = forms.ChoiceField(
        label="Посещаемость",
        required=False,
        choices=ATTENDANCE_CHOICES,
        error_messages={"invalid_choice": ATTENDANCE_INVALID},
    )
    attendance_version = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"invalid": STALE_FORM, "min_value": STALE_FORM},
    )
    known_marks = forms.RegexField(
        regex=r"^[0-9]*(,[0-9]+)*$",
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": STALE_FORM},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        orphan_comment = cleaned.get("comment") and not cleaned.get("score")
        if orphan_comment and "score" not in self.errors:
            self.add_error("comment", "Комментарий без оценки: выберите оценку.")
        self._require_work_type(cleaned)
        return cleaned

    def known_mark_ids(self) -> frozenset[int]:
        raw = self.cleaned_data.get("known_marks") or ""
        return frozenset(int(part) for part in raw.split(",") if part)


class MarkForm(_MarkFieldsForm):
    """An existing mark: change it, or tick ``delete`` to remove it."""

    version = forms.IntegerField(
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": STALE_FORM,
            "required": STALE_FORM,
            "min_value": STALE_FORM,
        },
    )
    delete = forms.BooleanField(label="удалить", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        empty = not cleaned.get("delete") and not cleaned.get("score")
        if empty and "score" not in self.errors:
            self.add_error(
                "score", "Выберите оценку или отметьте «удалить», чтобы её убрать."
            )
        self._require_work_type(cleaned)
        return cleaned


def _mark_initial(mark: Mark) -> dict[str, Any]:
    if mark.score is not None:
        score = str(mark.score)
    else:
        score = "pass" if mark.passed else "fail"
    return {
        "score": score,
        "work_type": mark.work_type_id,
        "comment": mark.comment,
        "version": mark.version,
    }


class PupilRow:
    """The forms of one pupil: the pupil's row and one form per existing mark."""

    def __init__(
        self,
        pupil: LessonPupil,
        data: QueryDict | None,
        grading: str,
        work_types: list[WorkType],
        default_work_type: WorkType | None,
    ) -> None:
        self.pupil = pupil
        student_id = pupil.student.pk
        prefix = f"p{student_id}"
        bound = data is not None and f"{prefix}-known_marks" in data
        attendance = pupil.attendance
        self.form = PupilForm(
            data if bound else None,
            prefix=prefix,
            grading=grading,
            work_types=work_types,
            initial={
                "attendance": attendance.code if attendance else "",
                "attendance_version": attendance.version if attendance else None,
                "known_marks": ",".join(str(mark.pk) for mark in pupil.marks),
                "work_type": default_work_type.pk if default_work_type else None,
            },
        )
        self.mark_forms = []
        for mark in pupil.marks:
            mark_prefix = f"m{mark.pk}"
            mark_bound = data is not None and f"{mark_prefix}-version" in data
            form = MarkForm(
                data if mark_bound else None,
                prefix=mark_prefix,
                grading=grading,
                work_types=work_types,
                initial=_mark_initial(mark),
            )
            form.mark = mark  # type: ignore[attr-defined]
            self.mark_forms.append(form)
        self.conflicts: list[str] = []

    def bound_forms(self) -> list[forms.Form]:
        found: list[forms.Form] = [self.form] if self.form.is_bound else []
        found.extend(form for form in self.mark_forms if form.is_bound)
        return found

    def is_valid(self) -> bool:
        return all(form.is_valid() for form in self.bound_forms())

    def entry(self) -> PupilEntry | None:
        """Return the pupil's part of the submission (after is_valid)."""
        entry = PupilEntry(student_id=self.pupil.student.pk)
        for form in self.mark_forms:
            if not form.is_bound:
                continue
            value = None if form.cleaned_data.get("delete") else form.mark_value()
            mark: Mark = form.mark  # type: ignore[attr-defined]
            entry.mark_edits.append(
                MarkEdit(mark.pk, form.cleaned_data["version"], value)
            )
        if self.form.is_bound:
            entry.known_mark_ids = self.form.known_mark_ids()
            entry.new_mark = self.form.mark_value()
            entry.attendance_code = self.form.cleaned_data.get("attendance", "")
            entry.attendance_version = self.form.cleaned_data.get("attendance_version")
        if not self.form.is_bound and not entry.mark_edits:
            return None
        return entry


def _vanished_mark_ids(data: QueryDict, rows: list[PupilRow]) -> list[int]:
    """Return ids of marks the POST edits but the page no longer has."""
    shown = {form.prefix for row in rows for form in row.mark_forms}
    vanished = []
    for key in data:
        match = re.fullmatch(r"m([0-9]+)-version", key)
        if match is None or f"m{match.group(1)}" in shown:
            continue
        if not data.get(f"m{match.group(1)}-delete"):
            vanished.append(int(match.group(1)))
    return vanished


def build_submission(form: LessonForm, rows: list[PupilRow]) -> LessonSubmission:
    """Turn valid forms into the service's input."""
    submission = LessonSubmission()
    if isinstance(form.data, QueryDict):
        submission.vanished_mark_ids = _vanished_mark_ids(form.data, rows)
    for name in LESSON_FIELDS:
        # A field missing from the POST is left as it is, not cleared.
        if form.add_prefix(name) not in form.data:
            continue
        value = form.cleaned_data.get(name)
        submission.lesson_fields[name] = (
            value.strip() if isinstance(value, str) else value
        )
    if submission.lesson_fields:
        submission.lesson_version = form.cleaned_data.get("version")
    for row in rows:
        entry = row.entry()
        if entry is not None:
            submission.pupils.append(entry)
    return submission
