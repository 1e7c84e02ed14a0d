"""Calendar helpers shared by the journal and the diary.

"Today" and "this week" are computed in the school's time zone, because a
school in Yekaterinburg starts its day two hours before the server in Moscow.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.utils import timezone

SCHOOL_DAYS_PER_WEEK = 6
# Dates outside this range in a URL are treated as invalid, which also keeps
# "previous week" arithmetic away from datetime.date.min and max.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2099, 12, 31)


def local_today(time_zone: str | None) -> datetime.date:
    """Return the current date in ``time_zone`` (the server's zone if unknown)."""
    try:
        zone = zoneinfo.ZoneInfo(time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return timezone.now().astimezone(zone).date()


def parse_iso_date(value: str | None) -> datetime.date | None:
    """Parse ``YYYY-MM-DD``; return None for a missing, invalid or far-off date."""
    if not value:
        return None
    try:
        day = datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        return None
    return day


def week_start(day: datetime.date) -> datetime.date:
    """Return the Monday of the week that contains ``day``."""
    return day - datetime.timedelta(days=day.weekday())


def school_week(monday: datetime.date) -> list[datetime.date]:
    """Return the dates from Monday to Saturday of the week starting ``monday``."""
    return [monday + datetime.timedelta(days=n) for n in range(SCHOOL_DAYS_PER_WEEK)]
