"""Marks arithmetic shared by the journal and the diary.

Averages are weighted and exact (Decimal); they are rounded once, for
display, to two decimals half up. Only numeric marks count. A date belongs to
a period when it lies between the period's end dates, both included; a date
inside the holidays of the pupil's grade belongs to no period.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, TypeVar

from django.core.exceptions import ValidationError

NOT_CERTIFIED = "н/а"
# With fewer numeric marks than this in a period the pupil is not certified.
MIN_MARKS_FOR_PERIOD = 3
TWO_PLACES = Decimal("0.01")


class WeightedMark(Protocol):
    @property
    def score(self) -> int | None: ...

    @property
    def weight(self) -> int: ...


class DateRange(Protocol):
    @property
    def start_date(self) -> datetime.date: ...

    @property
    def end_date(self) -> datetime.date: ...


class GradeRange(DateRange, Protocol):
    @property
    def grade_from(self) -> int: ...

    @property
    def grade_to(self) -> int: ...


class Thresholds(Protocol):
    @property
    def threshold_five(self) -> Decimal: ...

    @property
    def threshold_four(self) -> Decimal: ...

    @property
    def threshold_three(self) -> Decimal: ...


P = TypeVar("P", bound=GradeRange)


@dataclass(frozen=True)
class Average:
    """An exact weighted average with the number of marks behind it."""

    value: Decimal | None
    count: int
    weight_total: int

    @property
    def display(self) -> str:
        """The average to two decimals, rounded half up, with a comma."""
        if self.value is None:
            return "—"
        return str(round_for_display(self.value)).replace(".", ",")


def round_for_display(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def weighted_average(marks: Iterable[WeightedMark]) -> Average:
    """Return the exact weighted average of the numeric marks.

    Pass / fail marks (no score) are skipped; no numeric mark gives None.
    """
    total = 0
    weights = 0
    count = 0
    for mark in marks:
        if mark.score is None:
            continue
        total += mark.score * mark.weight
        weights += mark.weight
        count += 1
    if not weights:
        return Average(value=None, count=0, weight_total=0)
    return Average(
        value=Decimal(total) / Decimal(weights), count=count, weight_total=weights
    )


def suggested_mark(average: Average, school: Thresholds) -> str:
    """Return the period mark the average suggests by the school's thresholds.

    «н/а» with fewer than three numeric marks; the unrounded average is
    compared, so 4.4999 stays a 4 at the default threshold of 4.5.
    """
    if average.value is None or average.count < MIN_MARKS_FOR_PERIOD:
        return NOT_CERTIFIED
    value = average.value
    if value >= Decimal(school.threshold_five):
        return "5"
    if value >= Decimal(school.threshold_four):
        return "4"
    if value >= Decimal(school.threshold_three):
        return "3"
    return "2"


def applies_to_grade(item: GradeRange, grade: int) -> bool:
    return item.grade_from <= grade <= item.grade_to


def holiday_on(
    holidays: Iterable[GradeRange], grade: int, day: datetime.date
) -> GradeRange | None:
    for holiday in holidays:
        if applies_to_grade(holiday, grade) and (
            holiday.start_date <= day <= holiday.end_date
        ):
            return holiday
    return None


def period_of(
    periods: Iterable[P],
    holidays: Iterable[GradeRange],
    grade: int,
    day: datetime.date,
) -> P | None:
    """Return the grade's period that contains ``day``; None in holidays."""
    if holiday_on(holidays, grade, day) is not None:
        return None
    for period in periods:
        if applies_to_grade(period, grade) and (
            period.start_date <= day <= period.end_date
        ):
            return period
    return None


def validate_mark_date(
    periods: Sequence[GradeRange],
    holidays: Sequence[GradeRange],
    grade: int,
    day: datetime.date,
) -> None:
    """Raise ValidationError when no mark may be dated ``day`` for the grade."""
    holiday = holiday_on(holidays, grade, day)
    if holiday is not None:
        raise ValidationError(
            "Дата %(date)s приходится на каникулы: отметку нельзя поставить.",
            code="holiday",
            params={"date": day.strftime("%d.%m.%Y")},
        )
    if period_of(periods, holidays, grade, day) is None:
        raise ValidationError(
            "Дата %(date)s не входит ни в один учебный период.",
            code="outside_periods",
            params={"date": day.strftime("%d.%m.%Y")},
        )


def in_range(item_date: datetime.date, bounds: DateRange) -> bool:
    return bounds.start_date <= item_date <= bounds.end_date


# Attendance codes that count as a missed lesson; «ОП» (late) does not.
ABSENCE_CODES = ("Н", "Б", "УП")


def whole_days_missed(
    absent_by_day: dict[datetime.date, set[int]],
    held_by_day: dict[datetime.date, set[int]],
) -> list[datetime.date]:
    """Days on which every lesson held for the pupil was missed.

    ``absent_by_day`` maps a date to the ids of lessons missed that day,
    ``held_by_day`` to the ids of all lessons held for the pupil that day.
    """
    return sorted(
        day
        for day, absent in absent_by_day.items()
        if held_by_day.get(day) and held_by_day[day] <= absent
    )
