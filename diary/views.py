"""The diary pages for guardians and students."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from diary.access import get_diary_child_or_404
from diary.selectors import diary_week
from journal.dates import parse_iso_date, week_start

logger = logging.getLogger(__name__)


@login_required
def week(request: HttpRequest, student_id: int | None = None) -> HttpResponse:
    """Show one child's lessons, marks and attendance from Monday to Saturday."""
    child, children = get_diary_child_or_404(request.user, student_id)
    if child is None:
        return render(request, "diary/no_children.html")
    context = {"child": child, "children": children}
    if not child.is_open:
        return render(request, "diary/closed.html", context)

    raw_date = request.GET.get("date")
    day = parse_iso_date(raw_date)
    if day is None:
        if raw_date:
            messages.warning(
                request,
                f"Дата «{raw_date[:20]}» не распознана: показана текущая неделя. "
                "Укажите дату в виде ГГГГ-ММ-ДД.",
            )
        day = child.today
    diary = diary_week(child.student, week_start(day))

    context.update({"week": diary, "chosen_date": day})
    return render(request, "diary/week.html", context)
