"""The school calendar: academic years, periods, holidays and bells.

The dates follow the usual pattern of Russian schools and are computed from
the year, so the demo works for any school year. The calendar is stored as
rows (Period, Holiday), which the school can change later.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from school import models

ONE_DAY = datetime.timedelta(days=1)

# Bell schedule: 40-minute lessons, 10-minute breaks and two 20-minute
# breaks for meals after the second and the third lesson.
BELLS: list[tuple[str, str]] = [
    ("08:30", "09:10"),
    ("09:20", "10:00"),
    ("10:20", "11:00"),
    ("11:20", "12:00"),
    ("12:10", "12:50"),
    ("13:00", "13:40"),
    ("13:50", "14:30"),
]


@dataclass
class YearCalendar:
    """One academic year with its periods and holidays, as saved rows."""

    year: models.AcademicYear
    periods: list[models.Period] = field(default_factory=list)
    holidays: list[models.Holiday] = field(default_factory=list)

    def is_school_day(self, day: datetime.date, grade: int) -> bool:
        """Tell whether ``grade`` has lessons on ``day`` (five-day week)."""
        if day.weekday() >= 5:
            return False
        if not self.year.start_date <= day <= self.year.end_date:
            return False
        return not any(
            holiday.grade_from <= grade <= holiday.grade_to
            and holiday.start_date <= day <= holiday.end_date
            for holiday in self.holidays
        )

    def period_for(self, day: datetime.date, grade: int) -> models.Period | None:
        for period in self.periods:
            if period.grade_from <= grade <= period.grade_to and period.contains(day):
                return period
        return None

    def periods_for(self, grade: int) -> list[models.Period]:
        return [p for p in self.periods if p.grade_from <= grade <= p.grade_to]


def school_year_start(today: datetime.date) -> int:
    """Return the calendar year in which the school year containing ``today``
    started (a school year runs from 1 September to 31 August)."""
    return today.year if today.month >= 9 else today.year - 1


def _weekday_on_or_after(day: datetime.date, weekday: int) -> datetime.date:
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def _weekday_on_or_before(day: datetime.date) -> datetime.date:
    """Return ``day`` itself on Monday to Friday, otherwise the Friday before."""
    return day - datetime.timedelta(days=max(0, day.weekday() - 4))


def _public_holiday(day: datetime.date) -> datetime.date:
    """Move a public holiday that falls on a weekend to the next Monday, as the
    Labour Code (article 112) does for holidays outside January."""
    if day.weekday() >= 5:
        return _weekday_on_or_after(day, 0)
    return day


def build_calendar(
    school: models.School, start_year: int, today: datetime.date
) -> YearCalendar:
    """Create the academic year that starts on 1 September ``start_year``.

    Quarters for grades 1–9 and half-years for grades 10–11; autumn holidays
    of nine days around 4 November, winter holidays until the second Sunday
    of January, spring holidays in late March, an extra February week for
    grade 1, and the public holidays that fall on school days. Periods that
    ended before ``today`` are closed three days after their end (or today).
    """
    start = datetime.date(start_year, 9, 1)
    end = datetime.date(start_year + 1, 5, 31)
    year = models.AcademicYear.objects.create(
        school=school,
        name=f"{start_year}/{start_year + 1}",
        start_date=start,
        end_date=end,
    )

    # Autumn holidays: the Saturday-to-Sunday nine days that contain 4 November.
    autumn_start = _weekday_on_or_after(datetime.date(start_year, 10, 27), 5)
    autumn_end = autumn_start + datetime.timedelta(days=8)
    q1_end = autumn_start - ONE_DAY
    q2_start = autumn_end + ONE_DAY

    # Winter holidays: from the day after the second quarter to the Sunday
    # between 8 and 14 January.
    q2_end = _weekday_on_or_before(datetime.date(start_year, 12, 28))
    winter_start = q2_end + ONE_DAY
    winter_end = _weekday_on_or_after(datetime.date(start_year + 1, 1, 8), 6)
    q3_start = winter_end + ONE_DAY

    # Spring holidays: nine days from the Saturday between 19 and 25 March.
    spring_start = _weekday_on_or_after(datetime.date(start_year + 1, 3, 19), 5)
    spring_end = spring_start + datetime.timedelta(days=8)
    q3_end = spring_start - ONE_DAY
    q4_start = spring_end + ONE_DAY
    q4_end = _weekday_on_or_before(datetime.date(start_year + 1, 5, 26))

    # The extra week for first-graders: nine days from the Saturday between
    # 13 and 19 February.
    february_start = _weekday_on_or_after(datetime.date(start_year + 1, 2, 13), 5)
    february_end = february_start + datetime.timedelta(days=8)

    def closed_on(period_end: datetime.date) -> datetime.date | None:
        if period_end >= today:
            return None
        return min(period_end + datetime.timedelta(days=3), today)

    quarters = [
        (start, q1_end),
        (q2_start, q2_end),
        (q3_start, q3_end),
        (q4_start, q4_end),
    ]
    halves = [(start, q2_end), (q3_start, q4_end)]
    periods = [
        models.Period(
            academic_year=year,
            kind=models.Period.Kind.QUARTER,
            number=number,
            grade_from=1,
            grade_to=9,
            start_date=first,
            end_date=last,
            closed_on=closed_on(last),
        )
        for number, (first, last) in enumerate(quarters, start=1)
    ] + [
        models.Period(
            academic_year=year,
            kind=models.Period.Kind.HALF_YEAR,
            number=number,
            grade_from=10,
            grade_to=11,
            start_date=first,
            end_date=last,
            closed_on=closed_on(last),
        )
        for number, (first, last) in enumerate(halves, start=1)
    ]
    models.Period.objects.bulk_create(periods)

    holidays = [
        models.Holiday(
            academic_year=year, name="Осенние каникулы",
            start_date=autumn_start, end_date=autumn_end,
        ),
        models.Holiday(
            academic_year=year, name="Зимние каникулы",
            start_date=winter_start, end_date=winter_end,
        ),
        models.Holiday(
            academic_year=year, name="Дополнительные каникулы для первоклассников",
            start_date=february_start, end_date=february_end, grade_from=1, grade_to=1,
        ),
        models.Holiday(
            academic_year=year, name="Весенние каникулы",
            start_date=spring_start, end_date=spring_end,
        ),
    ]  # fmt: skip
    public_days = [
        ("День защитника Отечества", datetime.date(start_year + 1, 2, 23)),
        ("Международный женский день", datetime.date(start_year + 1, 3, 8)),
        ("Праздник Весны и Труда", datetime.date(start_year + 1, 5, 1)),
        ("День Победы", datetime.date(start_year + 1, 5, 9)),
    ]
    for name, day in public_days:
        observed = _public_holiday(day)
        if any(h.start_date <= observed <= h.end_date for h in holidays):
            continue
        holidays.append(
            models.Holiday(
                academic_year=year, name=name, start_date=observed, end_date=observed
            )
        )
    models.Holiday.objects.bulk_create(holidays)

    models.Bell.objects.bulk_create(
        models.Bell(
            academic_year=year,
            lesson_number=number,
            starts_at=datetime.time.fromisoformat(starts),
            ends_at=datetime.time.fromisoformat(ends),
        )
        for number, (starts, ends) in enumerate(BELLS, start=1)
    )
    return YearCalendar(year=year, periods=periods, holidays=holidays)


def school_days(
    calendar: YearCalendar, grade: int, first: datetime.date, last: datetime.date
) -> list[datetime.date]:
    days = []
    day = first
    while day <= last:
        if calendar.is_school_day(day, grade):
            days.append(day)
        day += ONE_DAY
    return days
