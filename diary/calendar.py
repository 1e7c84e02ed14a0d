"""The private iCalendar feed of a student's lessons and homework."""

from __future__ import annotations

import datetime
import logging
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from icalendar import Calendar, Event

from diary.access import diary_children
from diary.models import CalendarFeed
from journal.models import Lesson
from school.models import Bell, Enrollment, Student, SubgroupMembership

logger = logging.getLogger(__name__)

# The feed covers four weeks back and eight weeks ahead of today.
WEEKS_BACK = 4
WEEKS_AHEAD = 8
PRODID = "-//Электронная школа//Дневник//RU"


def active_feed(user: AbstractBaseUser, student: Student) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(
        user_id=user.pk, student=student, revoked_at__isnull=True
    ).first()


@transaction.atomic
def renew_feed(user: AbstractBaseUser, student: Student) -> CalendarFeed:
    """Revoke the user's current address for the student and issue a new one."""
    revoke_feed(user, student)
    feed = CalendarFeed.objects.create(user_id=user.pk, student=student)
    logger.info("Calendar feed %s issued: user %s", feed.pk, user.pk)
    return feed


def revoke_feed(user: AbstractBaseUser, student: Student) -> int:
    revoked = CalendarFeed.objects.filter(
        user_id=user.pk, student=student, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if revoked:
        logger.info("Calendar feed revoked: user %s, student %s", user.pk, student.pk)
    return revoked


def open_feed(token: str) -> tuple[CalendarFeed, datetime.date, str] | None:
    """Return the feed, the school's today and time zone, or None if closed.

    A feed closes when it is revoked and whenever the diary it mirrors
    closes for its user (application stopped, consent withdrawn, pupil left).
    """
    feed = (
        CalendarFeed.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if feed is None:
        return None
    for child in diary_children(feed.user):
        if child.student.pk == feed.student_id and child.is_open and child.school:
            return feed, child.today, child.school.time_zone
    logger.info("Calendar feed %s closed with the diary", feed.pk)
    return None


def _feed_lessons(
    student: Student, first: datetime.date, last: datetime.date
) -> tuple[list[Lesson], dict[tuple[int, int], Bell]]:
    enrollments = list(
        Enrollment.objects.filter(student=student)
        .overlapping(first, last)
        .select_related("school_class")
    )
    if not enrollments:
        return [], {}
    subgroups = SubgroupMembership.objects.filter(student=student).values("subgroup_id")
    lessons = (
        Lesson.objects.between(first, last)
        .filter(school_class_id__in={e.school_class_id for e in enrollments})
        .filter(
            Q(assignment__subgroup__isnull=True)
            | Q(assignment__subgroup_id__in=subgroups)
        )
        .select_related(
            "school_class",
            "assignment__subject",
            "assignment__subgroup",
            "assignment__teacher",
            "substitute_teacher",
        )
        .order_by("date", "number", "id")
    )
    own = [
        lesson
        for lesson in lessons
        if any(
            e.school_class_id == lesson.school_class_id and e.is_active_on(lesson.date)
            for e in enrollments
        )
    ]
    year_ids = {e.school_class.academic_year_id for e in enrollments}
    bells = {
        (bell.academic_year_id, bell.lesson_number): bell
        for bell in Bell.objects.filter(academic_year_id__in=year_ids)
    }
    return own, bells


def _lesson_title(lesson: Lesson) -> str:
    title = lesson.assignment.subject.name
    if lesson.assignment.subgroup:
        title += f" ({lesson.assignment.subgroup.name})"
    if lesson.is_cancelled:
        title += " — урок отменён"
    return title


def _lesson_event(
    lesson: Lesson, bell: Bell | None, zone: zoneinfo.ZoneInfo, stamp: datetime.datetime
) -> Event:
    event = Event()
    event.add("uid", f"lesson-{lesson.pk}@eschool")
    event.add("dtstamp", stamp)
    event.add("summary", _lesson_title(lesson))
    if bell is not None:
        event.add(
            "dtstart", datetime.datetime.combine(lesson.date, bell.starts_at, zone)
        )
        event.add("dtend", datetime.datetime.combine(lesson.date, bell.ends_at, zone))
    else:
        event.add("dtstart", lesson.date)
    if lesson.room:
        event.add("location", f"каб. {lesson.room}")
    lines = [f"Урок {lesson.number}", f"Учитель: {lesson.teacher.short_name}"]
    if lesson.topic:
        lines.append(f"Тема: {lesson.topic}")
    if lesson.homework:
        lines.append(f"Домашнее задание: {lesson.homework}")
    event.add("description", "\n".join(lines))
    if lesson.is_cancelled:
        event.add("status", "CANCELLED")
    return event


def _homework_event(lesson: Lesson, stamp: datetime.datetime) -> Event:
    due = lesson.homework_due or lesson.date
    event = Event()
    event.add("uid", f"homework-{lesson.pk}@eschool")
    event.add("dtstamp", stamp)
    event.add("summary", f"ДЗ: {lesson.assignment.subject.name}")
    event.add("dtstart", due)
    event.add("dtend", due + datetime.timedelta(days=1))
    event.add("description", lesson.homework)
    return event


def feed_calendar(student: Student, today: datetime.date, time_zone: str) -> bytes:
    """Render the student's lessons and homework around ``today`` as iCalendar."""
    first = today - datetime.timedelta(weeks=WEEKS_BACK)
    last = today + datetime.timedelta(weeks=WEEKS_AHEAD)
    zone = zoneinfo.ZoneInfo(time_zone)
    stamp = timezone.now()
    lessons, bells = _feed_lessons(student, first, last)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Уроки: {student.first_name} {student.last_name}")
    calendar.add("x-wr-timezone", time_zone)
    for lesson in lessons:
        bell = bells.get((lesson.school_class.academic_year_id, lesson.number))
        calendar.add_component(_lesson_event(lesson, bell, zone, stamp))
        if lesson.homework and lesson.homework_due:
            calendar.add_component(_homework_event(lesson, stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()
