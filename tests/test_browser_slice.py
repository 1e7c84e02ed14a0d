"""The whole slice in real Chromium: ESIA sign-in, a mark, the diary.

The guardian and the teacher each use their own browser context, click
«Войти через Госуслуги», type their SNILS on the emulator's page and register
an e-mail address. The teacher sets a mark through the lesson form; the
guardian's diary week then shows it.
"""

from __future__ import annotations

from typing import Any

import pytest

from accounts.tests.conftest import EsiaSetup, esia_person
from accounts.tests.conftest import esia as esia
from accounts.tests.conftest import (
    portal_credentials as portal_credentials,
)
from conftest import World
from journal.models import Lesson, Mark
from school.snils import format_snils
from tests.test_end_to_end import GUARDIAN_OID, LESSON_DAY, TEACHER_OID
from tests.test_end_to_end import slice_world as slice_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _sign_in(page: Any, portal_url: str, snils: str, email: str) -> None:
    page.goto(f"{portal_url}/")
    page.get_by_role("button", name="Войти через Госуслуги").click()
    page.get_by_label("СНИЛС").fill(snils)
    page.get_by_role("button", name="Войти", exact=True).click()
    page.get_by_text("Завершение регистрации").wait_for()
    page.get_by_label("Адрес электронной почты").fill(email)
    page.get_by_role("button", name="Зарегистрироваться").click()
    page.wait_for_load_state()


def test_browser_mark_reaches_diary(
    browser: Any, esia: EsiaSetup, slice_world: World
) -> None:
    world = slice_world
    esia.emulator.write_people(
        [
            esia_person(GUARDIAN_OID, world.guardian, role="guardian"),
            esia_person(TEACHER_OID, world.teacher, role="teacher", gender="M"),
        ]
    )
    assert world.guardian.snils and world.teacher.snils
    first = Lesson.objects.get(date=LESSON_DAY, number=1)
    week_url = f"{esia.portal_url}/diary/{world.child.pk}/week/?date=2026-12-01"

    guardian = browser.new_context(locale="ru-RU").new_page()
    _sign_in(
        guardian,
        esia.portal_url,
        format_snils(world.guardian.snils),
        "parent@example.ru",
    )
    guardian.goto(week_url)
    assert "Сравнение обыкновенных дробей" in guardian.content()

    teacher = browser.new_context(locale="ru-RU").new_page()
    _sign_in(teacher, esia.portal_url, world.teacher.snils, "teacher@example.ru")
    teacher.goto(f"{esia.portal_url}/journal/?date=2026-12-01")
    teacher.get_by_role("link", name="Математика").first.click()
    teacher.wait_for_url(f"**/journal/lessons/{first.pk}/")
    teacher.locator(f"select[name='p{world.child.pk}-score']").select_option("4")
    teacher.get_by_role("button", name="Сохранить").click()
    teacher.wait_for_load_state()

    assert Mark.objects.filter(lesson=first, student=world.child, score=4).exists()
    guardian.goto(week_url)
    lesson = guardian.locator("li.diary-lesson", has_text="Сравнение обыкновенных")
    assert lesson.locator(".mark-value", has_text="4").count() == 1
    assert lesson.locator(".mark-value", has_text="3").count() == 1
