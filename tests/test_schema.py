"""Database constraints for rules that hold without exception."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from journal.models import Attendance, FinalMark, Mark
from journal.tests.factories import AttendanceFactory, LessonFactory, MarkFactory
from school.models import Enrollment, Guardian, Student
from school.tests.factories import EnrollmentFactory, GuardianFactory, StudentFactory


def _violates(model_call) -> bool:
    try:
        with transaction.atomic():
            model_call()
    except IntegrityError:
        return True
    return False


def test_overlapping_enrollments_rejected(world):
    # The child is enrolled in 5А from 1 September with no end date.
    assert _violates(
        lambda: Enrollment.objects.create(
            student=world.child,
            school_class=world.other_class,
            start_date=datetime.date(2026, 10, 1),
        )
    )


def test_consecutive_enrollments_allowed(world):
    enrollment = world.child.enrollments.get()
    enrollment.end_date = datetime.date(2026, 11, 15)
    enrollment.end_reason = Enrollment.EndReason.CLASS_CHANGE
    enrollment.save(update_fields=["end_date", "end_reason"])

    EnrollmentFactory.create(
        student=world.child,
        school_class=world.other_class,
        start_date=datetime.date(2026, 11, 16),
    )

    assert world.child.enrollments.count() == 2


def test_enrollment_end_needs_reason(world):
    enrollment = world.child.enrollments.get()
    enrollment.end_date = datetime.date(2026, 11, 15)
    assert _violates(lambda: enrollment.save(update_fields=["end_date"]))


@pytest.mark.parametrize("score", [0, 6])
def test_mark_score_out_of_range_rejected(world, score):
    lesson = LessonFactory.create(assignment=world.assignment)
    assert _violates(
        lambda: MarkFactory.create(lesson=lesson, student=world.child, score=score)
    )


def test_mark_needs_score_or_pass(world):
    lesson = LessonFactory.create(assignment=world.assignment)
    assert _violates(
        lambda: MarkFactory.create(
            lesson=lesson, student=world.child, score=5, passed=True
        )
    )
    assert _violates(
        lambda: MarkFactory.create(
            lesson=lesson, student=world.child, score=None, passed=None
        )
    )


def test_several_marks_per_lesson_allowed(world):
    lesson = LessonFactory.create(assignment=world.assignment)
    MarkFactory.create(lesson=lesson, student=world.child, score=3)
    MarkFactory.create(lesson=lesson, student=world.child, score=5)
    assert Mark.objects.filter(lesson=lesson, student=world.child).count() == 2


def test_one_attendance_code_per_lesson(world):
    lesson = LessonFactory.create(assignment=world.assignment)
    AttendanceFactory.create(lesson=lesson, student=world.child)
    assert _violates(
        lambda: AttendanceFactory.create(
            lesson=lesson, student=world.child, code=Attendance.Code.LATE
        )
    )


def test_unknown_attendance_code_rejected(world):
    lesson = LessonFactory.create(assignment=world.assignment)
    assert _violates(
        lambda: AttendanceFactory.create(lesson=lesson, student=world.child, code="X")
    )


def test_snils_unique_per_person_kind(world):
    assert _violates(lambda: StudentFactory.create(snils=world.child.snils))
    assert _violates(lambda: GuardianFactory.create(snils=world.guardian.snils))


def test_same_snils_allowed_across_kinds(world):
    # A teacher of the school may also be a parent there.
    guardian = GuardianFactory.create(snils=world.teacher.snils)
    assert Guardian.objects.filter(snils=guardian.snils).count() == 1


def test_persons_without_snils_allowed(db):
    StudentFactory.create(snils=None)
    StudentFactory.create(snils=None)
    assert Student.objects.filter(snils__isnull=True).count() == 2


def test_final_mark_unique_per_period(world):
    def create() -> FinalMark:
        return FinalMark.objects.create(
            student=world.child,
            subject=world.subject,
            academic_year=world.year,
            kind=FinalMark.Kind.PERIOD,
            period=world.quarter,
            value=FinalMark.Value.FOUR,
        )

    create()
    assert _violates(create)


def test_year_mark_unique_without_period(world):
    def create() -> FinalMark:
        return FinalMark.objects.create(
            student=world.child,
            subject=world.subject,
            academic_year=world.year,
            kind=FinalMark.Kind.YEAR,
            value=FinalMark.Value.NOT_CERTIFIED,
        )

    create()
    assert _violates(create)


def test_esia_identity_unique_per_user(world):
    from accounts.models import User

    assert _violates(
        lambda: User.objects.create(
            email="second@example.ru", esia_oid=world.guardian_user.esia_oid
        )
    )
