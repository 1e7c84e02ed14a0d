"""Weighted averages, suggested period marks and period membership."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from journal.grading import (
    Average,
    period_of,
    round_for_display,
    suggested_mark,
    validate_mark_date,
    weighted_average,
    whole_days_missed,
)


@dataclass
class M:
    score: int | None
    weight: int


@dataclass
class Span:
    start_date: datetime.date
    end_date: datetime.date
    grade_from: int = 1
    grade_to: int = 9


@dataclass
class School:
    threshold_five: Decimal = Decimal("4.5")
    threshold_four: Decimal = Decimal("3.5")
    threshold_three: Decimal = Decimal("2.5")


Q1 = Span(datetime.date(2026, 9, 1), datetime.date(2026, 10, 25))
Q2 = Span(datetime.date(2026, 11, 9), datetime.date(2026, 12, 28))
AUTUMN = Span(datetime.date(2026, 10, 26), datetime.date(2026, 11, 8))
FIRST_GRADE_FEBRUARY = Span(
    datetime.date(2027, 2, 15), datetime.date(2027, 2, 21), grade_from=1, grade_to=1
)


def test_weighted_average_is_exact():
    average = weighted_average([M(5, 1), M(3, 5), M(4, 3)])

    assert average.value == Decimal(32) / Decimal(9)
    assert average.count == 3
    assert average.weight_total == 9
    assert average.display == "3,56"


def test_pass_fail_marks_not_averaged():
    average = weighted_average([M(None, 1), M(4, 2), M(5, 2)])

    assert average.value == Decimal("4.5")
    assert average.count == 2
    assert average.display == "4,50"


def test_no_numeric_marks_gives_no_average():
    average = weighted_average([M(None, 1)])

    assert average.value is None
    assert average.display == "—"


def test_display_rounds_half_up_once():
    assert round_for_display(Decimal("2.345")) == Decimal("2.35")
    assert round_for_display(Decimal("4.445")) == Decimal("4.45")
    assert round_for_display(Decimal("3.994")) == Decimal("3.99")


def test_suggested_mark_default_half_up():
    assert (
        suggested_mark(weighted_average([M(5, 1), M(4, 1), M(5, 2)]), School()) == "5"
    )
    # 4.4999… stays a 4: the unrounded average is compared.
    just_below = Average(Decimal("4.4999"), 3, 10)
    assert suggested_mark(just_below, School()) == "4"


def test_suggested_mark_by_school_thresholds():
    strict = School(Decimal("4.65"), Decimal("3.65"), Decimal("2.65"))

    assert suggested_mark(Average(Decimal("4.64"), 3, 3), strict) == "4"
    assert suggested_mark(Average(Decimal("4.65"), 3, 3), strict) == "5"
    assert suggested_mark(Average(Decimal("2.64"), 3, 3), strict) == "2"


def test_fewer_than_three_marks_not_certified():
    assert suggested_mark(weighted_average([M(5, 5), M(5, 5)]), School()) == "н/а"


def test_period_contains_both_end_dates():
    assert period_of([Q1, Q2], [AUTUMN], 5, datetime.date(2026, 11, 9)) is Q2
    assert period_of([Q1, Q2], [AUTUMN], 5, datetime.date(2026, 12, 28)) is Q2
    assert period_of([Q1, Q2], [AUTUMN], 5, datetime.date(2026, 12, 29)) is None


def test_holiday_date_belongs_to_no_period():
    assert period_of([Q1, Q2], [AUTUMN], 5, datetime.date(2026, 10, 30)) is None


def test_first_grade_holiday_only_for_first_grade():
    spring = Span(datetime.date(2027, 1, 12), datetime.date(2027, 3, 20))
    day = datetime.date(2027, 2, 16)

    assert period_of([spring], [FIRST_GRADE_FEBRUARY], 1, day) is None
    assert period_of([spring], [FIRST_GRADE_FEBRUARY], 5, day) is spring


def test_mark_in_holiday_rejected():
    with pytest.raises(ValidationError) as error:
        validate_mark_date([Q1, Q2], [AUTUMN], 5, datetime.date(2026, 11, 2))

    assert error.value.code == "holiday"
    assert "02.11.2026" in error.value.messages[0]


def test_mark_on_period_bounds_accepted():
    validate_mark_date([Q1, Q2], [AUTUMN], 5, datetime.date(2026, 11, 9))
    validate_mark_date([Q1, Q2], [AUTUMN], 5, datetime.date(2026, 12, 28))


def test_whole_day_needs_every_held_lesson_missed():
    tuesday, wednesday = datetime.date(2026, 12, 1), datetime.date(2026, 12, 2)

    days = whole_days_missed(
        {tuesday: {1, 2}, wednesday: {3}}, {tuesday: {1, 2}, wednesday: {3, 4}}
    )

    assert days == [tuesday]
