"""Diary settings that belong to one user and one student."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from school.models import Student


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A private iCalendar address with one student's lessons and homework.

    The address opens the calendar without signing in, so the user can revoke
    it, and a revoked token gets a 404. The feed also closes
    whenever the user's diary of the student closes.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="diary_calendar_feeds",
    )
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField("создана", auto_now_add=True)
    revoked_at = models.DateTimeField("отозвана", null=True, blank=True)

    class Meta:
        verbose_name = "ссылка на календарь"
        verbose_name_plural = "ссылки на календарь"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "student"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.student_id}"


class MarkNotice(models.Model):
    """A user's opt-in to e-mail digests of a student's new marks.

    ``sent_up_to`` is the entry time up to which marks were announced: the
    next digest takes marks entered after it, whatever the lesson's date.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="diary_mark_notices",
    )
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField("присылать новые отметки", default=True)
    sent_up_to = models.DateTimeField("отправлено по")

    class Meta:
        verbose_name = "уведомление о новых отметках"
        verbose_name_plural = "уведомления о новых отметках"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "student"], name="mark_notice_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.student_id}"


class CacheStamp(models.Model):
    """The time of the last change to what a cached diary page shows.

    Database triggers (migration ``0002_cache_stamps``) write these rows
    after every change to lessons, marks, attendance, timetables, enrollments,
    bells, holidays and the names shown beside them, and to whose diaries a
    user may open, whatever code made the change. A cached page's key
    contains the stamps it was built from, so a change makes the old entry
    unreachable instead of deleting it.
    """

    class Scope(models.TextChoices):
        SCHOOL = "school", "школа"
        CLASS = "class", "класс"
        PUPIL = "pupil", "ученик"
        USER = "user", "пользователь"
        # One row (object 0), moved by TRUNCATE of a watched table.
        GLOBAL = "global", "все данные"

    scope = models.CharField("область", max_length=6, choices=Scope.choices)
    # No foreign key: rows outlive deleted objects and are written by triggers.
    object_id = models.BigIntegerField("объект")
    # Microseconds since the Unix epoch of the last change, or one more than
    # the previous value when the clock has not moved on. Starting from the
    # clock keeps values rising after a database is restored from a backup.
    value = models.BigIntegerField("отметка времени")

    class Meta:
        verbose_name = "отметка изменения"
        verbose_name_plural = "отметки изменений"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "object_id"], name="cache_stamp_unique_object"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.object_id}: {self.value}"
