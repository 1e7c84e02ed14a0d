"""A small SVG chart of a pupil's marks over the school year.

Rendered on the server, so it shows without JavaScript. The chart is
decorative next to the table of the same marks; its title and description
state what it shows for screen readers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from journal.models import Mark
from school.models import AcademicYear

WIDTH = 600
HEIGHT = 180
LEFT = 32
RIGHT = 12
TOP = 12
BOTTOM = 28
SCORES = (1, 2, 3, 4, 5)
MONTH_LABELS = (
    "янв",
    "фев",
    "мар",
    "апр",
    "май",
    "июн",
    "июл",
    "авг",
    "сен",
    "окт",
    "ноя",
    "дек",
)


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    score: int
    day: datetime.date


def _x(day: datetime.date, year: AcademicYear) -> float:
    span = max((year.end_date - year.start_date).days, 1)
    offset = min(max((day - year.start_date).days, 0), span)
    return round(LEFT + (WIDTH - LEFT - RIGHT) * offset / span, 1)


def _y(score: int) -> float:
    usable = HEIGHT - TOP - BOTTOM
    return round(TOP + usable * (5 - score) / 4, 1)


def chart_points(marks: list[Mark], year: AcademicYear) -> list[ChartPoint]:
    return [
        ChartPoint(
            _x(mark.lesson.date, year), _y(mark.score), mark.score, mark.lesson.date
        )
        for mark in marks
        if mark.score is not None
    ]


def _month_starts(year: AcademicYear) -> list[datetime.date]:
    day = year.start_date.replace(day=1)
    starts = []
    while day <= year.end_date:
        if day >= year.start_date:
            starts.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return starts


def marks_chart(marks: list[Mark], year: AcademicYear) -> SafeString | None:
    """Return the SVG markup, or None when there is no numeric mark."""
    points = chart_points(marks, year)
    if not points:
        return None
    grid = format_html_join(
        "",
        '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
        ((LEFT, _y(s), WIDTH - RIGHT, _y(s), LEFT - 6, _y(s) + 4, s) for s in SCORES),
    )
    months = format_html_join(
        "",
        '<text class="chart-label" x="{}" y="{}">{}</text>',
        (
            (_x(day, year), HEIGHT - 8, MONTH_LABELS[day.month - 1])
            for day in _month_starts(year)
        ),
    )
    line = " ".join(f"{p.x},{p.y}" for p in points)
    dots = format_html_join(
        "",
        '<circle class="chart-dot" cx="{}" cy="{}" r="4"/>',
        ((p.x, p.y) for p in points),
    )
    count = len(points)
    return format_html(
        '<svg class="marks-chart" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="chart-title chart-desc" '
        'preserveAspectRatio="xMidYMid meet">'
        '<title id="chart-title">График отметок за учебный год</title>'
        '<desc id="chart-desc">Отметок на графике: {}. Ось по вертикали — '
        "отметка от 1 до 5, по горизонтали — месяцы учебного года. Все отметки "
        "перечислены в таблице ниже.</desc>"
        '{}{}<polyline class="chart-line" points="{}"/>{}</svg>',
        WIDTH,
        HEIGHT,
        count,
        grid,
        months,
        line,
        dots,
    )
