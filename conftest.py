"""Shared test personas.

One school ("Школа № 1", time zone Europe/Moscow, year 2026/2027) with class
5А, where ``guardian`` is the parent of ``child`` and another family's child
``other_child`` studies in the same class. ``teacher`` teaches mathematics in
5А; ``other_teacher`` teaches the same subject in 6Б only. ``school_admin``
runs the school, and ``other_school_admin`` runs a second school.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from school import models as school
from school.tests import factories as f


@dataclass
class World:
    school: school.School
    year: school.AcademicYear
    quarter: school.Period
    school_class: school.SchoolClass
    other_class: school.SchoolClass
    subject: school.Subject
    work_type: school.WorkType
    control_work: school.WorkType
    assignment: school.TeachingAssignment
    other_assignment: school.TeachingAssignment
    guardian: school.Guardian
    guardian_user: User
    child: school.Student
    child_user: User
    other_guardian: school.Guardian
    other_guardian_user: User
    other_child: school.Student
    teacher: school.StaffMember
    teacher_user: User
    other_teacher: school.StaffMember
    other_teacher_user: User
    school_admin: school.StaffMember
    school_admin_user: User
    other_school: school.School
    other_school_admin: school.StaffMember
    other_school_admin_user: User


def _family(
    school_obj: school.School, school_class: school.SchoolClass
) -> tuple[school.Guardian, User, school.Student, User]:
    guardian_user = UserFactory()
    guardian = f.GuardianFactory(user=guardian_user)
    child_user = UserFactory()
    child = f.StudentFactory(user=child_user)
    f.GuardianLinkFactory(guardian=guardian, student=child)
    f.EnrollmentFactory(student=child, school_class=school_class)
    f.DiaryApplicationFactory(student=child, guardian=guardian, school=school_obj)
    f.ConsentFactory(guardian=guardian, student=child)
    return guardian, guardian_user, child, child_user


def _staff(
    school_obj: school.School, role: str = school.StaffRole.Role.TEACHER
) -> tuple[school.StaffMember, User]:
    user = UserFactory()
    member = f.StaffMemberFactory(user=user)
    f.StaffRoleFactory(staff=member, school=school_obj, role=role)
    return member, user


@pytest.fixture
def world(db: None) -> World:
    school_obj = f.SchoolFactory(short_name="Школа № 1")
    year = f.AcademicYearFactory(school=school_obj)
    quarter = f.PeriodFactory(academic_year=year)
    for number, (start, end) in enumerate(
        [((8, 30), (9, 15)), ((9, 25), (10, 10)), ((10, 30), (11, 15))], start=1
    ):
        f.BellFactory(
            academic_year=year,
            lesson_number=number,
            starts_at=datetime.time(*start),
            ends_at=datetime.time(*end),
        )
    school_class = f.SchoolClassFactory(academic_year=year, grade=5, letter="А")
    other_class = f.SchoolClassFactory(academic_year=year, grade=6, letter="Б")
    subject = f.SubjectFactory(school=school_obj, name="Математика", short_name="Мат")
    work_type = f.WorkTypeFactory(school=school_obj)
    control_work = f.WorkTypeFactory(
        school=school_obj,
        name="Контрольная работа",
        short_name="к/р",
        weight=5,
        is_control=True,
        is_default=False,
    )

    teacher, teacher_user = _staff(school_obj)
    other_teacher, other_teacher_user = _staff(school_obj)
    admin, admin_user = _staff(school_obj, school.StaffRole.Role.SCHOOL_ADMIN)
    school_class.class_teacher = teacher
    school_class.save(update_fields=["class_teacher"])
    assignment = f.TeachingAssignmentFactory(
        school_class=school_class, subject=subject, teacher=teacher
    )
    other_assignment = f.TeachingAssignmentFactory(
        school_class=other_class, subject=subject, teacher=other_teacher
    )

    guardian, guardian_user, child, child_user = _family(school_obj, school_class)
    other_guardian, other_guardian_user, other_child, _ = _family(
        school_obj, school_class
    )

    other_school = f.SchoolFactory(short_name="Школа № 2")
    other_admin, other_admin_user = _staff(
        other_school, school.StaffRole.Role.SCHOOL_ADMIN
    )

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
