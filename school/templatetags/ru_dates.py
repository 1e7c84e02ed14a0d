"""Template filters for Russian dates and plural forms.

``{{ day|ru_weekday_date }}`` renders "понедельник, 30 ноября",
``{{ day|ru_day_month }}`` renders "30 ноября" (with the year when
``show_year`` is passed) and ``{{ count|ru_plural:"урок,урока,уроков" }}``
picks the word form for a number.
"""

from __future__ import annotations

import datetime

from django import template

register = template.Library()

WEEKDAYS = (
    "понедельник",
    "вторник",
    "среда",
    "четверг",
    "пятница",
    "суббота",
    "воскресенье",
)
WEEKDAYS_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
# Month names in the genitive case, as in "30 ноября".
MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


@register.filter
def ru_day_month(day: datetime.date | None, show_year: bool = False) -> str:
    if day is None:
        return ""
    text = f"{day.day} {MONTHS_GENITIVE[day.month - 1]}"
    if show_year:
        text += f" {day.year} г."
    return text


@register.filter
def ru_weekday(day: datetime.date | None) -> str:
    if day is None:
        return ""
    return WEEKDAYS[day.weekday()]


@register.filter
def ru_weekday_short(day: datetime.date | None) -> str:
    if day is None:
        return ""
    return WEEKDAYS_SHORT[day.weekday()]


@register.filter
def ru_weekday_date(day: datetime.date | None) -> str:
    if day is None:
        return ""
    return f"{WEEKDAYS[day.weekday()]}, {ru_day_month(day)}"


def plural_form(count: int, one: str, few: str, many: str) -> str:
    """Pick the Russian noun form for ``count``: 1 урок, 2 урока, 5 уроков."""
    count = abs(count)
    if count % 10 == 1 and count % 100 != 11:
        return one
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return few
    return many


@register.filter
def ru_plural(count: int | str | None, forms: str) -> str:
    """Render ``count`` with its noun form; ``forms`` is "урок,урока,уроков"."""
    try:
        number = int(count or 0)
    except (TypeError, ValueError):
        return str(count)
    one, few, many = (part.strip() for part in forms.split(","))
    return f"{number} {plural_form(number, one, few, many)}"
