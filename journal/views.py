"""The teacher's journal pages: the day's lessons and one lesson's journal."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.models import User
from eschool.numbers import parse_id
from journal.access import (
    get_editable_lesson_or_404,
    get_staff_member_or_404,
    is_school_manager_anywhere,
)
from journal.dates import local_today, parse_iso_date
from journal.forms import (
    LessonForm,
    PupilRow,
    build_submission,
    lesson_initial,
    show_current_lesson_fields,
    typed_lesson_fields_note,
)
from journal.models import Lesson
from journal.selectors import (
    class_teacher_classes,
    lesson_bell,
    lesson_holiday,
    lesson_period,
    lesson_roster,
    school_work_types,
    staff_time_zone,
    teacher_day,
    teacher_journals,
)
from journal.services import Conflict, JournalSaveError, save_lesson
from school.templatetags.ru_dates import plural_form

logger = logging.getLogger(__name__)


@login_required
def day(request: HttpRequest) -> HttpResponse:
    """List the signed-in teacher's lessons and substitutions of one day."""
    staff = get_staff_member_or_404(request.user)
    today = local_today(staff_time_zone(staff))
    raw_date = request.GET.get("date")
    chosen = parse_iso_date(raw_date)
    if chosen is None:
        if raw_date:
            messages.warning(
                request,
                f"Дата «{raw_date[:20]}» не распознана: показан сегодняшний день. "
                "Укажите дату в виде ГГГГ-ММ-ДД.",
            )
        chosen = today

    context = {
        "staff": staff,
        "day": chosen,
        "today": today,
        "lessons": teacher_day(staff, chosen),
        "journals": teacher_journals(staff, chosen),
        "my_classes": class_teacher_classes(staff, chosen),
        "manages_school": is_school_manager_anywhere(staff),
        "previous_day": chosen - datetime.timedelta(days=1),
        "next_day": chosen + datetime.timedelta(days=1),
    }
    return render(request, "journal/day.html", context)


def _build_rows(lesson: Lesson, data: QueryDict | None) -> list[PupilRow]:
    work_types = school_work_types(lesson)
    default = next((wt for wt in work_types if wt.is_default), None)
    if lesson.is_control_work:
        # A control work lesson's marks are mostly for the control work itself.
        default = next((wt for wt in work_types if wt.is_control), default)
    if default is None and work_types:
        default = work_types[0]
    grading = lesson.assignment.subject.grading
    return [
        PupilRow(pupil, data, grading, work_types, default)
        for pupil in lesson_roster(lesson)
    ]


def _patch_conflicts(
    data: QueryDict, conflicts: list[Conflict], rows: list[PupilRow]
) -> None:
    """Put the current values of conflicting cells into the submitted data.

    The page then shows what is saved now in those cells, with the current
    versions, while the teacher's other input stays on the form.
    """
    pupils = {row.pupil.student.pk: row.pupil for row in rows}
    for conflict in conflicts:
        pupil = pupils.get(conflict.student_id or 0)
        prefix = f"p{conflict.student_id}"
        if conflict.cell == "attendance":
            current = conflict.current_attendance
            data[f"{prefix}-attendance"] = current.code if current else ""
            data[f"{prefix}-attendance_version"] = (
                str(current.version) if current else ""
            )
        elif conflict.cell == "new_mark" and pupil is not None:
            data[f"{prefix}-known_marks"] = ",".join(str(m.pk) for m in pupil.marks)
        elif conflict.cell == "mark" and conflict.current_mark is not None:
            mark = conflict.current_mark
            mark_prefix = f"m{mark.pk}"
            if mark.score is not None:
                data[f"{mark_prefix}-score"] = str(mark.score)
            else:
                data[f"{mark_prefix}-score"] = "pass" if mark.passed else "fail"
            data[f"{mark_prefix}-work_type"] = str(mark.work_type_id)
            data[f"{mark_prefix}-comment"] = mark.comment
            data[f"{mark_prefix}-version"] = str(mark.version)
            data.pop(f"{mark_prefix}-delete", None)


def _saved_message(total: int) -> str:
    if total == 0:
        return "Изменений нет: журнал урока уже в этом состоянии."
    word = plural_form(total, "изменение", "изменения", "изменений")
    return f"Журнал урока сохранён: {total} {word}."


def _lesson_context(
    lesson: Lesson, form: LessonForm, rows: list[PupilRow], errors: list[str]
) -> dict[str, Any]:
    return {
        "lesson": lesson,
        "form": form,
        "rows": rows,
        "errors": errors,
        "bell": lesson_bell(lesson),
        "period": lesson_period(lesson),
        "holiday": lesson_holiday(lesson),
        "is_pass_fail": lesson.assignment.subject.grading == "pass_fail",
    }


@login_required
@require_http_methods(["GET", "POST"])
def lesson_page(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Show and save one lesson's journal: topic, homework, marks, attendance."""
    lesson, author = get_editable_lesson_or_404(request.user, lesson_id)
    if request.method != "POST":
        form = LessonForm(lesson=lesson, initial=lesson_initial(lesson))
        rows = _build_rows(lesson, None)
        return render(
            request, "journal/lesson.html", _lesson_context(lesson, form, rows, [])
        )

    data = request.POST.copy()
    form = LessonForm(data, lesson=lesson, initial=lesson_initial(lesson))
    rows = _build_rows(lesson, data)
    valid = form.is_valid()
    valid = all([row.is_valid() for row in rows]) and valid
    if not valid:
        errors = ["Журнал не сохранён: исправьте ошибки, отмеченные ниже."]
        context = _lesson_context(lesson, form, rows, errors)
        return render(request, "journal/lesson.html", context, status=400)

    user = request.user
    if not isinstance(user, User):  # login_required has let only users in
        raise Http404
    today = local_today(lesson.school_class.school.time_zone)
    try:
        result = save_lesson(lesson, build_submission(form, rows), user, author, today)
    except JournalSaveError as error:
        logger.info("Lesson %s save rejected for user %s", lesson.pk, user.pk)
        return _render_rejected(request, lesson, data, error)

    messages.success(request, _saved_message(result.total))
    return redirect("journal:lesson", lesson_id=lesson.pk)


def _render_rejected(
    request: HttpRequest, lesson: Lesson, data: QueryDict, error: JournalSaveError
) -> HttpResponse:
    """Show the form again after the service rejected it, with the reasons."""
    _patch_conflicts(data, error.conflicts, _build_rows(lesson, None))
    errors = ["Журнал не сохранён.", *error.errors]
    if any(conflict.cell == "lesson" for conflict in error.conflicts):
        errors.append(typed_lesson_fields_note(data))
        show_current_lesson_fields(data, lesson)
    form = LessonForm(data, lesson=lesson, initial=lesson_initial(lesson))
    form.is_valid()
    rows = _build_rows(lesson, data)
    for row in rows:
        row.is_valid()
        student_id = row.pupil.student.pk
        row.conflicts = [
            c.message for c in error.conflicts if c.student_id == student_id
        ]

    context = _lesson_context(lesson, form, rows, errors)
    status = 409 if error.conflicts else 400
    return render(request, "journal/lesson.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def lesson_topic(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Set a lesson's topic and homework from the journal grid's column head."""
    lesson, author = get_editable_lesson_or_404(request.user, lesson_id)
    raw_period = request.POST.get("period") or request.GET.get("period") or ""
    period_id = raw_period if parse_id(raw_period) is not None else ""
    back = reverse("journal:grid", args=[lesson.assignment_id])
    if period_id:
        back += f"?period={period_id}"
    context: dict[str, Any] = {"lesson": lesson, "back": back, "period_id": period_id}
    initial = lesson_initial(lesson)
    if request.method != "POST":
        context.update(form=LessonForm(lesson=lesson, initial=initial), errors=[])
        return render(request, "journal/lesson_topic.html", context)

    data = request.POST.copy()
    form = LessonForm(data, lesson=lesson, initial=initial)
    if not form.is_valid():
        context.update(form=form, errors=["Не сохранено: исправьте ошибки ниже."])
        return render(request, "journal/lesson_topic.html", context, status=400)
    user = request.user
    if not isinstance(user, User):  # login_required has let only users in
        raise Http404
    today = local_today(lesson.school_class.school.time_zone)
    try:
        save_lesson(lesson, build_submission(form, []), user, author, today)
    except JournalSaveError as error:
        logger.info("Lesson %s topic rejected for user %s", lesson.pk, user.pk)
        errors = ["Не сохранено.", *error.errors]
        if error.conflicts:
            errors.append(typed_lesson_fields_note(data))
            show_current_lesson_fields(data, lesson)
        form = LessonForm(data, lesson=lesson, initial=initial)
        form.is_valid()
        context.update(form=form, errors=errors)
        status = 409 if error.conflicts else 400
        return render(request, "journal/lesson_topic.html", context, status=status)

    messages.success(request, f"Тема и задание урока {lesson.date:%d.%m.%Y} сохранены.")
    return redirect(back)
