"""The whole slice over real HTTP: ESIA sign-in, the journal and the diary.

A guardian and a teacher sign in through the running ESIA emulator with a
``requests`` session that follows redirects like a browser. The teacher
saves a mark and an absence on the lesson page, and the guardian then sees
both in the child's diary week.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from accounts.tests.conftest import Browser, EsiaSetup, esia_person
from accounts.tests.conftest import esia as esia
from accounts.tests.conftest import (
    portal_credentials as portal_credentials,
)
from conftest import World
from journal.models import Attendance, JournalChange, Lesson, Mark
from journal.tests.factories import LessonFactory, MarkFactory
from school.models import Guardian, StaffMember
from tests.htmlforms import read_form

pytestmark = pytest.mark.slow

LESSON_DAY = datetime.date(2026, 12, 1)
GUARDIAN_OID = "1000400001"
TEACHER_OID = "1000400002"


def _unlink(record: Guardian | StaffMember) -> None:
    record.user = None
    record.save(update_fields=["user"])


def _sign_in_first_time(browser: Browser, oid: str, email: str) -> None:
    signup = browser.sign_in_as(oid)
    assert signup.status_code == 200
    done = browser.register(signup, email)
    assert done.status_code == 302
    assert browser.is_signed_in()


@pytest.fixture
def slice_world(world: World) -> World:
    """Two lessons of 5А mathematics on 1 December, one with an earlier mark."""
    first = LessonFactory.create(
        assignment=world.assignment,
        date=LESSON_DAY,
        number=1,
        topic="Сравнение обыкновенных дробей",
        homework="№ 312, 315",
    )
    LessonFactory.create(
        assignment=world.assignment,
        date=LESSON_DAY,
        number=2,
        topic="Сложение дробей с одинаковыми знаменателями",
        homework="№ 320",
    )
    MarkFactory.create(
        lesson=first, student=world.child, work_type=world.control_work, score=3
    )
    _unlink(world.guardian)
    _unlink(world.teacher)
    return world


def test_teacher_mark_reaches_guardian_diary(
    esia: EsiaSetup, slice_world: World
) -> None:
    world = slice_world
    esia.emulator.write_people(
        [
            esia_person(GUARDIAN_OID, world.guardian, role="guardian"),
            esia_person(TEACHER_OID, world.teacher, role="teacher", gender="M"),
        ]
    )
    week_url = f"{esia.portal_url}/diary/{world.child.pk}/week/?date=2026-12-01"

    # The guardian signs in for the first time and sees the child's week.
    guardian = esia.browser()
    _sign_in_first_time(guardian, GUARDIAN_OID, "parent@example.ru")
    week = guardian.session.get(week_url, timeout=10)
    assert week.status_code == 200
    assert world.child.last_name in week.text
    assert "Сравнение обыкновенных дробей" in week.text
    assert "№ 312, 315" in week.text

    # The teacher signs in, opens the day and saves a mark and an absence.
    teacher = esia.browser()
    _sign_in_first_time(teacher, TEACHER_OID, "teacher@example.ru")
    day = teacher.session.get(f"{esia.portal_url}/journal/?date=2026-12-01", timeout=10)
    assert day.status_code == 200
    first, second = Lesson.objects.filter(date=LESSON_DAY).order_by("number")
    assert f"/journal/lessons/{first.pk}/" in day.text

    _save_lesson(teacher, esia.portal_url, first, {f"p{world.child.pk}-score": "5"})
    _save_lesson(
        teacher, esia.portal_url, second, {f"p{world.child.pk}-attendance": "Н"}
    )
    assert Mark.objects.filter(lesson=first, student=world.child, score=5).exists()
    assert Attendance.objects.get(lesson=second, student=world.child).code == "Н"
    assert JournalChange.objects.filter(student=world.child).count() == 2

    # The guardian reloads the week and sees both.
    week = guardian.session.get(week_url, timeout=10)
    mark_block = _lesson_block(week.text, "Сравнение обыкновенных дробей")
    absence_block = _lesson_block(week.text, "Сложение дробей")
    assert ">5<" in mark_block
    assert ">3<" in mark_block
    assert ">Н<" in absence_block


def _save_lesson(
    browser: Browser, portal_url: str, lesson: Lesson, changes: dict[str, str]
) -> None:
    url = f"{portal_url}/journal/lessons/{lesson.pk}/"
    page = browser.session.get(url, timeout=10)
    assert page.status_code == 200
    data: dict[str, Any] = read_form(page.text, "journal-form")
    data.update(changes)
    saved = browser.session.post(url, data=data, allow_redirects=False, timeout=10)
    assert saved.status_code == 302, saved.text[:2000]


def _lesson_block(html: str, topic: str) -> str:
    """Return the diary markup of the lesson with ``topic``."""
    position = html.index(topic)
    start = html.rfind("<li", 0, position)
    end = html.find("</li>", position)
    return html[start:end]


def test_guardian_refused_other_family_child(
    esia: EsiaSetup, slice_world: World
) -> None:
    world = slice_world
    esia.emulator.write_people(
        [esia_person(GUARDIAN_OID, world.guardian, role="guardian")]
    )
    guardian = esia.browser()
    _sign_in_first_time(guardian, GUARDIAN_OID, "parent@example.ru")

    for page in ("week", "schedule", "attendance", "teachers", "finals"):
        response = guardian.session.get(
            f"{esia.portal_url}/diary/{world.other_child.pk}/{page}/", timeout=10
        )
        assert response.status_code == 404, page
        assert world.other_child.last_name not in response.text


def test_teacher_refused_other_teacher_lesson(
    esia: EsiaSetup, slice_world: World
) -> None:
    world = slice_world
    foreign = LessonFactory.create(assignment=world.other_assignment, date=LESSON_DAY)
    esia.emulator.write_people(
        [esia_person(TEACHER_OID, world.teacher, role="teacher", gender="M")]
    )
    teacher = esia.browser()
    _sign_in_first_time(teacher, TEACHER_OID, "teacher@example.ru")
    url = f"{esia.portal_url}/journal/lessons/{foreign.pk}/"

    page = teacher.session.get(url, timeout=10)
    page_csrf = teacher.session.cookies.get("csrftoken", "")
    posted = teacher.session.post(
        url,
        data={"csrfmiddlewaretoken": page_csrf, "topic": "Чужая тема"},
        headers={"Referer": url},
        allow_redirects=False,
        timeout=10,
    )

    assert page.status_code == 404
    assert posted.status_code == 404
    foreign.refresh_from_db()
    assert foreign.topic != "Чужая тема"
