"""The private calendar feed, mark e-mails and the low-vision switch."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from icalendar import Calendar

from diary.models import CalendarFeed, MarkNotice
from journal.models import JournalChange
from journal.tests import factories as jf
from journal.tests.conftest import MONDAY, NOW
from school.models import DiaryApplication
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = MONDAY + datetime.timedelta(days=1)


def settings_url(student):
    return reverse("diary:calendar", args=[student.pk])


def issue_feed(client, user, student):
    client.force_login(user)
    response = client.post(settings_url(student), {"action": "renew"})
    assert response.status_code == 302
    return CalendarFeed.objects.get(user=user, student=student, revoked_at=None)


def read_feed(client, feed):
    client.logout()
    return client.get(reverse("diary:calendar_feed", args=[feed.token]))


# ----- Calendar feed --------------------------------------------------------


def test_feed_lists_lessons_and_homework(client, world):
    jf.LessonFactory.create(
        assignment=world.assignment,
        date=TUESDAY,
        number=2,
        room="305",
        topic="Дроби",
        homework="№ 301",
        homework_due=TUESDAY + datetime.timedelta(days=2),
    )
    jf.LessonFactory.create(
        assignment=world.assignment, date=MONDAY, number=1, is_cancelled=True
    )
    feed = issue_feed(client, world.guardian_user, world.child)

    response = read_feed(client, feed)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    lesson = next(
        e
        for uid, e in events.items()
        if uid.startswith("lesson-") and "Дроби" in str(e["description"])
    )
    assert str(lesson["summary"]) == "Математика"
    assert str(lesson["location"]) == "каб. 305"
    start = lesson.decoded("dtstart")
    assert (start.date(), start.hour, start.minute) == (TUESDAY, 9, 25)
    assert str(start.tzinfo) == "Europe/Moscow"
    homework = next(e for uid, e in events.items() if uid.startswith("homework-"))
    assert homework.decoded("dtstart") == datetime.date(2026, 12, 3)
    assert str(homework["summary"]) == "ДЗ: Математика"
    cancelled = [e for e in events.values() if str(e.get("status")) == "CANCELLED"]
    assert len(cancelled) == 1


def test_feed_excludes_other_pupils_subgroup(client, world):
    group = world.school_class.subgroups.create(name="2 гр.")
    english = f.TeachingAssignmentFactory.create(
        school_class=world.school_class, subgroup=group
    )
    jf.LessonFactory.create(assignment=english, date=TUESDAY, topic="Чужая группа")
    feed = issue_feed(client, world.guardian_user, world.child)

    assert "Чужая группа" not in read_feed(client, feed).content.decode()


def test_revoked_feed_not_found(client, world):
    feed = issue_feed(client, world.guardian_user, world.child)
    client.force_login(world.guardian_user)

    client.post(settings_url(world.child), {"action": "revoke"})

    assert read_feed(client, feed).status_code == 404


def test_renewed_feed_replaces_old(client, world):
    old = issue_feed(client, world.guardian_user, world.child)
    new = issue_feed(client, world.guardian_user, world.child)

    assert old.token != new.token
    assert read_feed(client, old).status_code == 404
    assert read_feed(client, new).status_code == 200


def test_feed_closes_with_diary(client, world):
    feed = issue_feed(client, world.guardian_user, world.child)
    f.DiaryApplicationFactory.create(
        student=world.child,
        guardian=world.guardian,
        school=world.school,
        status=DiaryApplication.Status.STOPPED,
        filed_on=datetime.date(2026, 12, 1),
    )

    assert read_feed(client, feed).status_code == 404


def test_unknown_token_not_found(client, world):
    response = client.get(reverse("diary:calendar_feed", args=["нет-такого"]))

    assert response.status_code == 404


def test_feed_for_other_family_refused(client, world):
    client.force_login(world.guardian_user)

    response = client.post(settings_url(world.other_child), {"action": "renew"})

    assert response.status_code == 404
    assert not CalendarFeed.objects.exists()


def test_settings_page_shows_address(client, world):
    feed = issue_feed(client, world.guardian_user, world.child)

    response = client.get(settings_url(world.child))

    assert feed.token in response.content.decode()


# ----- Mark e-mails ---------------------------------------------------------


def confirm(user):
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )


def switch_on(client, world):
    client.force_login(world.guardian_user)
    client.post(settings_url(world.child), {"action": "notices_on"})
    notice = MarkNotice.objects.get(user=world.guardian_user)
    notice.sent_up_to = NOW - datetime.timedelta(hours=1)
    notice.save(update_fields=["sent_up_to"])


def test_digest_announces_mark_for_past_lesson(client, world):
    confirm(world.guardian_user)
    switch_on(client, world)
    old_lesson = jf.LessonFactory.create(
        assignment=world.assignment, date=datetime.date(2026, 11, 16)
    )
    jf.MarkFactory.create(
        lesson=old_lesson,
        student=world.child,
        score=4,
        work_type=world.work_type,
        entered_at=NOW,
    )
    jf.MarkFactory.create(
        lesson=old_lesson,
        student=world.child,
        score=2,
        work_type=world.work_type,
        entered_at=NOW - datetime.timedelta(days=2),
    )

    call_command("send_mark_notices")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.guardian_user.email]
    assert "1 отметка" in message.subject
    assert "урок 16 ноября 2026 г.: 4" in message.body
    assert ": 2 " not in message.body


def test_digest_sent_once(client, world):
    confirm(world.guardian_user)
    switch_on(client, world)
    jf.MarkFactory.create(
        lesson=jf.LessonFactory.create(assignment=world.assignment),
        student=world.child,
        work_type=world.work_type,
        entered_at=NOW,
    )

    call_command("send_mark_notices")
    call_command("send_mark_notices")

    assert len(mail.outbox) == 1


def test_no_digest_without_confirmed_address(client, world):
    EmailAddress.objects.create(
        user=world.guardian_user, email=world.guardian_user.email, verified=False
    )
    switch_on(client, world)
    jf.MarkFactory.create(
        lesson=jf.LessonFactory.create(assignment=world.assignment),
        student=world.child,
        work_type=world.work_type,
        entered_at=NOW,
    )

    call_command("send_mark_notices")

    assert mail.outbox == []


def test_no_digest_after_switching_off(client, world):
    confirm(world.guardian_user)
    switch_on(client, world)
    client.post(settings_url(world.child), {"action": "notices_off"})
    jf.MarkFactory.create(
        lesson=jf.LessonFactory.create(assignment=world.assignment),
        student=world.child,
        work_type=world.work_type,
        entered_at=NOW,
    )

    call_command("send_mark_notices")

    assert mail.outbox == []


def test_no_digest_of_other_family_marks(client, world):
    confirm(world.guardian_user)
    switch_on(client, world)
    jf.MarkFactory.create(
        lesson=jf.LessonFactory.create(assignment=world.assignment),
        student=world.other_child,
        work_type=world.work_type,
        entered_at=NOW,
    )

    call_command("send_mark_notices")

    assert mail.outbox == []


# ----- Mark history on the week, low-vision version -------------------------


def test_week_shows_changed_and_removed_marks(client, world):
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=TUESDAY)
    current = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=4, work_type=world.work_type
    )
    common = {
        "kind": JournalChange.Kind.MARK,
        "student": world.child,
        "lesson": lesson,
        "subject": world.subject,
        "changed_by": world.teacher_user,
        "object_id": current.pk,
    }
    JournalChange.objects.create(
        action=JournalChange.Action.CHANGED, old_value="3", new_value="4", **common
    )
    JournalChange.objects.create(
        action=JournalChange.Action.DELETED, old_value="2", **common
    )
    client.force_login(world.guardian_user)

    page = client.get(reverse("diary:week", args=[world.child.pk])).content.decode()

    assert "Отметка изменена: было 3, стало 4" in page
    assert "Отметка 2 удалена" in page


def test_low_vision_switch_on_and_off(client, world):
    client.force_login(world.guardian_user)
    week = reverse("diary:week", args=[world.child.pk])

    response = client.post(reverse("diary:low_vision"), {"mode": "on", "next": week})
    page = client.get(week).content.decode()

    assert response.status_code == 302
    assert response.url == week
    assert 'class="section-diary low-vision"' in page
    assert "Обычная версия сайта" in page
    client.post(reverse("diary:low_vision"), {"mode": "off", "next": week})
    assert 'low-vision"' not in client.get(week).content.decode()


def test_low_vision_switch_ignores_foreign_next(client, world):
    response = client.post(
        reverse("diary:low_vision"), {"mode": "on", "next": "https://example.com/"}
    )

    assert response.url == reverse("home")


@pytest.mark.parametrize(
    "page", ["journal:day", "account_login"], ids=["teacher", "signed out"]
)
def test_low_vision_on_every_page(client, world, page):
    if page == "journal:day":
        client.force_login(world.teacher_user)
    address = reverse(page)
    client.post(reverse("diary:low_vision"), {"mode": "on", "next": address})

    html = client.get(address).content.decode()

    assert 'low-vision">' in html
    assert "Обычная версия сайта" in html


def test_health_page_answers_ok(client, db):
    response = client.get(reverse("diary:health"))

    assert response.status_code == 200
    assert response.content == b"ok"
