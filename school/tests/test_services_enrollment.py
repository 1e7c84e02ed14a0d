"""Enrollment workflows and the year rollover."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from diary import access
from diary.access import DiaryAccess
from school import models as sm
from school import services
from school.tests import factories as f

ORDER = services.Order(number="15-у", date=datetime.date(2026, 10, 1))
D = datetime.date


def _history(student: sm.Student) -> list[tuple]:
    return list(
        sm.Enrollment.objects.filter(student=student)
        .order_by("start_date")
        .values_list("school_class__grade", "start_date", "end_date", "end_reason")
    )


def test_enroll_creates_open_enrollment(world):
    student = f.StudentFactory.create()
    enrollment = services.enroll(student, world.school_class, D(2026, 9, 15), ORDER)
    assert enrollment.end_date is None
    assert enrollment.order_number == "15-у"
    assert enrollment.order_date == ORDER.date


def test_enroll_overlapping_rejected(world):
    with pytest.raises(ValidationError) as error:
        services.enroll(world.child, world.other_class, D(2026, 10, 1), ORDER)
    assert "пересекаться" in error.value.messages[0]
    assert len(_history(world.child)) == 1


def test_enroll_outside_year_rejected(world):
    student = f.StudentFactory.create()
    with pytest.raises(ValidationError) as error:
        services.enroll(student, world.school_class, D(2027, 7, 1), ORDER)
    assert "вне учебного года" in error.value.messages[0]
    assert not sm.Enrollment.objects.filter(student=student).exists()


def test_enroll_without_order_number_rejected(world):
    student = f.StudentFactory.create()
    with pytest.raises(ValidationError):
        services.enroll(
            student,
            world.school_class,
            D(2026, 9, 15),
            services.Order("  ", ORDER.date),
        )


def test_move_ends_old_class_day_before(world):
    services.move(world.child, world.other_class, D(2026, 11, 2), ORDER)
    assert _history(world.child) == [
        (5, D(2026, 9, 1), D(2026, 11, 1), "class_change"),
        (6, D(2026, 11, 2), None, ""),
    ]


def test_move_to_same_class_rejected(world):
    with pytest.raises(ValidationError):
        services.move(world.child, world.school_class, D(2026, 11, 2), ORDER)


def test_move_to_other_school_rejected(world):
    year_b = f.AcademicYearFactory.create(school=world.other_school)
    class_b = f.SchoolClassFactory.create(academic_year=year_b, grade=5, letter="Я")
    with pytest.raises(ValidationError) as error:
        services.move(world.child, class_b, D(2026, 11, 2), ORDER)
    assert "той же школы" in error.value.messages[0]
    assert len(_history(world.child)) == 1


def test_expel_sets_reason_and_order(world):
    order = services.Order(number="20-о", date=D(2027, 1, 14))
    services.expel(world.child, D(2027, 1, 15), "transfer", order, "в школу № 7")
    enrollment = sm.Enrollment.objects.get(student=world.child)
    assert enrollment.end_date == D(2027, 1, 14)
    assert enrollment.end_reason == "transfer"
    assert enrollment.end_order_number == "20-о"
    assert enrollment.end_order_date == D(2027, 1, 14)
    assert enrollment.history.latest().history_change_reason == "в школу № 7"


def test_expel_unknown_reason_rejected(world):
    with pytest.raises(ValidationError):
        services.expel(world.child, D(2027, 1, 15), "next_grade", ORDER)


def test_expel_not_enrolled_rejected(world):
    student = f.StudentFactory.create()
    with pytest.raises(ValidationError) as error:
        services.expel(student, D(2027, 1, 15), "other", ORDER)
    assert "не числится" in error.value.messages[0]


def test_expel_on_start_day_rejected(world):
    with pytest.raises(ValidationError):
        services.expel(world.child, D(2026, 9, 1), "other", ORDER)


def _access_on(monkeypatch, user, day: datetime.date) -> DiaryAccess:
    monkeypatch.setattr(access, "local_today", lambda _zone: day)
    child, _ = access.get_diary_child_or_404(user, None)
    assert child is not None
    return child.access


def test_expelled_guardian_loses_diary_from_date(world, monkeypatch):
    services.expel(world.child, D(2027, 1, 15), "transfer", ORDER)
    assert _access_on(monkeypatch, world.guardian_user, D(2027, 1, 14)) is (
        DiaryAccess.OPEN
    )
    assert _access_on(monkeypatch, world.guardian_user, D(2027, 1, 15)) is (
        DiaryAccess.TRANSFERRED
    )


def test_re_enroll_after_expulsion(world):
    services.expel(world.child, D(2026, 11, 2), "other", ORDER)
    services.re_enroll(world.child, world.school_class, D(2027, 1, 11), ORDER)
    assert _history(world.child) == [
        (5, D(2026, 9, 1), D(2026, 11, 1), "other"),
        (5, D(2027, 1, 11), None, ""),
    ]


def test_re_enroll_overlapping_rejected(world):
    services.expel(world.child, D(2026, 11, 2), "other", ORDER)
    with pytest.raises(ValidationError):
        services.re_enroll(world.child, world.school_class, D(2026, 10, 1), ORDER)


def test_re_enroll_never_enrolled_rejected(world):
    student = f.StudentFactory.create()
    with pytest.raises(ValidationError):
        services.re_enroll(student, world.school_class, D(2026, 10, 1), ORDER)


# Year rollover


@pytest.fixture
def next_year(world) -> sm.AcademicYear:
    return f.AcademicYearFactory.create(
        school=world.school,
        name="2027/2028",
        start_date=D(2027, 9, 1),
        end_date=D(2028, 5, 31),
    )


@pytest.fixture
def graduate(world) -> sm.Student:
    eleventh = f.SchoolClassFactory.create(
        academic_year=world.year, grade=11, letter="А"
    )
    student = f.StudentFactory.create()
    f.EnrollmentFactory.create(student=student, school_class=eleventh)
    return student


def test_rollover_preview_writes_nothing(world, next_year, graduate):
    before = sm.Enrollment.objects.count()
    plan = services.plan_rollover(world.year, next_year)
    assert plan.errors == []
    rows = {row.source.name: row for row in plan.rows}
    assert rows["5А"].student_count == 2
    assert rows["5А"].target_name == "6А"
    assert not rows["5А"].target_exists
    assert rows["11А"].graduates
    assert plan.promoted_count == 2
    assert plan.graduate_count == 1
    assert sm.Enrollment.objects.count() == before
    assert not sm.SchoolClass.objects.filter(academic_year=next_year).exists()


def test_rollover_promotes_and_graduates(world, next_year, graduate):
    result = services.run_rollover(world.year, next_year, ORDER, D(2027, 6, 25))
    assert result.promoted == 2
    assert result.graduated == 1
    assert result.classes_created == 2  # 6А and 7Б (the empty 6Б moves too)
    assert _history(world.child) == [
        (5, D(2026, 9, 1), D(2027, 8, 31), "next_grade"),
        (6, D(2027, 9, 1), None, ""),
    ]
    new_class = sm.Enrollment.objects.get(
        student=world.child, end_date=None
    ).school_class
    assert new_class.academic_year == next_year
    assert new_class.class_teacher == world.teacher
    assert _history(graduate) == [(11, D(2026, 9, 1), D(2027, 6, 25), "graduation")]


def test_rollover_twice_changes_nothing(world, next_year, graduate):
    services.run_rollover(world.year, next_year, ORDER, D(2027, 6, 25))
    before = list(sm.Enrollment.objects.order_by("pk").values())
    result = services.run_rollover(world.year, next_year, ORDER, D(2027, 6, 25))
    assert (result.promoted, result.graduated, result.classes_created) == (0, 0, 0)
    assert list(sm.Enrollment.objects.order_by("pk").values()) == before


def test_rollover_into_earlier_year_rejected(world):
    earlier = f.AcademicYearFactory.create(
        school=world.school,
        name="2025/2026",
        start_date=D(2025, 9, 1),
        end_date=D(2026, 5, 31),
    )
    with pytest.raises(ValidationError):
        services.run_rollover(world.year, earlier, ORDER, D(2027, 6, 25))
    assert sm.Enrollment.objects.filter(end_date__isnull=False).count() == 0


def test_rollover_bad_graduation_date_writes_nothing(world, next_year, graduate):
    with pytest.raises(ValidationError):
        services.run_rollover(world.year, next_year, ORDER, D(2027, 9, 5))
    assert sm.Enrollment.objects.filter(end_date__isnull=False).count() == 0
    assert not sm.SchoolClass.objects.filter(academic_year=next_year).exists()
