"""Russian date and plural filters used by the diary and journal templates."""

from __future__ import annotations

import datetime

import pytest

from school.templatetags.ru_dates import (
    ru_day_month,
    ru_plural,
    ru_weekday_date,
    ru_weekday_short,
)


def test_weekday_date_in_genitive():
    assert ru_weekday_date(datetime.date(2026, 11, 30)) == "понедельник, 30 ноября"
    assert ru_weekday_date(datetime.date(2027, 3, 6)) == "суббота, 6 марта"


def test_day_month_with_year():
    day = datetime.date(2026, 12, 5)

    assert ru_day_month(day) == "5 декабря"
    assert ru_day_month(day, True) == "5 декабря 2026 г."
    assert ru_weekday_short(day) == "сб"


def test_missing_date_renders_empty():
    assert ru_weekday_date(None) == ""
    assert ru_day_month(None) == ""


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 урок"),
        (2, "2 урока"),
        (4, "4 урока"),
        (5, "5 уроков"),
        (11, "11 уроков"),
        (12, "12 уроков"),
        (14, "14 уроков"),
        (21, "21 урок"),
        (22, "22 урока"),
        (111, "111 уроков"),
        (0, "0 уроков"),
    ],
)
def test_plural_forms(count, expected):
    assert ru_plural(count, "урок,урока,уроков") == expected
