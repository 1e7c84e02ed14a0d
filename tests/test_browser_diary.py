"""A guardian with two children walks every diary page in real Chromium.

Each page is opened on a desktop and on a phone-sized window and checked with
axe-core (vendored under static/vendor) for serious and critical findings.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from journal.models import Attendance, FinalMark
from journal.tests import factories as jf
from journal.tests.conftest import MONDAY, NOW, frozen_now  # noqa: F401
from school.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("frozen_now")]

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": (1280, 800), "phone": (375, 740)}
PAGES = [
    "diary:week",
    "diary:schedule",
    "diary:attendance",
    "diary:missed",
    "diary:teachers",
    "diary:subjects",
    "diary:subject_marks",
    "diary:finals",
    "diary:past_finals",
    "diary:history",
    "diary:calendar",
]
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "));
}"""


def _fill_child(world: Any, student: Any, assignment: Any) -> None:
    f.TimetableEntryFactory.create(assignment=assignment, weekday=2, lesson_number=2)
    for offset, score in enumerate((5, 4, 3)):
        lesson = jf.LessonFactory.create(
            assignment=assignment,
            date=MONDAY + datetime.timedelta(days=offset),
            number=2,
            topic="Десятичные дроби",
            homework="№ 310",
            homework_due=MONDAY + datetime.timedelta(days=offset + 2),
        )
        jf.MarkFactory.create(
            lesson=lesson,
            student=student,
            score=score,
            work_type=world.control_work if offset else world.work_type,
            comment="Аккуратно" if score == 5 else "",
            entered_at=NOW,
        )
    jf.AttendanceFactory.create(
        lesson=lesson, student=student, code=Attendance.Code.ILL
    )
    FinalMark.objects.create(
        student=student,
        subject=assignment.subject,
        academic_year=world.year,
        kind=FinalMark.Kind.PERIOD,
        period=world.quarter,
        value="na",
    )


@pytest.fixture
def family(world: Any) -> list[Any]:
    second = f.StudentFactory.create(last_name="Аверина", first_name="Вера")
    f.GuardianLinkFactory.create(guardian=world.guardian, student=second)
    f.EnrollmentFactory.create(student=second, school_class=world.other_class)
    f.DiaryApplicationFactory.create(
        student=second, guardian=world.guardian, school=world.school
    )
    f.ConsentFactory.create(guardian=world.guardian, student=second)
    _fill_child(world, world.child, world.assignment)
    _fill_child(world, second, world.other_assignment)
    return [world.child, second]


def _session_cookie(world: Any, live_server: Any) -> dict[str, Any]:
    client = Client()
    client.force_login(world.guardian_user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _address(name: str, student: Any, world: Any) -> str:
    if name == "diary:subject_marks":
        return reverse(name, args=[student.pk, world.subject.pk])
    return reverse(name, args=[student.pk])


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_guardian_walks_every_page(
    browser: Any,
    live_server: Any,
    transactional_db: None,
    world: Any,
    family: Any,
    viewport: str,
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies([_session_cookie(world, live_server)])
    page = context.new_page()
    findings: dict[str, list[str]] = {}
    try:
        for student in family:
            for name in PAGES:
                if name == "diary:subject_marks" and student != world.child:
                    continue
                address = live_server.url + _address(name, student, world)
                response = page.goto(address)
                assert response is not None and response.status == 200, address
                heading = page.locator("h1").inner_text()
                assert f"{student.last_name} {student.first_name}" in heading
                page.add_script_tag(path=str(AXE))
                problems = page.evaluate(AXE_RUN)
                if problems:
                    findings[address] = problems
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 1, f"{address} scrolls sideways by {overflow}px"
        # The switcher keeps the kind of page while changing the child.
        page.goto(live_server.url + reverse("diary:finals", args=[world.child.pk]))
        page.get_by_role("link", name="Вера Аверина").click()
        assert page.url.endswith(reverse("diary:finals", args=[family[1].pk]))
    finally:
        context.close()

    assert findings == {}


def test_keyboard_reaches_sections_and_low_vision(
    browser: Any, live_server: Any, transactional_db: None, world: Any, family: Any
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies([_session_cookie(world, live_server)])
    page = context.new_page()
    try:
        page.goto(live_server.url + reverse("diary:week", args=[world.child.pk]))
        page.get_by_role("link", name="Итоговые отметки").focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/finals/")
        assert "н/а" in page.content()

        page.get_by_role("button", name="Версия для слабовидящих").click()
        page.wait_for_load_state()
        assert "low-vision" in (page.locator("body").get_attribute("class") or "")
        font_size = page.evaluate("getComputedStyle(document.body).fontSize")
        assert float(font_size.removesuffix("px")) >= 22
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(AXE_RUN) == []
    finally:
        context.close()
