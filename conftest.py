"""Shared test personas.

One school ("Школа № 1", time zone Europe/Moscow, year 2026/2027) with class
5А, where ``guardian`` is the parent of ``child`` and another family's child
``other_child`` studies in the same class. ``teacher`` teaches mathematics in
5А; ``other_teacher`` teaches the same subject in 6Б only. ``school_admin``
runs the school, and ``other_school_admin`` runs a second school.

``browser`` is one headless Chromium for the whole session, shared by every
browser test: Playwright's sync API allows one instance per thread.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from school import models as sm
from school.tests import factories as f


@dataclass
class World:
    school: sm.School
    year: sm.AcademicYear
    quarter: sm.Period
    school_class: sm.SchoolClass
    other_class: sm.SchoolClass
    subject: sm.Subject
    work_type: sm.WorkType
    control_work: sm.WorkType
    assignment: sm.TeachingAssignment
    other_assignment: sm.TeachingAssignment
    guardian: sm.Guardian
    guardian_user: User
    child: sm.Student
    child_user: User
    other_guardian: sm.Guardian
    other_guardian_user: User
    other_child: sm.Student
    teacher: sm.StaffMember
    teacher_user: User
    other_teacher: sm.StaffMember
    other_teacher_user: User
    school_admin: sm.StaffMember
    school_admin_user: User
    other_school: sm.School
    other_school_admin: sm.StaffMember
    other_school_admin_user: User


def _family(
    school_obj: sm.School, school_class: sm.SchoolClass
) -> tuple[sm.Guardian, User, sm.Student, User]:
    guardian_user = UserFactory.create()
    guardian = f.GuardianFactory.create(user=guardian_user)
    child_user = UserFactory.create()
    child = f.StudentFactory.create(user=child_user)
    f.GuardianLinkFactory.create(guardian=guardian, student=child)
    f.EnrollmentFactory.create(student=child, school_class=school_class)
    f.DiaryApplicationFactory.create(
        student=child, guardian=guardian, school=school_obj
    )
    f.ConsentFactory.create(guardian=guardian, student=child)
    return guardian, guardian_user, child, child_user


def _staff(
    school_obj: sm.School, role: str = sm.StaffRole.Role.TEACHER
) -> tuple[sm.StaffMember, User]:
    user = UserFactory.create()
    member = f.StaffMemberFactory.create(user=user)
    f.StaffRoleFactory.create(staff=member, school=school_obj, role=role)
    return member, user


@pytest.fixture
def world(db: None) -> World:
    school_obj = f.SchoolFactory.create(short_name="Школа № 1")
    year = f.AcademicYearFactory.create(school=school_obj)
    quarter = f.PeriodFactory.create(academic_year=year)
    for number, (start, end) in enumerate(
        [((8, 30), (9, 15)), ((9, 25), (10, 10)), ((10, 30), (11, 15))], start=1
    ):
        f.BellFactory.create(
            academic_year=year,
            lesson_number=number,
            starts_at=datetime.time(*start),
            ends_at=datetime.time(*end),
        )
    school_class = f.SchoolClassFactory.create(academic_year=year, grade=5, letter="А")
    other_class = f.SchoolClassFactory.create(academic_year=year, grade=6, letter="Б")
    subject = f.SubjectFactory.create(
        school=school_obj, name="Математика", short_name="Мат"
    )
    work_type = f.WorkTypeFactory.create(school=school_obj)
    control_work = f.WorkTypeFactory.create(
        school=school_obj,
        name="Контрольная работа",
        short_name="к/р",
        weight=5,
        is_control=True,
        is_default=False,
    )

    teacher, teacher_user = _staff(school_obj)
    other_teacher, other_teacher_user = _staff(school_obj)
    admin, admin_user = _staff(school_obj, sm.StaffRole.Role.SCHOOL_ADMIN)
    school_class.class_teacher = teacher
    school_class.save(update_fields=["class_teacher"])
    assignment = f.TeachingAssignmentFactory.create(
        school_class=school_class, subject=subject, teacher=teacher
    )
    other_assignment = f.TeachingAssignmentFactory.create(
        school_class=other_class, subject=subject, teacher=other_teacher
    )

    guardian, guardian_user, child, child_user = _family(school_obj, school_class)
    other_guardian, other_guardian_user, other_child, _ = _family(
        school_obj, school_class
    )

    other_school = f.SchoolFactory.create(short_name="Школа № 2")
    other_admin, other_admin_user = _staff(other_school, sm.StaffRole.Role.SCHOOL_ADMIN)

    return World(
        school=school_obj,
        year=year,
        quarter=quarter,
        school_class=school_class,
        other_class=other_class,
        subject=subject,
        work_type=work_type,
        control_work=control_work,
        assignment=assignment,
        other_assignment=other_assignment,
        guardian=guardian,
        guardian_user=guardian_user,
        child=child,
        child_user=child_user,
        other_guardian=other_guardian,
        other_guardian_user=other_guardian_user,
        other_child=other_child,
        teacher=teacher,
        teacher_user=teacher_user,
        other_teacher=other_teacher,
        other_teacher_user=other_teacher_user,
        school_admin=admin,
        school_admin_user=admin_user,
        other_school=other_school,
        other_school_admin=other_admin,
        other_school_admin_user=other_admin_user,
    )


CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep Chromium off the network: this machine has none, and
# background requests would only fail.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make browser-deps`.")
    # Playwright's sync API runs an event loop in this thread; Django's ORM
    # calls from the test body are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Start every test with an empty cache.

    Rolled-back test data can reuse ids and cache stamps, so an entry left by
    an earlier test could match a later test's key.
    """
    from django.core.cache import cache

    cache.clear()
    yield
