"""Staff: teachers by discipline, the завуч, the school admin, the director.

The number of teachers of each discipline follows from the weekly hours of
the current year's classes, at about 22 hours a teacher.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict

from school import models
from school.demo import curriculum as c
from school.demo import names
from school.demo.context import DemoContext, Teacher

TARGET_HOURS = 22  # hours a week; a full-time rate (ставка) is 18
PRIMARY_SUBJECTS = {c.RUS, c.LIT_READING, c.MATH, c.WORLD, c.ART, c.LABOUR}

DISCIPLINE_POSITIONS: dict[str, str] = {
    "primary": "учитель начальных классов",
    "russian": "учитель русского языка и литературы",
    "english": "учитель английского языка",
    "math": "учитель математики",
    "informatics": "учитель информатики",
    "history": "учитель истории и обществознания",
    "geography": "учитель географии",
    "biology": "учитель биологии",
    "physics": "учитель физики",
    "chemistry": "учитель химии",
    "art": "учитель изобразительного искусства",
    "music": "учитель музыки",
    "labour": "учитель труда (технологии)",
    "pe": "учитель физической культуры",
    "safety": "преподаватель-организатор ОБЗР",
}

# Share of men among the teachers of a discipline, roughly as in Russian
# schools.
MALE_SHARE: dict[str, float] = {"pe": 0.7, "safety": 1.0, "labour": 0.5, "physics": 0.4}


def discipline_of(subject: str, grade: int) -> str:
    if grade <= 4 and subject in PRIMARY_SUBJECTS:
        return "primary"
    return c.SUBJECTS_BY_NAME[subject].discipline


def discipline_hours(grades: list[int]) -> dict[str, int]:
    """Sum the weekly hours of each discipline over classes of ``grades``;
    a subject taught in two subgroups counts twice."""
    hours: dict[str, int] = defaultdict(int)
    for grade in grades:
        split = c.split_subjects(grade)
        for subject, weekly in c.HOURS[grade].items():
            groups = 2 if subject in split else 1
            hours[discipline_of(subject, grade)] += weekly * groups
    return hours


def _person_names(ctx: DemoContext, gender: str) -> tuple[str, str, str]:
    rng = ctx.rng
    surname = rng.choice(names.SURNAMES)
    father = rng.choice(names.MALE_NAMES)
    if gender == "M":
        first = rng.choice(names.MALE_NAMES)[0]
        return surname[0], first, father[2]
    first = rng.choice(names.WOMAN_NAMES)[0]
    return surname[1], first, father[3]


def make_staff_member(
    ctx: DemoContext, gender: str, position: str
) -> models.StaffMember:
    last, first, middle = _person_names(ctx, gender)
    birth_year = ctx.rng.randint(1962, 1999)
    return models.StaffMember.objects.create(
        last_name=last,
        first_name=first,
        middle_name=middle,
        birth_date=datetime.date(
            birth_year, ctx.rng.randint(1, 12), ctx.rng.randint(1, 28)
        ),
        snils=ctx.next_snils(),
        position=position,
    )


def hire_staff(ctx: DemoContext) -> None:
    """Create the teachers, the завуч, the school admin and the director."""
    grades = [school_class.grade for school_class in ctx.classes]
    hours = discipline_hours(grades)
    primary_classes = sum(1 for grade in grades if grade <= 4)
    primary_rooms = iter(range(101, 140))
    subject_rooms = iter(range(201, 400))
    gyms = iter(
        ["Спортивный зал 1", "Спортивный зал 2", "Спортивный зал 3", "Спортивный зал 4"]
    )
    roles: list[models.StaffRole] = []

    for discipline, position in DISCIPLINE_POSITIONS.items():
        if discipline == "primary":
            count = primary_classes
        elif discipline in {"english", "informatics", "labour"}:
            # Subgroups of one class need two different teachers.
            count = max(2, math.ceil(hours[discipline] / (TARGET_HOURS + 2)))
        else:
            count = max(1, math.ceil(hours[discipline] / (TARGET_HOURS + 5)))
        for index in range(count):
            share = MALE_SHARE.get(discipline, 0.15)
            if discipline == "labour":
                gender = "M" if index % 2 == 0 else "F"
            else:
                gender = "M" if ctx.rng.random() < share else "F"
            staff = make_staff_member(ctx, gender, position)
            if discipline == "primary":
                room = str(next(primary_rooms))
            elif discipline == "pe":
                room = next(gyms)
            else:
                room = str(next(subject_rooms))
            ctx.teachers.append(Teacher(staff, gender, [discipline], room))
            roles.append(
                models.StaffRole(staff=staff, school=ctx.school, role="teacher")
            )

    # The завуч teaches mathematics with a reduced load.
    head = make_staff_member(
        ctx, "F", "заместитель директора по учебно-воспитательной работе"
    )
    ctx.teachers.append(
        Teacher(head, "F", ["math"], str(next(subject_rooms)), max_hours=10)
    )
    ctx.head_of_studies = head
    roles.append(models.StaffRole(staff=head, school=ctx.school, role="teacher"))
    roles.append(
        models.StaffRole(staff=head, school=ctx.school, role="head_of_studies")
    )

    admin = make_staff_member(ctx, "F", "администратор электронного журнала")
    ctx.school_admin = admin
    roles.append(models.StaffRole(staff=admin, school=ctx.school, role="school_admin"))

    director = make_staff_member(ctx, "M", "директор")
    ctx.director = director
    roles.append(models.StaffRole(staff=director, school=ctx.school, role="director"))
    models.StaffRole.objects.bulk_create(roles)


def teachers_of(ctx: DemoContext, discipline: str) -> list[Teacher]:
    return [t for t in ctx.teachers if discipline in t.disciplines]
