"""The production Content Security Policy, enforced, in real Chromium.

The teacher signs in through the ESIA emulator and saves a mark in the
journal grid (htmx and the grid script) while the browser enforces the policy
of production. Any blocked script, style or form shows up as a console error.
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
from tests.test_browser_slice import _sign_in
from tests.test_end_to_end import LESSON_DAY, TEACHER_OID
from tests.test_end_to_end import slice_world as slice_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _enforce_production_policy(settings: Any, esia_url: str) -> None:
    directives = dict(settings.CONTENT_SECURITY_POLICY_REPORT_ONLY["DIRECTIVES"])
    directives["form-action"] = ["'self'", esia_url]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None


def test_grid_saves_mark_under_enforced_csp(
    browser: Any, esia: EsiaSetup, slice_world: World, settings: Any
) -> None:
    world = slice_world
    _enforce_production_policy(settings, esia.emulator.base_url)
    esia.emulator.write_people(
        [esia_person(TEACHER_OID, world.teacher, role="teacher", gender="M")]
    )
    assert world.teacher.snils
    second = Lesson.objects.get(date=LESSON_DAY, number=2)

    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    _sign_in(
        page, esia.portal_url, format_snils(world.teacher.snils), "teacher@example.ru"
    )
    response = page.goto(
        f"{esia.portal_url}/journal/journals/{world.assignment.pk}/?date=2026-12-01"
    )
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]

    cell = page.locator(f"#c{second.pk}-{world.child.pk} input.grid-input")
    cell.fill("4")
    cell.press("Tab")
    page.locator(
        f"#c{second.pk}-{world.child.pk} input.grid-input[value='4']"
    ).wait_for()
    context.close()

    assert Mark.objects.filter(lesson=second, student=world.child, score=4).exists()
    assert violations == []
