"""Fixtures for journal and diary tests: a fixed "now" and class filling."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from school import models as school
from school.tests import factories as f

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
# Wednesday 2 December 2026, 10:00 in Moscow: inside the second quarter.
NOW = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=MOSCOW)
TODAY = NOW.date()
MONDAY = datetime.date(2026, 11, 30)


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> datetime.datetime:
    """Fix django.utils.timezone.now, so "today" does not depend on the clock."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW


def enroll_pupils(
    school_class: school.SchoolClass, count: int, **enrollment: Any
) -> list[school.Student]:
    pupils = f.StudentFactory.create_batch(count)
    for pupil in pupils:
        f.EnrollmentFactory.create(
            student=pupil, school_class=school_class, **enrollment
        )
    return pupils


def count_queries(action: Any) -> int:
    """Count the queries of ``action`` run with an empty cache.

    The header navigation is cached per user, so without clearing a second
    request would run one query fewer than the first.
    """
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        action()
    return len(context.captured_queries)


def page_data(response: Any) -> dict[str, str]:
    """Return the POST a browser sends for the lesson page left unchanged."""
    data: dict[str, str] = {}
    forms = [response.context["form"]]
    for row in response.context["rows"]:
        forms.append(row.form)
        forms.extend(row.mark_forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is False:
                continue  # an unticked checkbox is not sent
            if value is None:
                value = ""
            if isinstance(value, datetime.date):
                value = value.isoformat()
            data[form.add_prefix(name)] = str(value)
    return data
