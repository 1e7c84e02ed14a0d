"""Test data for the admin tests: a second school with its own people.

The ``world`` personas (conftest.py) give school A with its administrator;
:func:`make_school_b` adds to the other school a year, a class, a student
with a guardian, an application, a consent and a teacher, so every admin
page has a record of school B to leak.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from simple_history.utils import bulk_create_with_history

from conftest import World
from school import models as sm
from school.snils import make_snils
from school.tests import factories as f


@dataclass
class SchoolB:
    school: sm.School
    year: sm.AcademicYear
    school_class: sm.SchoolClass
    student: sm.Student
    guardian: sm.Guardian
    link: sm.GuardianLink
    enrollment: sm.Enrollment
    application: sm.DiaryApplication
    consent: sm.Consent
    teacher: sm.StaffMember
    role: sm.StaffRole
    subject: sm.Subject
    work_type: sm.WorkType
    period: sm.Period


def make_school_b(world: World) -> SchoolB:
    school = world.other_school
    year = f.AcademicYearFactory.create(school=school)
    school_class = f.SchoolClassFactory.create(academic_year=year, grade=7, letter="Ж")
    student = f.StudentFactory.create(last_name="Чужаков", first_name="Бенедикт")
    guardian = f.GuardianFactory.create(last_name="Чужакова", first_name="Берта")
    link = f.GuardianLinkFactory.create(guardian=guardian, student=student)
    enrollment = f.EnrollmentFactory.create(student=student, school_class=school_class)
    application = f.DiaryApplicationFactory.create(
        student=student, guardian=guardian, school=school
    )
    consent = f.ConsentFactory.create(guardian=guardian, student=student)
    teacher = f.StaffMemberFactory.create(last_name="Чужеучителев")
    role = f.StaffRoleFactory.create(staff=teacher, school=school)
    subject = f.SubjectFactory.create(school=school, name="Чужая химия")
    work_type = f.WorkTypeFactory.create(school=school, name="Чужая работа")
    period = f.PeriodFactory.create(academic_year=year)
    return SchoolB(
        school=school,
        year=year,
        school_class=school_class,
        student=student,
        guardian=guardian,
        link=link,
        enrollment=enrollment,
        application=application,
        consent=consent,
        teacher=teacher,
        role=role,
        subject=subject,
        work_type=work_type,
        period=period,
    )


def add_students(
    school_class: sm.SchoolClass, school: sm.School, count: int, first_number: int
) -> None:
    """Bulk-create ``count`` students with a guardian, enrollment, application
    and consent each, for query-count tests."""
    students = bulk_create_with_history(
        [
            sm.Student(
                last_name=f"Массов{n}",
                first_name="Иван",
                birth_date=datetime.date(2014, 1, 1),
                snils=make_snils(first_number + n),
            )
            for n in range(count)
        ],
        sm.Student,
    )
    guardians = sm.Guardian.objects.bulk_create(
        sm.Guardian(
            last_name=f"Массова{n}",
            first_name="Анна",
            snils=make_snils(first_number + count + n),
        )
        for n in range(count)
    )
    sm.GuardianLink.objects.bulk_create(
        sm.GuardianLink(guardian=guardian, student=student, relation="mother")
        for guardian, student in zip(guardians, students, strict=True)
    )
    bulk_create_with_history(
        [
            sm.Enrollment(
                student=student,
                school_class=school_class,
                start_date=datetime.date(2026, 9, 1),
            )
            for student in students
        ],
        sm.Enrollment,
    )
    sm.DiaryApplication.objects.bulk_create(
        sm.DiaryApplication(
            student=student,
            guardian=guardian,
            school=school,
            status="filed",
            filed_on=datetime.date(2026, 9, 1),
        )
        for guardian, student in zip(guardians, students, strict=True)
    )
    sm.Consent.objects.bulk_create(
        sm.Consent(
            guardian=guardian, student=student, given_on=datetime.date(2026, 9, 1)
        )
        for guardian, student in zip(guardians, students, strict=True)
    )
    staff = sm.StaffMember.objects.bulk_create(
        sm.StaffMember(
            last_name=f"Массучитель{n}",
            first_name="Олег",
            snils=make_snils(first_number + 2 * count + n),
        )
        for n in range(count)
    )
    sm.StaffRole.objects.bulk_create(
        sm.StaffRole(staff=member, school=school, role="teacher") for member in staff
    )
