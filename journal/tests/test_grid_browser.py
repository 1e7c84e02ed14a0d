"""A teacher fills a row of the journal grid from the keyboard in Chromium."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from journal.models import Attendance, Mark
from journal.tests import factories as jf
from journal.tests.conftest import frozen_now  # noqa: F401
from school.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("frozen_now")]

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "));
}"""


def _teacher_page(browser: Any, live_server: Any, world: Any, user: Any = None) -> Any:
    client = Client()
    client.force_login(user or world.teacher_user)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


def test_teacher_types_a_row_of_marks_from_the_keyboard(
    browser: Any,
    live_server: Any,
    transactional_db: None,
    world: Any,
) -> None:
    lessons = [
        jf.LessonFactory.create(
            assignment=world.assignment,
            date=datetime.date(2026, 11, 16) + datetime.timedelta(days=offset),
        )
        for offset in range(4)
    ]
    page = _teacher_page(browser, live_server, world)
    page.goto(live_server.url + reverse("journal:grid", args=[world.assignment.pk]))
    first = page.locator(f"#c{lessons[0].pk}-{world.child.pk} input.grid-input")
    first.focus()

    for text in ("5", "4", "н", "3 5"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    # The last cell saves when it loses focus; wait for every answer.
    # Saves are queued one after another, so the last answer carries the
    # average of all four cells: 5, 4, 3, 5 with weight 1 is 4.25.
    average = f"document.querySelector('#avg-{world.child.pk}').textContent"
    page.wait_for_function(f"{average}.trim() === '4,25'")

    def scores(lesson: Any) -> list[int | None]:
        return list(
            Mark.objects.filter(lesson=lesson, student=world.child)
            .order_by("id")
            .values_list("score", flat=True)
        )

    assert [scores(lesson) for lesson in lessons] == [[5], [4], [], [3, 5]]
    assert Attendance.objects.get(lesson=lessons[2], student=world.child).code == "Н"
    assert page.locator(f"#sug-{world.child.pk}").inner_text() == "4"


@pytest.mark.parametrize("failure", ["no connection", "server error"])
def test_failed_save_marks_cell_unsaved(
    browser: Any, live_server: Any, transactional_db: None, world: Any, failure: str
) -> None:
    lesson = jf.LessonFactory.create(
        assignment=world.assignment, date=datetime.date(2026, 11, 16)
    )
    page = _teacher_page(browser, live_server, world)
    page.goto(live_server.url + reverse("journal:grid", args=[world.assignment.pk]))
    # The browser simulates a broken network or a crashed app server:
    # the cell's POST never reaches Django, or comes back as a bare 502.
    if failure == "no connection":
        page.route("**/cells/**", lambda route: route.abort())
    else:
        page.route(
            "**/cells/**", lambda route: route.fulfill(status=502, body="Bad Gateway")
        )
    cell = page.locator(f"#c{lesson.pk}-{world.child.pk}")
    cell.locator("input.grid-input").focus()

    page.keyboard.type("5")
    page.keyboard.press("Tab")
    page.wait_for_selector(f"#c{lesson.pk}-{world.child.pk} .grid-error")

    assert "Не сохранено" in cell.locator(".grid-error").inner_text()
    assert cell.locator("input.grid-input").input_value() == "5"
    assert cell.locator("input.grid-input").get_attribute("aria-invalid") == "true"
    assert not Mark.objects.filter(lesson=lesson).exists()


def test_teacher_pages_pass_axe(
    browser: Any,
    live_server: Any,
    transactional_db: None,
    world: Any,
) -> None:
    lesson = jf.LessonFactory.create(
        assignment=world.assignment, date=datetime.date(2026, 12, 2)
    )
    jf.MarkFactory.create(lesson=lesson, student=world.child, work_type=world.work_type)
    jf.AttendanceFactory.create(lesson=lesson, student=world.other_child)
    page = _teacher_page(browser, live_server, world)
    for address in (
        reverse("journal:day") + "?date=2026-12-02",
        reverse("journal:lesson", args=[lesson.pk]),
        reverse("journal:grid", args=[world.assignment.pk]),
        reverse("journal:finals", args=[world.assignment.pk]),
        reverse("journal:lesson_topic", args=[lesson.pk]),
        reverse("journal:class", args=[world.school_class.pk]),
        reverse("journal:class_attendance", args=[world.school_class.pk]),
    ):
        response = page.goto(live_server.url + address)
        assert response is not None and response.status == 200, address
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(AXE_RUN) == [], address


def test_school_page_passes_axe(
    browser: Any,
    live_server: Any,
    transactional_db: None,
    world: Any,
) -> None:
    lesson = jf.LessonFactory.create(
        assignment=world.assignment, date=datetime.date(2026, 12, 2), topic=""
    )
    entry = f.TimetableEntryFactory.create(assignment=world.assignment, weekday=3)
    page = _teacher_page(browser, live_server, world, world.school_admin_user)
    for address in (
        reverse("journal:school") + "?date=2026-12-02",
        reverse("journal:grid", args=[world.assignment.pk]),
        reverse("journal:lesson_change", args=[lesson.pk]),
        reverse("journal:bells"),
        reverse("journal:timetable") + "?date=2026-12-02",
        reverse("journal:timetable_entry", args=[entry.pk]),
    ):
        response = page.goto(live_server.url + address)
        assert response is not None and response.status == 200, address
        page.add_script_tag(path=str(AXE))
        assert page.evaluate(AXE_RUN) == [], address
