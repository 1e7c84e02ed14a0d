"""save_lesson called directly, including two saves racing for one lesson."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from journal.models import Attendance, JournalChange, Mark
from journal.services import (
    JournalSaveError,
    LessonSubmission,
    MarkValue,
    PupilEntry,
    save_lesson,
)
from journal.tests import factories as jf

TODAY = datetime.date(2026, 12, 2)


def _submission(world, score=5):
    value = MarkValue(score, None, world.work_type)
    return LessonSubmission(
        pupils=[PupilEntry(world.child.pk, new_mark=value, attendance_code="ОП")]
    )


def test_save_writes_rows_and_history(world):
    lesson = jf.LessonFactory.create(assignment=world.assignment)

    result = save_lesson(
        lesson, _submission(world), world.teacher_user, world.teacher, TODAY
    )

    assert result.created == 2
    assert Mark.objects.get(lesson=lesson).weight == world.work_type.weight
    assert Attendance.objects.get(lesson=lesson).code == "ОП"
    assert JournalChange.objects.filter(lesson=lesson).count() == 2


def test_conflict_leaves_everything_unsaved(world):
    lesson = jf.LessonFactory.create(assignment=world.assignment, topic="Старая")
    row = jf.AttendanceFactory.create(lesson=lesson, student=world.other_child)
    submission = _submission(world)
    submission.lesson_fields["topic"] = "Новая"
    submission.pupils.append(
        PupilEntry(world.other_child.pk, attendance_code="Б", attendance_version=7)
    )

    with pytest.raises(JournalSaveError) as error:
        save_lesson(lesson, submission, world.teacher_user, world.teacher, TODAY)

    assert len(error.value.conflicts) == 1
    assert error.value.conflicts[0].student_id == world.other_child.pk
    assert not Mark.objects.filter(lesson=lesson).exists()
    row.refresh_from_db()
    assert row.code == "Н"
    lesson.refresh_from_db()
    assert lesson.topic == "Старая"
    assert not JournalChange.objects.exists()


def test_unknown_lesson_field_raises(world):
    lesson = jf.LessonFactory.create(assignment=world.assignment)
    submission = LessonSubmission(lesson_fields={"is_cancelled": True})  # type: ignore[dict-item]

    with pytest.raises(ValueError, match="is_cancelled"):
        save_lesson(lesson, submission, world.teacher_user, world.teacher, TODAY)


@pytest.mark.django_db(transaction=True)
def test_racing_double_submit_creates_one_mark(world):
    lesson = jf.LessonFactory.create(assignment=world.assignment)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        try:
            barrier.wait(timeout=10)
            save_lesson(
                lesson, _submission(world), world.teacher_user, world.teacher, TODAY
            )
            outcomes.append("saved")
        except JournalSaveError:
            outcomes.append("rejected")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes == ["saved", "saved"]
    assert Mark.objects.filter(lesson=lesson).count() == 1
    assert Attendance.objects.filter(lesson=lesson).count() == 1
    assert JournalChange.objects.filter(lesson=lesson).count() == 2
