"""Caches of the diary keyed by the stamps of what they show.

Database triggers move a :class:`diary.models.CacheStamp` on every change to
the rows a cached value was built from, whatever code made the change. Each
key or entry carries the stamps it was built under, so a change makes the old
entry unreachable instead of deleting it, and entries expire unread.

Two values are cached:

- a user's diary children with their access state (who may open which
  diary), checked against the stamps of the user and of the children's
  classes and schools. The access state depends on the date, so an entry is
  rebuilt within the hour at the latest;
- the rendered days of a pupil's week, under the stamps of the pupil, their
  classes that week and their schools.

One query reads every stamp a diary page needs. Stamps are read before the
data they cover, or in the same snapshot, so an entry is never newer-keyed
than its data.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connections, router, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from diary import selectors
from diary.access import DiaryChild, diary_children
from diary.models import CacheStamp
from journal.dates import school_week

# Entries never go stale (a change moves the key), so the timeout only frees
# the memory of values nobody reads again.
WEEK_TIMEOUT_SECONDS = 6 * 3600
CHILDREN_TIMEOUT_SECONDS = 3600
# Raise when a cached value's shape or template changes meaning, so that
# entries written by the previous release are not read.
KEY_VERSION = 1
WEEK_TEMPLATE = "diary/includes/week_days.html"

Scope = CacheStamp.Scope
StampKey = tuple[str, int]
# Moved by a TRUNCATE of any watched table, so part of every key.
GLOBAL_KEY: StampKey = (Scope.GLOBAL, 0)


@dataclass(frozen=True)
class Stamps:
    """Stamp values read in one query. A key read without a row has the value 0."""

    values: dict[StampKey, int]
    read: frozenset[StampKey]

    def covers(self, key: StampKey) -> bool:
        return key in self.read

    def of(self, keys: Iterable[StampKey]) -> tuple[tuple[str, int, int], ...]:
        return tuple((scope, pk, self.values.get((scope, pk), 0)) for scope, pk in keys)


def read_stamps(keys: Iterable[StampKey]) -> Stamps:
    """Read the stamps of ``keys`` in one query."""
    read = frozenset(keys)
    if not read:
        return Stamps({}, read)
    # Plain SQL: this query runs on every diary page, and building it through
    # the ORM cost more than running it. The two ANY conditions select a
    # superset of the keys, which the comprehension below trims.
    table = CacheStamp._meta.db_table
    alias = router.db_for_read(CacheStamp)
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT scope, object_id, value FROM {table} "  # noqa: S608 - model's table
            "WHERE scope = ANY(%s) AND object_id = ANY(%s)",
            [sorted({scope for scope, _ in read}), sorted({pk for _, pk in read})],
        )
        rows = cursor.fetchall()
    values = {(scope, pk): value for scope, pk, value in rows if (scope, pk) in read}
    return Stamps(values, read)


def _children_keys(user_pk: int, children: list[DiaryChild]) -> list[StampKey]:
    """Return the stamps an entry of children depends on, in a fixed order."""
    keys: set[StampKey] = {(Scope.USER, user_pk), GLOBAL_KEY}
    for child in children:
        keys.add((Scope.PUPIL, child.student.pk))
        for enrollment in child.enrollments:
            keys.add((Scope.CLASS, enrollment.school_class_id))
            keys.add((Scope.SCHOOL, enrollment.school_class.school_id))
        if child.school is not None:
            keys.add((Scope.SCHOOL, child.school.pk))
    return sorted(keys)


def _children_key(user_pk: int) -> str:
    # Access depends on the school's date. Russian time zones differ from UTC
    # by whole hours, so every school's date is constant within a UTC hour.
    hour = timezone.now().strftime("%Y%m%d%H")
    return f"diary-children:{KEY_VERSION}:{user_pk}:{hour}"


def _build_children(user: AbstractBaseUser) -> tuple[list[DiaryChild], Stamps]:
    """Compute the children and read their stamps in one snapshot."""
    alias = router.db_for_read(CacheStamp)
    connection = connections[alias]
    if connection.in_atomic_block:
        # The surrounding transaction has decided the isolation level, which
        # cannot change after its first query.
        children = diary_children(user)
        return children, read_stamps(_children_keys(user.pk, children))
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        children = diary_children(user)
        stamps = read_stamps(_children_keys(user.pk, children))
    return children, stamps


def cached_children(
    user: AbstractBaseUser | AnonymousUser,
) -> tuple[list[DiaryChild], Stamps]:
    """Return the user's diary children and the stamps read for them.

    A hit runs one query (the stamps); a miss runs the access check's four
    queries and the stamps' query in one repeatable-read snapshot.
    """
    if not isinstance(user, AbstractBaseUser):
        return [], Stamps({}, frozenset())
    key = _children_key(user.pk)
    entry = cache.get(key)
    if entry is not None:
        children, built_under = entry
        keys = [(scope, pk) for scope, pk, _value in built_under]
        stamps = read_stamps(keys)
        if stamps.of(keys) == built_under:
            return children, stamps
    children, stamps = _build_children(user)
    cache.set(
        key,
        (children, stamps.of(_children_keys(user.pk, children))),
        CHILDREN_TIMEOUT_SECONDS,
    )
    return children, stamps


def week_key(child: DiaryChild, monday: datetime.date, stamps: Stamps) -> str:
    """Return the cache key of the child's week under ``stamps``."""
    dates = school_week(monday)
    first, last = dates[0], dates[-1]
    enrollments = [e for e in child.enrollments if e.overlaps(first, last)]
    covered: set[StampKey] = {(Scope.PUPIL, child.student.pk), GLOBAL_KEY}
    for enrollment in enrollments:
        covered.add((Scope.CLASS, enrollment.school_class_id))
        covered.add((Scope.SCHOOL, enrollment.school_class.school_id))
    # "Today" is highlighted, so it is part of the key only inside the week.
    today = child.today if first <= child.today <= last else None
    parts = [
        KEY_VERSION,
        child.student.pk,
        monday.isoformat(),
        today.isoformat() if today else "",
        [
            (e.pk, e.school_class_id, e.start_date.isoformat(), str(e.end_date))
            for e in enrollments
        ],
        stamps.of(sorted(covered)),
    ]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"diary-week:{child.student.pk}:{digest}"


def week_days_html(
    child: DiaryChild, monday: datetime.date, stamps: Stamps
) -> tuple[str, selectors.DiaryWeek | None]:
    """Return the rendered days of the week and, when they were built now, the week.

    ``stamps`` must have been read before this call (as
    :func:`cached_children` does), so that a change committed meanwhile
    leaves a newer week under the older key rather than the reverse. The week
    is None on a cache hit.
    """
    key = week_key(child, monday, stamps)
    html = cache.get(key)
    if html is not None:
        return html, None
    week = selectors.diary_week(child.student, monday, child.enrollments)
    html = render_to_string(WEEK_TEMPLATE, {"week": week, "child": child})
    cache.set(key, html, WEEK_TIMEOUT_SECONDS)
    return html, week
