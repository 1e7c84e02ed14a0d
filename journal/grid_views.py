"""The class journal grid and in-place saving of its cells (htmx)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from accounts.models import User
from eschool.numbers import parse_id
from journal.access import (
    get_journal_assignment_or_404,
    get_journal_lesson_or_404,
    get_lesson_pupil_or_404,
)
from journal.cells import CellInputError, save_cell
from journal.dates import local_today
from journal.exports import journal_xlsx
from journal.finals import (
    EXAM_GRADES,
    FinalMarkError,
    period_is_closed,
    set_final_mark,
    suggest_certificate_mark,
    suggest_period_mark,
    suggest_year_mark,
    value_label,
)
from journal.grading import suggested_mark, weighted_average
from journal.grid import (
    GridCell,
    choose_period,
    class_periods,
    grid_cell,
    grid_students,
    journal_grid,
)
from journal.models import FinalMark, Lesson, Mark
from journal.selectors import lesson_period
from journal.services import JournalSaveError
from school.models import Period, Student, TeachingAssignment, WorkType

logger = logging.getLogger(__name__)


def _refusal(closed: bool) -> str:
    if closed:
        return (
            "Период закрыт: изменить отметки может только заместитель директора "
            "по УВР или администратор школы."
        )
    return "Журнал открытого периода ведёт учитель: вам он доступен только для чтения."


def _int_or_none(raw: str | None) -> int | None:
    return parse_id(raw)


@login_required
@require_GET
def grid(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Show a class-subject journal for one period: pupils down, lessons across."""
    assignment, access = get_journal_assignment_or_404(request.user, assignment_id)
    school = assignment.school_class.school
    today = local_today(school.time_zone)
    periods = class_periods(assignment)
    period = choose_period(periods, _int_or_none(request.GET.get("period")), today)
    context: dict[str, Any] = {"assignment": assignment, "grid": None}
    if period is not None:
        closed = period_is_closed(period, today)
        context.update(
            grid=journal_grid(assignment, period, periods),
            closed=closed,
            editable=access.may_edit(closed) and not request.GET.get("print"),
            needs_reason=closed and access.is_manager,
            # The teacher of the journal sets topics and homework from the
            # column heads; the lesson page also lets a substitute do it.
            edits_topics=access.is_teacher and not request.GET.get("print"),
        )
    return render(request, "journal/grid.html", context)


def _chosen_work_type(lesson: Lesson, raw: str | None) -> WorkType | None:
    """Return the posted work type of the lesson's school, or None if unknown.

    Only an absent or empty value means "the school's default"; anything else
    that is not one of the school's work types is rejected by the caller.
    """
    school_types = WorkType.objects.filter(school_id=lesson.school_class.school_id)
    if not raw:
        return school_types.order_by("-is_default", "name", "id").first()
    wanted = _int_or_none(raw)
    if wanted is None:
        return None
    return school_types.filter(pk=wanted).first()


def _row_summary(lesson: Lesson, student_id: int) -> dict[str, Any]:
    """The pupil's weighted average and suggestion in the lesson's period."""
    period = lesson_period(lesson)
    if period is None:
        return {}
    marks = Mark.objects.filter(
        student_id=student_id,
        lesson__assignment_id=lesson.assignment_id,
        lesson__date__gte=period.start_date,
        lesson__date__lte=period.end_date,
    ).only("score", "weight")
    average = weighted_average(marks)
    return {
        "summary": True,
        "average": average,
        "suggestion": suggested_mark(average, lesson.school_class.school),
    }


def _render_cell(
    request: HttpRequest,
    cell: GridCell,
    label: str,
    *,
    typed: str | None = None,
    error: str = "",
    status: int = 200,
    summary: dict[str, Any] | None = None,
) -> HttpResponse:
    context = {
        "cell": cell,
        "label": label,
        "typed": typed,
        "error": error,
        "student_id": cell.student_id,
        "editable": True,
        **(summary or {}),
    }
    return render(
        request, "journal/includes/grid_cell_response.html", context, status=status
    )


@login_required
@require_POST
def grid_cell_save(
    request: HttpRequest, lesson_id: int, student_id: int
) -> HttpResponse:
    """Save one typed cell and answer with the cell as it is now saved."""
    lesson, access = get_journal_lesson_or_404(request.user, lesson_id)
    label = get_lesson_pupil_or_404(lesson, student_id).short_name
    today = local_today(lesson.school_class.school.time_zone)
    closed = period_is_closed(lesson_period(lesson), today)
    if not access.may_edit(closed):
        logger.info(
            "Grid cell of lesson %s refused to user %s", lesson.pk, request.user.pk
        )
        return _render_cell(
            request,
            grid_cell(lesson, student_id),
            label,
            error=_refusal(closed),
            status=403,
        )
    user = request.user
    if not isinstance(user, User):  # login_required has let only users in
        raise Http404
    typed = request.POST.get("value", "")[:100]
    work_type = _chosen_work_type(lesson, request.POST.get("work_type"))
    if not bool(HtmxDetails(request)):
        # Without JavaScript the grid is read-only; the lesson page edits.
        return redirect("journal:lesson", lesson_id=lesson.pk)

    if work_type is None:
        logger.info("Grid cell of lesson %s: work type not found", lesson.pk)
        error = "Вид работы не найден: выберите вид работы из списка над журналом."
        return _render_cell(
            request,
            grid_cell(lesson, student_id),
            label,
            typed=typed,
            error=error,
            status=400,
        )
    try:
        save_cell(
            lesson,
            student_id,
            typed,
            request.POST.get("state", ""),
            work_type,
            user,
            access.staff,
            today,
            may_edit_closed=access.is_manager,
            reason=request.POST.get("reason", "")[:500],
        )
    except CellInputError as problem:
        logger.info("Grid cell of lesson %s: invalid input rejected", lesson.pk)
        return _render_cell(
            request,
            grid_cell(lesson, student_id),
            label,
            typed=typed,
            error=str(problem),
            status=400,
        )
    except JournalSaveError as problem:
        logger.info("Grid cell of lesson %s rejected for user %s", lesson.pk, user.pk)
        status = 409 if problem.conflicts else 400
        # The cell shows what is saved now; the refused text is in the message.
        message = " ".join(problem.errors)
        if problem.conflicts:
            message = (
                f"Не сохранено: ячейку изменили, пока вы её редактировали. "
                f"Сейчас в ней то, что сохранено; вы вводили «{typed}». {message}"
            )
        return _render_cell(
            request, grid_cell(lesson, student_id), label, error=message, status=status
        )

    return _render_cell(
        request,
        grid_cell(lesson, student_id),
        label,
        summary=_row_summary(lesson, student_id),
    )


def _final_suggestion(
    assignment: TeachingAssignment,
    student_id: int,
    kind: str,
    period: Period | None,
    periods: list[Period],
) -> str | None:
    """What the journal suggests for a final mark, computed on the server."""
    school = assignment.school_class.school
    if kind == FinalMark.Kind.PERIOD and period is not None:
        marks = Mark.objects.filter(
            student_id=student_id,
            lesson__assignment_id=assignment.pk,
            lesson__date__gte=period.start_date,
            lesson__date__lte=period.end_date,
        ).only("score", "weight")
        return suggest_period_mark(weighted_average(marks), school)
    stored = {
        (mark.kind, mark.period_id): mark.value
        for mark in FinalMark.objects.filter(
            student_id=student_id,
            subject_id=assignment.subject_id,
            academic_year_id=assignment.school_class.academic_year_id,
        )
    }
    if kind == FinalMark.Kind.YEAR:
        return suggest_year_mark(
            [stored.get((FinalMark.Kind.PERIOD, p.pk)) for p in periods], school
        )
    if kind == FinalMark.Kind.FINAL:
        return suggest_certificate_mark(
            stored.get((FinalMark.Kind.YEAR, None)),
            stored.get((FinalMark.Kind.EXAM, None)),
        )
    return None


@login_required
@require_POST
def final_mark_save(
    request: HttpRequest, assignment_id: int, student_id: int
) -> HttpResponse:
    """Set one period, year, exam or certificate mark (htmx)."""
    assignment, access = get_journal_assignment_or_404(request.user, assignment_id)
    periods = class_periods(assignment)
    if not periods:
        raise Http404("Учебные периоды не настроены.")
    year_start, year_end = periods[0].start_date, periods[-1].end_date
    if not any(
        s.pk == student_id for s in grid_students(assignment, year_start, year_end)
    ):
        raise Http404("Ученик не найден в этом классе.")
    user = request.user
    if not isinstance(user, User):  # login_required has let only users in
        raise Http404
    kind = request.POST.get("kind", "")
    period_id = _int_or_none(request.POST.get("period"))
    period = next((p for p in periods if p.pk == period_id), None)
    if period_id is not None and period is None:
        raise Http404("Период не найден.")
    today = local_today(assignment.school_class.school.time_zone)
    # Year and certificate marks close with the last period of the year.
    closed = period_is_closed(period or periods[-1], today)
    value = request.POST.get("value", "")
    context: dict[str, Any] = {
        "assignment": assignment,
        "kind": kind,
        "period_id": period.pk if period else "",
        "student_id": student_id,
        "editable": True,
        "label": "Итоговая отметка",
        "error": "",
    }
    existing = FinalMark.objects.filter(
        student_id=student_id,
        subject_id=assignment.subject_id,
        academic_year_id=assignment.school_class.academic_year_id,
        kind=kind,
        period=period,
    ).first()
    if not access.may_edit(closed):
        context.update(mark=existing, error=_refusal(closed))
        return render(request, "journal/includes/final_cell.html", context, status=403)

    student = Student.objects.get(pk=student_id)
    try:
        mark = set_final_mark(
            assignment=assignment,
            student=student,
            kind=kind,
            period=period,
            value=value,
            expected_version=_int_or_none(request.POST.get("version")) or 0,
            suggestion=_final_suggestion(assignment, student_id, kind, period, periods),
            user=user,
            author=access.staff,
            today=today,
            may_edit_closed=access.is_manager,
            reason=request.POST.get("reason", "")[:500],
        )
    except FinalMarkError as problem:
        logger.info(
            "Final mark of student %s, assignment %s rejected: %s",
            student_id,
            assignment.pk,
            problem.message,
        )
        current = problem.current if problem.current is not None else existing
        context.update(mark=current, error=problem.message)
        status = 409 if problem.current is not None else 400
        return render(
            request, "journal/includes/final_cell.html", context, status=status
        )
    context["mark"] = mark
    return render(request, "journal/includes/final_cell.html", context)


@dataclass
class FinalsRow:
    student: Student
    by_period: list[FinalMark | None]
    year: FinalMark | None
    year_suggestion: str
    exam: FinalMark | None
    final: FinalMark | None
    final_suggestion: str | None


@login_required
@require_GET
def finals(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Period marks, year marks with the suggestion, exam and certificate marks."""
    assignment, access = get_journal_assignment_or_404(request.user, assignment_id)
    school = assignment.school_class.school
    periods = class_periods(assignment)
    today = local_today(school.time_zone)
    rows: list[FinalsRow] = []
    closed = bool(periods) and period_is_closed(periods[-1], today)
    if periods:
        students = grid_students(
            assignment, periods[0].start_date, periods[-1].end_date
        )
        stored: dict[tuple[int, str, int | None], FinalMark] = {
            (mark.student_id, mark.kind, mark.period_id): mark
            for mark in FinalMark.objects.filter(
                subject_id=assignment.subject_id,
                academic_year_id=assignment.school_class.academic_year_id,
                student_id__in=[student.pk for student in students],
            )
        }
        for student in students:
            by_period = [
                stored.get((student.pk, FinalMark.Kind.PERIOD, p.pk)) for p in periods
            ]
            year = stored.get((student.pk, FinalMark.Kind.YEAR, None))
            exam = stored.get((student.pk, FinalMark.Kind.EXAM, None))
            rows.append(
                FinalsRow(
                    student=student,
                    by_period=by_period,
                    year=year,
                    year_suggestion=value_label(
                        suggest_year_mark(
                            [m.value if m else None for m in by_period], school
                        )
                    ),
                    exam=exam,
                    final=stored.get((student.pk, FinalMark.Kind.FINAL, None)),
                    final_suggestion=suggest_certificate_mark(
                        year.value if year else None, exam.value if exam else None
                    ),
                )
            )
    context = {
        "assignment": assignment,
        "periods": periods,
        "rows": rows,
        "with_exams": assignment.school_class.grade in EXAM_GRADES,
        "editable": access.may_edit(closed),
        "needs_reason": closed and access.is_manager,
    }
    return render(request, "journal/finals.html", context)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_GET
def grid_xlsx(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The journal of one period as an XLSX file."""
    assignment, _access = get_journal_assignment_or_404(request.user, assignment_id)
    school = assignment.school_class.school
    periods = class_periods(assignment)
    period = choose_period(
        periods, _int_or_none(request.GET.get("period")), local_today(school.time_zone)
    )
    if period is None:
        raise Http404("Учебные периоды не настроены.")
    content = journal_xlsx(journal_grid(assignment, period, periods))
    response = HttpResponse(content, content_type=XLSX)
    name = f"journal-{assignment.pk}-period-{period.pk}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
