"""E-mail digests of a student's new marks, for users who opted in.

A digest is keyed to the time a mark was entered, not to the lesson's date,
so a mark given today for last week's lesson is announced too. Mail goes
only to a confirmed address, and only while the user's diary is open.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from diary.access import diary_children
from diary.models import MarkNotice
from journal.models import Mark
from school.models import Student

logger = logging.getLogger(__name__)


def confirmed_email(user: AbstractBaseUser) -> str | None:
    """Return the user's verified e-mail address, the primary one first."""
    address = (
        EmailAddress.objects.filter(user_id=user.pk, verified=True)
        .order_by("-primary", "id")
        .first()
    )
    return address.email if address else None


def mark_notice(user: AbstractBaseUser, student: Student) -> MarkNotice | None:
    return MarkNotice.objects.filter(user_id=user.pk, student=student).first()


def set_mark_notices(user: AbstractBaseUser, student: Student, enabled: bool) -> None:
    """Switch the digests on or off; switching on starts from now, not from history."""
    notice = mark_notice(user, student)
    now = timezone.now()
    if notice is None:
        MarkNotice.objects.create(
            user_id=user.pk, student=student, enabled=enabled, sent_up_to=now
        )
        return
    if enabled and not notice.enabled:
        notice.sent_up_to = now
    notice.enabled = enabled
    notice.save(update_fields=["enabled", "sent_up_to"])


@dataclass
class DigestResult:
    sent: int = 0
    skipped: int = 0


def _send_digest(notice: MarkNotice, address: str, marks: list[Mark]) -> None:
    context = {"student": notice.student, "marks": marks}
    subject = render_to_string("diary/email/new_marks_subject.txt", context).strip()
    text = render_to_string("diary/email/new_marks.txt", context)
    html = render_to_string("diary/email/new_marks.html", context)
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [address]
    )
    message.attach_alternative(html, "text/html")
    message.send()


def send_mark_digests(now: datetime.datetime | None = None) -> DigestResult:
    """Send one digest per enabled notice that has marks entered since the last."""
    now = now or timezone.now()
    result = DigestResult()
    notices = (
        MarkNotice.objects.filter(enabled=True)
        .select_related("user", "student")
        .order_by("user_id", "id")
    )
    open_by_user: dict[int, set[int]] = {}
    for notice in notices:
        if notice.user_id not in open_by_user:
            open_by_user[notice.user_id] = {
                child.student.pk
                for child in diary_children(notice.user)
                if child.is_open
            }
        address = confirmed_email(notice.user)
        if address is None or notice.student_id not in open_by_user[notice.user_id]:
            logger.info(
                "Mark digest skipped: notice %s (no confirmed address or diary closed)",
                notice.pk,
            )
            result.skipped += 1
            continue
        marks = list(
            Mark.objects.filter(
                student_id=notice.student_id,
                entered_at__gt=notice.sent_up_to,
                entered_at__lte=now,
            )
            .select_related("lesson__assignment__subject", "work_type")
            .order_by("entered_at", "id")
        )
        if not marks:
            continue
        _send_digest(notice, address, marks)
        notice.sent_up_to = now
        notice.save(update_fields=["sent_up_to"])
        result.sent += 1
    return result
