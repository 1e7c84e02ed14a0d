"""No log line of a sign-in and a mark save carries a SNILS, a token or a mark.

The whole flow runs over real HTTP (the ESIA emulator and the live portal),
and every record the portal's loggers emit at DEBUG and above is checked.
"""

from __future__ import annotations

import logging
import re

import pytest

from accounts.tests.conftest import EsiaSetup, esia_person
from accounts.tests.conftest import esia as esia
from accounts.tests.conftest import (
    portal_credentials as portal_credentials,
)
from conftest import World
from journal.models import Lesson, Mark
from school.snils import format_snils
from tests.test_end_to_end import (
    LESSON_DAY,
    TEACHER_OID,
    _save_lesson,
    _sign_in_first_time,
)
from tests.test_end_to_end import slice_world as slice_world

pytestmark = pytest.mark.slow

# Loggers of the emulator and of the test's HTTP client print the ESIA
# protocol from the other side, and the factories log test data: none of
# them are the portal's lines.
FOREIGN_LOGGERS = ("esia_emulator", "urllib3", "requests", "factory", "faker")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
OAUTH_SECRET = re.compile(r"\b(code|state|access_token|id_token)=\w{8,}")
MARK_VALUE = re.compile(r"(score|mark|отметк\w*|оценк\w*)\W{0,3}[1-5]\b", re.I)


def _portal_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.name} {record.getMessage()}"
        for record in caplog.records
        if not record.name.startswith(FOREIGN_LOGGERS)
    ]


def test_sign_in_and_mark_save_log_no_secrets(
    esia: EsiaSetup, slice_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = slice_world
    caplog.set_level(logging.DEBUG)
    esia.emulator.write_people(
        [esia_person(TEACHER_OID, world.teacher, role="teacher", gender="M")]
    )
    teacher = esia.browser()
    _sign_in_first_time(teacher, TEACHER_OID, "teacher@example.ru")
    lesson = Lesson.objects.filter(date=LESSON_DAY).order_by("number").first()
    assert lesson is not None
    _save_lesson(teacher, esia.portal_url, lesson, {f"p{world.child.pk}-score": "4"})
    assert Mark.objects.filter(lesson=lesson, student=world.child, score=4).exists()

    lines = _portal_lines(caplog)
    assert any("saved by user" in line for line in lines), lines
    session_key = teacher.session.cookies.get("sessionid")
    csrf_token = teacher.session.cookies.get("csrftoken")
    assert session_key
    assert world.teacher.snils
    secrets = {
        "SNILS": world.teacher.snils,
        "formatted SNILS": format_snils(world.teacher.snils),
        "child's SNILS": world.child.snils or "no-snils",
        "session key": session_key,
        "CSRF token": csrf_token or "no-csrf",
    }
    for line in lines:
        for name, secret in secrets.items():
            assert secret not in line, f"{name} in log line: {line}"
        assert not JWT.search(line), f"token in log line: {line}"
        assert not OAUTH_SECRET.search(line), f"OAuth value in log line: {line}"
        assert not MARK_VALUE.search(line), f"mark value in log line: {line}"
