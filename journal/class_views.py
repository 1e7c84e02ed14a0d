"""The class teacher's pages: the class across subjects and its absences."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from eschool.numbers import parse_id
from journal.access import get_class_for_class_teacher_or_404
from journal.class_teacher import (
    ExcuseError,
    class_absences,
    class_periods,
    class_summary,
    excuse_absence,
)
from journal.dates import local_today
from journal.exports import report_card_xlsx
from journal.grid import choose_period
from school.models import Period, SchoolClass

logger = logging.getLogger(__name__)


def _period(
    request: HttpRequest, school_class: SchoolClass
) -> tuple[Period | None, list[Period]]:
    periods = class_periods(school_class)
    raw = request.GET.get("period", "")
    wanted = parse_id(raw)
    today = local_today(school_class.school.time_zone)
    return choose_period(periods, wanted, today), periods


@login_required
@require_GET
def class_overview(request: HttpRequest, class_id: int) -> HttpResponse:
    """Averages, suggested and period marks, absences of the class by subject."""
    school_class, _access = get_class_for_class_teacher_or_404(request.user, class_id)
    period, periods = _period(request, school_class)
    context: dict[str, Any] = {
        "school_class": school_class,
        "period": period,
        "periods": periods,
        "assignments": [],
        "pupils": [],
    }
    if period is not None:
        context["assignments"], context["pupils"] = class_summary(school_class, period)
    return render(request, "journal/class.html", context)


@login_required
@require_GET
def class_attendance(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's attendance codes of a period, with «Н» → «УП» for each."""
    school_class, _access = get_class_for_class_teacher_or_404(request.user, class_id)
    period, periods = _period(request, school_class)
    context = {
        "school_class": school_class,
        "period": period,
        "periods": periods,
        "rows": class_absences(school_class, period) if period else [],
    }
    return render(request, "journal/class_attendance.html", context)


@login_required
@require_POST
def excuse(request: HttpRequest, class_id: int, attendance_id: int) -> HttpResponse:
    """Record a valid reason for an absence of the class."""
    school_class, access = get_class_for_class_teacher_or_404(request.user, class_id)
    user = request.user
    if not isinstance(user, User):  # login_required has let only users in
        raise Http404
    version = parse_id(request.POST.get("version", ""))
    try:
        excuse_absence(
            school_class=school_class,
            attendance_id=attendance_id,
            expected_version=-1 if version is None else version,
            reason=request.POST.get("reason", "")[:500],
            user=user,
            author=access.staff,
            today=local_today(school_class.school.time_zone),
            may_edit_closed=access.is_manager,
        )
    except ExcuseError as problem:
        logger.info("Excuse of attendance %s rejected: %s", attendance_id, problem)
        messages.error(request, str(problem))
    else:
        messages.success(request, "Причина пропуска записана: «Н» заменено на «УП».")
    target = reverse("journal:class_attendance", args=[school_class.pk])
    period = request.POST.get("period", "")
    if parse_id(period) is not None:
        target += f"?period={period}"
    return redirect(target)


@login_required
@require_GET
def report_card_xlsx_view(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's табель for a period as an XLSX file."""
    school_class, _access = get_class_for_class_teacher_or_404(request.user, class_id)
    period, _periods = _period(request, school_class)
    if period is None:
        raise Http404("Учебные периоды не настроены.")
    assignments, pupils = class_summary(school_class, period)
    response = HttpResponse(
        report_card_xlsx(school_class, period, assignments, pupils),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"tabel-{school_class.pk}-period-{period.pk}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
