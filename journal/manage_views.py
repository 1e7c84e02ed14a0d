"""The завуч's pages: every journal of the school, gaps, lessons, periods."""

from __future__ import annotations

import datetime
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from eschool.numbers import parse_id
from journal.access import get_managed_school_or_404
from journal.dates import local_today, parse_iso_date
from journal.models import Attendance, Lesson, Mark
from journal.timetable import (
    TimetableError,
    close_period,
    generate_lessons,
    set_cancelled,
    set_substitute,
)
from school.models import (
    AcademicYear,
    Period,
    SchoolClass,
    StaffMember,
    TeachingAssignment,
)

logger = logging.getLogger(__name__)

# The list of unfilled lessons is cut at this length; the oldest come first.
GAPS_SHOWN = 200


def current_year(school_id: int, today: datetime.date) -> AcademicYear | None:
    """Return the latest academic year begun by ``today``, else the latest one."""
    years = AcademicYear.objects.filter(school_id=school_id).order_by("-start_date")
    return years.filter(start_date__lte=today).first() or years.first()


@login_required
@require_GET
def school_overview(request: HttpRequest) -> HttpResponse:
    """Every journal of the school, periods, lesson generation and gaps."""
    role, _staff = get_managed_school_or_404(request.user)
    school = role.school
    today = local_today(school.time_zone)
    year = current_year(school.pk, today)
    assignments: list[TeachingAssignment] = []
    periods: list[Period] = []
    gaps: list[Lesson] = []
    classes: list[SchoolClass] = []
    if year is not None:
        classes = list(
            SchoolClass.objects.filter(academic_year=year).order_by("grade", "letter")
        )
        assignments = list(
            TeachingAssignment.objects.filter(school_class__academic_year=year)
            .select_related("school_class", "subject", "subgroup", "teacher")
            .order_by(
                "school_class__grade", "school_class__letter", "subject__name", "id"
            )
        )
        periods = list(
            Period.objects.filter(academic_year=year).order_by("grade_from", "number")
        )
        gaps = list(
            Lesson.objects.filter(
                school_class__academic_year=year, date__lte=today, is_cancelled=False
            )
            .annotate(
                has_marks=Exists(Mark.objects.filter(lesson=OuterRef("pk"))),
                has_attendance=Exists(Attendance.objects.filter(lesson=OuterRef("pk"))),
            )
            # NOTE: a lesson where every pupil was present and nobody got a
            # mark looks unfilled too, because presence is not recorded.
            .filter(Q(topic="") | Q(has_marks=False, has_attendance=False))
            .select_related(
                "school_class", "assignment__subject", "assignment__teacher"
            )
            .order_by("date", "number", "id")[:GAPS_SHOWN]
        )
    day = parse_iso_date(request.GET.get("date")) or today
    day_lessons = list(
        Lesson.objects.filter(school_class__school=school, date=day)
        .select_related(
            "school_class",
            "assignment__subject",
            "assignment__teacher",
            "substitute_teacher",
        )
        .order_by("school_class__grade", "school_class__letter", "number")
    )
    context = {
        "day": day,
        "day_lessons": day_lessons,
        "school": school,
        "year": year,
        "today": today,
        "classes": classes,
        "assignments": assignments,
        "periods": periods,
        "gaps": gaps,
        "gaps_limit": GAPS_SHOWN,
    }
    return render(request, "journal/school.html", context)


@login_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    role, _staff = get_managed_school_or_404(request.user)
    today = local_today(role.school.time_zone)
    year = current_year(role.school_id, today)
    first = parse_iso_date(request.POST.get("first"))
    last = parse_iso_date(request.POST.get("last"))
    if year is None or first is None or last is None:
        messages.error(request, "Укажите даты начала и окончания в виде ГГГГ-ММ-ДД.")
        return redirect("journal:school")
    classes = None
    raw_class = request.POST.get("school_class", "")
    if raw_class:
        chosen = SchoolClass.objects.filter(
            pk=parse_id(raw_class) or 0, academic_year=year
        ).first()
        if chosen is None:
            messages.error(request, "Класс не найден.")
            return redirect("journal:school")
        classes = [chosen]
    try:
        result = generate_lessons(year, first, last, classes)
    except TimetableError as problem:
        logger.info("School %s change rejected: %s", role.school_id, problem)
        messages.error(request, str(problem))
    else:
        messages.success(
            request,
            f"Создано уроков: {result.created}. Пропущено в каникулы: "
            f"{result.skipped_holidays}.",
        )
    return redirect("journal:school")


@login_required
@require_POST
def period_close(request: HttpRequest, period_id: int) -> HttpResponse:
    role, _staff = get_managed_school_or_404(request.user)
    period = Period.objects.filter(
        pk=period_id, academic_year__school=role.school
    ).first()
    if period is None:
        raise Http404("Период не найден.")
    raw = request.POST.get("closed_on", "")
    closed_on = parse_iso_date(raw)
    if raw and closed_on is None:
        messages.error(request, "Дата закрытия: укажите дату в виде ГГГГ-ММ-ДД.")
        return redirect("journal:school")
    try:
        close_period(period, closed_on)
    except TimetableError as problem:
        logger.info("School %s change rejected: %s", role.school_id, problem)
        messages.error(request, str(problem))
    else:
        text = f"закрыт с {closed_on:%d.%m.%Y}" if closed_on else "открыт"
        messages.success(request, f"Период «{period}» {text}.")
    return redirect("journal:school")


def _managed_lesson_or_404(school_id: int, lesson_id: int) -> Lesson:
    lesson = (
        Lesson.objects.filter(pk=lesson_id, school_class__school_id=school_id)
        .select_related(
            "school_class",
            "assignment__subject",
            "assignment__subgroup",
            "assignment__teacher",
            "substitute_teacher",
        )
        .first()
    )
    if lesson is None:
        raise Http404("Урок не найден.")
    return lesson


def _render_lesson_change(
    request: HttpRequest, lesson: Lesson, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "lesson": lesson,
        "error": error,
        "teachers": StaffMember.objects.filter(
            roles__school_id=lesson.school_class.school_id
        )
        .distinct()
        .order_by("last_name", "first_name", "id"),
        "back": f"{reverse('journal:school')}?date={lesson.date:%Y-%m-%d}",
    }
    return render(request, "journal/lesson_change.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def lesson_change(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Set a substitute teacher or cancel one lesson of the school.

    The form lives on its own page: a select of every teacher in each row of
    the school page made that page grow with teachers × lessons.
    """
    role, _staff = get_managed_school_or_404(request.user)
    lesson = _managed_lesson_or_404(role.school_id, lesson_id)
    if request.method != "POST":
        return _render_lesson_change(request, lesson)

    raw = request.POST.get("substitute", "")
    substitute = None
    if raw:
        substitute = StaffMember.objects.filter(
            pk=parse_id(raw) or 0,
            roles__school=role.school,
        ).first()
        if substitute is None:
            error = "Учитель не найден в этой школе: выберите учителя из списка."
            return _render_lesson_change(request, lesson, error, status=400)
    try:
        with transaction.atomic():
            set_substitute(lesson, substitute)
            set_cancelled(lesson, request.POST.get("cancelled") == "on")
    except TimetableError as problem:
        logger.info("School %s change rejected: %s", role.school_id, problem)
        lesson.refresh_from_db()
        return _render_lesson_change(request, lesson, str(problem), status=400)
    messages.success(
        request,
        f"Урок {lesson.date:%d.%m.%Y} №{lesson.number} ({lesson.school_class.name}) "
        "изменён.",
    )
    return redirect(f"{reverse('journal:school')}?date={lesson.date:%Y-%m-%d}")
