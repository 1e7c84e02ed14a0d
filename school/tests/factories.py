"""factory-boy factories for the school structure and its people."""

from __future__ import annotations

import datetime
import itertools

import factory
from factory.django import DjangoModelFactory

from school import models
from school.snils import make_snils

_snils_numbers = itertools.count(200_000_001)


def next_snils() -> str:
    return make_snils(next(_snils_numbers))


class SchoolFactory(DjangoModelFactory[models.School]):
    class Meta:
        model = models.School

    name = factory.Sequence(
        lambda n: (
            f"Муниципальное бюджетное общеобразовательное учреждение «Школа № {n + 1}»"
        )
    )
    short_name = factory.Sequence(lambda n: f"Школа № {n + 1}")
    time_zone = "Europe/Moscow"


class AcademicYearFactory(DjangoModelFactory[models.AcademicYear]):
    class Meta:
        model = models.AcademicYear

    school = factory.SubFactory(SchoolFactory)
    name = "2026/2027"
    start_date = datetime.date(2026, 9, 1)
    end_date = datetime.date(2027, 5, 31)


class PeriodFactory(DjangoModelFactory[models.Period]):
    class Meta:
        model = models.Period

    academic_year = factory.SubFactory(AcademicYearFactory)
    kind = models.Period.Kind.QUARTER
    number = 2
    grade_from = 1
    grade_to = 9
    start_date = datetime.date(2026, 11, 9)
    end_date = datetime.date(2026, 12, 28)


class BellFactory(DjangoModelFactory[models.Bell]):
    class Meta:
        model = models.Bell

    academic_year = factory.SubFactory(AcademicYearFactory)
    lesson_number = 1
    starts_at = datetime.time(8, 30)
    ends_at = datetime.time(9, 15)


class SubjectFactory(DjangoModelFactory[models.Subject]):
    class Meta:
        model = models.Subject

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Предмет {n + 1}")
    short_name = factory.Sequence(lambda n: f"Пр{n + 1}")


class WorkTypeFactory(DjangoModelFactory[models.WorkType]):
    class Meta:
        model = models.WorkType
        django_get_or_create = ("school", "name")

    school = factory.SubFactory(SchoolFactory)
    name = "Работа на уроке"
    short_name = "урок"
    weight = 1
    is_default = True


class StudentFactory(DjangoModelFactory[models.Student]):
    class Meta:
        model = models.Student

    last_name = factory.Sequence(lambda n: f"Ученикова{n}")
    first_name = "Анна"
    middle_name = "Сергеевна"
    birth_date = datetime.date(2014, 3, 15)
    gender = "F"
    snils = factory.LazyFunction(next_snils)


class GuardianFactory(DjangoModelFactory[models.Guardian]):
    class Meta:
        model = models.Guardian

    last_name = factory.Sequence(lambda n: f"Родителева{n}")
    first_name = "Мария"
    middle_name = "Ивановна"
    birth_date = datetime.date(1985, 6, 1)
    snils = factory.LazyFunction(next_snils)


class GuardianLinkFactory(DjangoModelFactory[models.GuardianLink]):
    class Meta:
        model = models.GuardianLink

    guardian = factory.SubFactory(GuardianFactory)
    student = factory.SubFactory(StudentFactory)
    relation = models.GuardianLink.Relation.MOTHER


class StaffMemberFactory(DjangoModelFactory[models.StaffMember]):
    class Meta:
        model = models.StaffMember

    last_name = factory.Sequence(lambda n: f"Учителев{n}")
    first_name = "Пётр"
    middle_name = "Андреевич"
    birth_date = datetime.date(1980, 1, 20)
    snils = factory.LazyFunction(next_snils)
    position = "учитель"


class StaffRoleFactory(DjangoModelFactory[models.StaffRole]):
    class Meta:
        model = models.StaffRole

    staff = factory.SubFactory(StaffMemberFactory)
    school = factory.SubFactory(SchoolFactory)
    role = models.StaffRole.Role.TEACHER


class SchoolClassFactory(DjangoModelFactory[models.SchoolClass]):
    class Meta:
        model = models.SchoolClass

    academic_year = factory.SubFactory(AcademicYearFactory)
    school = factory.SelfAttribute("academic_year.school")
    grade = 5
    letter = factory.Sequence(lambda n: "АБВГДЕЖЗИКЛМН"[n % 13])


class EnrollmentFactory(DjangoModelFactory[models.Enrollment]):
    class Meta:
        model = models.Enrollment

    student = factory.SubFactory(StudentFactory)
    school_class = factory.SubFactory(SchoolClassFactory)
    start_date = datetime.date(2026, 9, 1)


class TeachingAssignmentFactory(DjangoModelFactory[models.TeachingAssignment]):
    class Meta:
        model = models.TeachingAssignment

    school_class = factory.SubFactory(SchoolClassFactory)
    subject = factory.SubFactory(
        SubjectFactory, school=factory.SelfAttribute("..school_class.school")
    )
    teacher = factory.SubFactory(StaffMemberFactory)
    hours_per_week = 3


class TimetableEntryFactory(DjangoModelFactory[models.TimetableEntry]):
    class Meta:
        model = models.TimetableEntry

    assignment = factory.SubFactory(TeachingAssignmentFactory)
    weekday = 1
    lesson_number = 1
    room = "201"
    valid_from = datetime.date(2026, 9, 1)


class DiaryApplicationFactory(DjangoModelFactory[models.DiaryApplication]):
    class Meta:
        model = models.DiaryApplication

    student = factory.SubFactory(StudentFactory)
    guardian = factory.SubFactory(GuardianFactory)
    school = factory.SubFactory(SchoolFactory)
    status = models.DiaryApplication.Status.FILED
    filed_on = datetime.date(2026, 9, 1)


class ConsentFactory(DjangoModelFactory[models.Consent]):
    class Meta:
        model = models.Consent

    guardian = factory.SubFactory(GuardianFactory)
    student = factory.SubFactory(StudentFactory)
    given_on = datetime.date(2026, 9, 1)
