"""The завуч's bell schedule and weekly timetable screens.

Both act only on the school where the user is завуч or school admin (see
:func:`journal.access.get_managed_school_or_404`), in its current academic
year. A timetable change applies from a date on through the services of
:mod:`journal.timetable`, which keep the lessons already held.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from eschool.numbers import parse_id
from journal.access import get_managed_school_or_404
from journal.bells import bell_formset, replace_bells
from journal.dates import local_today, parse_iso_date
from journal.manage_views import current_year
from journal.models import Attendance, Lesson, Mark
from journal.timetable import (
    TimetableChange,
    TimetableError,
    add_timetable_entry,
    change_timetable_entry,
    remove_timetable_entry,
)
from journal.timetable_forms import TimetableChangeForm, TimetableSlotForm
from school.models import AcademicYear, Bell, School, SchoolClass, TimetableEntry

logger = logging.getLogger(__name__)

NO_YEAR = (
    "В школе не заведён учебный год: сначала заведите его в разделе администрирования."
)


def _managed_year(request: HttpRequest) -> tuple[School, AcademicYear]:
    role, _staff = get_managed_school_or_404(request.user)
    year = current_year(role.school_id, local_today(role.school.time_zone))
    if year is None:
        raise Http404(NO_YEAR)
    return role.school, year


@login_required
@require_http_methods(["GET", "POST"])
def bells(request: HttpRequest) -> HttpResponse:
    """List and edit the bells of the current academic year in one form."""
    school, year = _managed_year(request)
    formset = bell_formset(year, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if formset.is_valid():
            replace_bells(year, formset.bells())
            messages.success(request, f"Расписание звонков на {year} сохранено.")
            return redirect("journal:bells")
        logger.info("Bell schedule of year %s rejected: invalid form", year.pk)
    context = {"school": school, "year": year, "formset": formset}
    status = 400 if formset.is_bound else 200
    return render(request, "journal/bells.html", context, status=status)


@dataclass
class TimetableRow:
    number: int
    bell: Bell | None
    # One list of entries per shown weekday, Monday first.
    cells: list[list[TimetableEntry]] = field(default_factory=list)


def _class_or_404(year: AcademicYear, raw: str | None) -> SchoolClass | None:
    classes = SchoolClass.objects.filter(academic_year=year)
    if not raw:
        return classes.order_by("grade", "letter").first()
    chosen = classes.filter(pk=parse_id(raw) or 0)
    found = chosen.first()
    if found is None:
        raise Http404("Класс не найден.")
    return found


def _entries_on(school_class: SchoolClass, day: datetime.date) -> list[TimetableEntry]:
    return list(
        TimetableEntry.objects.filter(
            assignment__school_class=school_class, valid_from__lte=day
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related(
            "assignment__subject", "assignment__subgroup", "assignment__teacher"
        )
        .order_by("weekday", "lesson_number", "assignment__subgroup__name", "id")
    )


def _timetable_rows(
    entries: list[TimetableEntry], bells_by_number: dict[int, Bell], weekdays: list[int]
) -> list[TimetableRow]:
    numbers = sorted(set(bells_by_number) | {entry.lesson_number for entry in entries})
    rows = []
    for number in numbers:
        row = TimetableRow(number=number, bell=bells_by_number.get(number))
        for weekday in weekdays:
            row.cells.append(
                [
                    entry
                    for entry in entries
                    if entry.weekday == weekday and entry.lesson_number == number
                ]
            )
        rows.append(row)
    return rows


def _chosen_day(
    request: HttpRequest, year: AcademicYear, today: datetime.date
) -> datetime.date:
    raw = request.GET.get("date")
    day = parse_iso_date(raw)
    if raw and day is None:
        messages.warning(
            request,
            f"Дата «{raw[:20]}» не распознана: укажите дату в виде ГГГГ-ММ-ДД.",
        )
    elif day is not None and not year.start_date <= day <= year.end_date:
        messages.warning(
            request,
            f"Дата {day:%d.%m.%Y} вне учебного года {year}: показано расписание "
            "на сегодня.",
        )
        day = None
    if day is None:
        day = min(max(today, year.start_date), year.end_date)
    return day


@login_required
@require_GET
def timetable(request: HttpRequest) -> HttpResponse:
    """Show a class's weekly timetable as in force on a date, with an add form."""
    school, year = _managed_year(request)
    today = local_today(school.time_zone)
    day = _chosen_day(request, year, today)
    school_class = _class_or_404(year, request.GET.get("class"))
    context: dict[str, Any] = {
        "school": school,
        "year": year,
        "day": day,
        "school_class": school_class,
        "classes": list(
            SchoolClass.objects.filter(academic_year=year).order_by("grade", "letter")
        ),
    }
    if school_class is not None:
        context.update(_timetable_context(school, year, school_class, day))
        context["add_form"] = TimetableSlotForm(
            school_class=school_class,
            works_saturday=school.works_saturday,
            initial={"valid_from": day},
            prefix="add",
        )
    return render(request, "journal/timetable.html", context)


def _timetable_context(
    school: School, year: AcademicYear, school_class: SchoolClass, day: datetime.date
) -> dict[str, Any]:
    entries = _entries_on(school_class, day)
    weekdays = [1, 2, 3, 4, 5]
    if school.works_saturday or any(entry.weekday == 6 for entry in entries):
        weekdays.append(6)
    bells_by_number = {
        bell.lesson_number: bell for bell in Bell.objects.filter(academic_year=year)
    }
    labels = dict(TimetableEntry.Weekday.choices)
    return {
        "weekdays": [labels[weekday] for weekday in weekdays],
        "rows": _timetable_rows(entries, bells_by_number, weekdays),
    }


def _timetable_url(school_class: SchoolClass, day: datetime.date) -> str:
    return f"{reverse('journal:timetable')}?class={school_class.pk}&date={day:%Y-%m-%d}"


def _generated_until(school_class: SchoolClass) -> datetime.date | None:
    """Return the date of the class's last lesson: lessons exist up to it."""
    last = Lesson.objects.filter(school_class=school_class).aggregate(Max("date"))
    value = last["date__max"]
    return value if isinstance(value, datetime.date) else None


def _change_message(change: TimetableChange, from_date: datetime.date) -> str:
    text = (
        f"Расписание изменено с {from_date:%d.%m.%Y}. Уроки до этой даты не изменились."
    )
    if change.kept:
        text += (
            " Уже проведённые уроки после неё (с темой, отметками или "
            f"посещаемостью) сохранены как были: {change.kept}."
        )
    if change.removed:
        text += f" Удалено незаполненных уроков: {change.removed}."
    if change.created:
        text += f" Создано уроков по новому расписанию: {change.created}."
    return text


@login_required
@require_http_methods(["GET", "POST"])
def timetable_add(request: HttpRequest) -> HttpResponse:
    """Add a slot to a class's timetable from a date on."""
    school, year = _managed_year(request)
    school_class = _class_or_404(year, request.GET.get("class") or "0")
    if school_class is None:  # unreachable: an explicit id either matches or 404s
        raise Http404("Класс не найден.")
    form = TimetableSlotForm(
        request.POST if request.method == "POST" else None,
        school_class=school_class,
        works_saturday=school.works_saturday,
        prefix="add",
        initial={"valid_from": local_today(school.time_zone)},
    )
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            change = add_timetable_entry(
                data["assignment"],
                data["valid_from"],
                weekday=data["weekday"],
                lesson_number=data["lesson_number"],
                room=data["room"],
                regenerate_until=_generated_until(school_class),
            )
        except TimetableError as problem:
            logger.info("School %s timetable add rejected: %s", school.pk, problem)
            error = str(problem)
        else:
            messages.success(request, _change_message(change, data["valid_from"]))
            return redirect(_timetable_url(school_class, data["valid_from"]))
    context = {
        "school_class": school_class,
        "year": year,
        "form": form,
        "error": error,
        "back": _timetable_url(school_class, local_today(school.time_zone)),
    }
    status = 400 if form.is_bound else 200
    return render(request, "journal/timetable_add.html", context, status=status)


def _entry_or_404(school: School, entry_id: int) -> TimetableEntry:
    entry = (
        TimetableEntry.objects.filter(
            pk=entry_id, assignment__school_class__school=school
        )
        .select_related(
            "assignment__school_class__academic_year",
            "assignment__subject",
            "assignment__subgroup",
            "assignment__teacher",
        )
        .first()
    )
    if entry is None:
        raise Http404("Урок в расписании не найден.")
    return entry


def _lesson_counts(entry: TimetableEntry, from_date: datetime.date) -> dict[str, int]:
    """Count the entry's lessons before the date, and held and unheld after it."""
    held_filter = Q(~Q(topic="") | Q(has_marks=True) | Q(has_attendance=True))
    counts = (
        Lesson.objects.filter(timetable_entry=entry)
        .annotate(
            has_marks=Exists(Mark.objects.filter(lesson=OuterRef("pk"))),
            has_attendance=Exists(Attendance.objects.filter(lesson=OuterRef("pk"))),
        )
        .aggregate(
            before=Count("pk", filter=Q(date__lt=from_date)),
            held_after=Count("pk", filter=Q(date__gte=from_date) & held_filter),
            unheld_after=Count("pk", filter=Q(date__gte=from_date) & ~held_filter),
        )
    )
    return {name: int(value or 0) for name, value in counts.items()}


@login_required
@require_http_methods(["GET", "POST"])
def timetable_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Change, move or remove one timetable slot from a date on."""
    school, _year = _managed_year(request)
    entry = _entry_or_404(school, entry_id)
    school_class = entry.assignment.school_class

    today = local_today(school.time_zone)
    default_from = parse_iso_date(request.GET.get("date")) or today
    form = TimetableChangeForm(
        request.POST if request.method == "POST" else None,
        school_class=school_class,
        works_saturday=school.works_saturday,
        initial={
            "valid_from": max(default_from, entry.valid_from),
            "assignment": entry.assignment_id,
            "weekday": entry.weekday,
            "lesson_number": entry.lesson_number,
            "room": entry.room,
        },
    )
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            change = _apply_entry_change(entry, data)
        except TimetableError as problem:
            logger.info("Timetable entry %s change rejected: %s", entry.pk, problem)
            error = str(problem)
        else:
            messages.success(request, _change_message(change, data["valid_from"]))
            return redirect(_timetable_url(school_class, data["valid_from"]))

    shown_from = form.cleaned_data.get("valid_from") if form.is_bound else None
    shown_from = shown_from or max(default_from, entry.valid_from)
    context = {
        "entry": entry,
        "school_class": school_class,
        "form": form,
        "error": error,
        "counts_from": shown_from,
        "counts": _lesson_counts(entry, shown_from),
        "back": _timetable_url(school_class, shown_from),
    }
    status = 400 if form.is_bound else 200
    return render(request, "journal/timetable_entry.html", context, status=status)


def _apply_entry_change(entry: TimetableEntry, data: dict[str, Any]) -> TimetableChange:
    from_date: datetime.date = data["valid_from"]
    if data.get("remove"):
        return remove_timetable_entry(entry, from_date)
    last = entry.lessons.aggregate(Max("date"))["date__max"]
    return change_timetable_entry(
        entry,
        from_date,
        weekday=data["weekday"],
        lesson_number=data["lesson_number"],
        room=data["room"],
        assignment=data["assignment"],
        regenerate_until=last if isinstance(last, datetime.date) else None,
    )
