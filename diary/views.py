"""The diary pages for guardians and students.

Every page resolves the child through :func:`choose_child` (a 404
for anyone else's child) and shows the explanation page while the diary is
closed, so no page can forget either check.
"""

from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Callable
from typing import Any, Concatenate

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from diary import caching, calendar, notices, selectors
from diary.access import DiaryChild, choose_child
from diary.charts import marks_chart
from eschool.context_processors import LOW_VISION_COOKIE
from eschool.numbers import parse_id
from journal.dates import parse_iso_date, week_start
from school.models import SchoolClass

logger = logging.getLogger(__name__)

Context = dict[str, Any]
LOW_VISION_MAX_AGE = 365 * 24 * 3600
PageView = Callable[Concatenate[HttpRequest, DiaryChild, Context, ...], HttpResponse]


def diary_page(
    switch_to: str,
) -> Callable[[PageView], Callable[..., HttpResponse]]:
    """Resolve the child, explain a closed diary, then run the page view.

    ``switch_to`` is the URL name the child switcher links to, so a guardian
    switching children stays on the same kind of page.
    """

    def decorator(view: PageView) -> Callable[..., HttpResponse]:
        @login_required
        @functools.wraps(view)
        def wrapper(
            request: HttpRequest, student_id: int | None = None, **kwargs: Any
        ) -> HttpResponse:
            children, stamps = caching.cached_children(request.user)
            child = choose_child(request.user, children, student_id)
            # The header's navigation reuses the user's stamp read here.
            request.cache_stamps = stamps  # type: ignore[attr-defined]
            if child is None:
                return render(request, "diary/no_children.html")
            context: Context = {
                "child": child,
                "children": children,
                "switch_to": switch_to,
                "cache_stamps": stamps,
            }
            if not child.is_open:
                return render(request, "diary/closed.html", context)
            return view(request, child, context, **kwargs)

        return wrapper

    return decorator


def _current_class(child: DiaryChild) -> SchoolClass:
    enrollment = child.enrollment
    if enrollment is None:  # an open diary always has an enrollment
        raise Http404("Ученик не зачислен.")
    return enrollment.school_class


def _chosen_day(request: HttpRequest, child: DiaryChild) -> datetime.date:
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
    return day


def _chosen_range(
    request: HttpRequest, child: DiaryChild
) -> tuple[datetime.date, datetime.date]:
    """Return the dates from ``start`` to ``end``, or the school year up to today."""
    year = _current_class(child).academic_year
    default = (year.start_date, min(child.today, year.end_date))
    raw_start, raw_end = request.GET.get("start"), request.GET.get("end")
    if not raw_start and not raw_end:
        return default
    start, end = parse_iso_date(raw_start), parse_iso_date(raw_end)
    if start is None or end is None:
        messages.warning(
            request,
            "Даты периода не распознаны: показан учебный год по сегодняшний день. "
            "Укажите даты в виде ГГГГ-ММ-ДД.",
        )
        return default
    if start > end:
        messages.warning(
            request,
            "Начало периода позже его окончания: показан учебный год "
            "по сегодняшний день.",
        )
        return default
    return start, end


@diary_page("diary:week")
def week(request: HttpRequest, child: DiaryChild, context: Context) -> HttpResponse:
    """Show one child's lessons, marks and attendance from Monday to Saturday."""
    day = _chosen_day(request, child)
    monday = week_start(day)
    days_html, built = caching.week_days_html(child, monday, context["cache_stamps"])

    context.update(
        {
            # The whole week when it was built for this request, else its bounds.
            "week": built or selectors.WeekBounds(monday),
            "week_days_html": mark_safe(days_html),  # noqa: S308 - rendered by us
            "chosen_date": day,
            "page": "week",
        }
    )
    return render(request, "diary/week.html", context)


@diary_page("diary:schedule")
def schedule(request: HttpRequest, child: DiaryChild, context: Context) -> HttpResponse:
    """Show the timetable in force in the chosen week."""
    day = _chosen_day(request, child)
    timetable = selectors.weekly_schedule(child.student, week_start(day))

    context.update({"week": timetable, "chosen_date": day, "page": "schedule"})
    return render(request, "diary/schedule.html", context)


@diary_page("diary:attendance")
def attendance(
    request: HttpRequest, child: DiaryChild, context: Context
) -> HttpResponse:
    """List every missed or late lesson of the chosen period."""
    first, last = _chosen_range(request, child)
    records = selectors.attendance_records(child.student, first, last)

    context.update(_range_context(child, first, last))
    context.update({"records": records, "page": "attendance"})
    return render(request, "diary/attendance.html", context)


@diary_page("diary:missed")
def missed(request: HttpRequest, child: DiaryChild, context: Context) -> HttpResponse:
    """Sum up missed lessons per subject and code, and whole days missed."""
    first, last = _chosen_range(request, child)
    summary = selectors.missed_summary(child.student, first, last)

    context.update(_range_context(child, first, last))
    context.update({"summary": summary, "page": "missed"})
    return render(request, "diary/missed.html", context)


def _range_context(
    child: DiaryChild, first: datetime.date, last: datetime.date
) -> Context:
    school_class = _current_class(child)
    return {
        "first": first,
        "last": last,
        "periods": selectors.year_periods(school_class),
        "school_year": school_class.academic_year,
    }


@diary_page("diary:teachers")
def teachers(request: HttpRequest, child: DiaryChild, context: Context) -> HttpResponse:
    """List each subject with its teachers, and the class teacher."""
    school_class = _current_class(child)
    rows = selectors.subject_teachers(child.student, school_class)

    context.update({"rows": rows, "school_class": school_class, "page": "teachers"})
    return render(request, "diary/teachers.html", context)


@diary_page("diary:subjects")
def subjects(request: HttpRequest, child: DiaryChild, context: Context) -> HttpResponse:
    """List the child's subjects, each linking to its marks."""
    school_class = _current_class(child)

    context.update(
        {
            "subjects": selectors.pupil_subjects(child.student, school_class),
            "page": "marks",
        }
    )
    return render(request, "diary/subjects.html", context)


@diary_page("diary:subjects")
def subject_marks(
    request: HttpRequest, child: DiaryChild, context: Context, subject_id: int
) -> HttpResponse:
    """Show every mark of one subject with the period and year averages."""
    school_class = _current_class(child)
    subjects = selectors.pupil_subjects(child.student, school_class)
    subject = next((s for s in subjects if s.pk == subject_id), None)
    if subject is None:
        raise Http404("Предмет не найден.")
    raw_period = request.GET.get("period", "")
    period_id = parse_id(raw_period)
    result = selectors.subject_marks(
        child.student, subject, school_class, period_id, child.today
    )

    context.update(
        {
            "result": result,
            "subjects": subjects,
            "chart": marks_chart(result.marks, result.year),
            "page": "marks",
        }
    )
    return render(request, "diary/subject_marks.html", context)


@diary_page("diary:finals")
def finals(request: HttpRequest, child: DiaryChild, context: Context) -> HttpResponse:
    """Show the period, year, exam and final marks of the current year."""
    table = selectors.current_final_marks(child.student, _current_class(child))

    context.update({"table": table, "page": "finals"})
    return render(request, "diary/finals.html", context)


@diary_page("diary:past_finals")
def past_finals(
    request: HttpRequest, child: DiaryChild, context: Context
) -> HttpResponse:
    """Show the final marks of every earlier school year."""
    year = _current_class(child).academic_year
    tables = selectors.past_final_marks(child.student, year, list(child.enrollments))

    context.update({"tables": tables, "page": "past_finals"})
    return render(request, "diary/past_finals.html", context)


@diary_page("diary:history")
def history(request: HttpRequest, child: DiaryChild, context: Context) -> HttpResponse:
    """List the marks that were changed or removed this school year."""
    year = _current_class(child).academic_year
    changes = selectors.mark_changes(child.student, year.start_date)

    context.update({"changes": changes, "page": "history"})
    return render(request, "diary/history.html", context)


@require_POST
def low_vision(request: HttpRequest) -> HttpResponse:
    """Switch the version for visually impaired users on or off."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    if request.POST.get("mode") == "on":
        response.set_cookie(
            LOW_VISION_COOKIE, "1", max_age=LOW_VISION_MAX_AGE, samesite="Lax"
        )
    else:
        response.delete_cookie(LOW_VISION_COOKIE, samesite="Lax")
    return response


@diary_page("diary:calendar")
def calendar_settings(
    request: HttpRequest, child: DiaryChild, context: Context
) -> HttpResponse:
    """Issue or revoke the private calendar address, and switch mark e-mails."""
    user = request.user
    if not isinstance(user, AbstractBaseUser):  # login_required has run
        raise Http404("Страница не найдена.")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "renew":
            calendar.renew_feed(user, child.student)
            messages.success(request, "Создана новая ссылка на календарь.")
        elif action == "revoke":
            calendar.revoke_feed(user, child.student)
            messages.success(request, "Ссылка на календарь отозвана.")
        elif action in ("notices_on", "notices_off"):
            notices.set_mark_notices(user, child.student, action == "notices_on")
            messages.success(request, "Настройка уведомлений сохранена.")
        else:
            logger.info("Unknown calendar action from user %s", request.user.pk)
            messages.error(request, "Неизвестное действие: попробуйте ещё раз.")
        return HttpResponseRedirect(request.path)

    feed = calendar.active_feed(user, child.student)
    feed_url = (
        request.build_absolute_uri(reverse("diary:calendar_feed", args=[feed.token]))
        if feed
        else None
    )
    context.update(
        {
            "feed": feed,
            "feed_url": feed_url,
            "notice": notices.mark_notice(user, child.student),
            "confirmed_email": notices.confirmed_email(user),
            "page": "calendar",
        }
    )
    return render(request, "diary/calendar.html", context)


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Serve the iCalendar file of a private address; 404 once it is closed."""
    opened = calendar.open_feed(token)
    if opened is None:
        raise Http404("Календарь не найден.")
    feed, today, time_zone = opened
    body = calendar.feed_calendar(feed.student, today, time_zone)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    return response


def health(request: HttpRequest) -> HttpResponse:
    """Return "ok" after one database query, for load balancers and benchmarks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
