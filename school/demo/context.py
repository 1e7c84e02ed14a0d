"""State shared by the steps that build the demo school."""

from __future__ import annotations

import datetime
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from school import models
from school.demo.calendar import YearCalendar
from school.snils import make_snils

# Demo SNILS numbers start here; the test factories use numbers from
# 200 000 001, so both sets can live in one database.
FIRST_SNILS_NUMBER = 150_000_001


@dataclass
class Teacher:
    staff: models.StaffMember
    gender: str
    disciplines: list[str]
    room: str
    max_hours: int = 27
    hours: float = 0.0


@dataclass
class Pupil:
    """A pupil before and after saving: placement, family and the record."""

    gender: str
    cohort_grade: int  # grade in the current year (12 for last year's leavers)
    current_class: models.SchoolClass | None
    previous_class: models.SchoolClass | None
    # Last year's leavers: graduates of grade 11, and of grade 9 who left.
    left_after_previous: bool = False
    record: models.Student | None = None
    family: Family | None = None
    ability: float = 4.0
    transferred_on: datetime.date | None = None


@dataclass
class Family:
    surname_male: str
    surname_female: str
    father: tuple[str, str, str, str]  # a row of names.MALE_NAMES
    children: list[Pupil] = field(default_factory=list)
    # (guardian record, relation) in the order the family lists them.
    guardians: list[tuple[models.Guardian, str]] = field(default_factory=list)
    # Diary status: "filed", "refused", "stopped" or "none".
    diary: str = "filed"
    # When False, only the first guardian gave consent.
    all_consent: bool = True


@dataclass
class DemoContext:
    rng: random.Random
    today: datetime.date
    school: models.School
    current: YearCalendar
    previous: YearCalendar
    subjects: dict[str, models.Subject] = field(default_factory=dict)
    work_types: dict[str, models.WorkType] = field(default_factory=dict)
    classes: list[models.SchoolClass] = field(default_factory=list)
    previous_classes: list[models.SchoolClass] = field(default_factory=list)
    teachers: list[Teacher] = field(default_factory=list)
    head_of_studies: models.StaffMember | None = None
    school_admin: models.StaffMember | None = None
    director: models.StaffMember | None = None
    pupils: list[Pupil] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    # Staff member who is also a guardian: the same person, the same SNILS.
    teacher_parent: tuple[models.StaffMember, models.Guardian] | None = None
    assignments: list[models.TeachingAssignment] = field(default_factory=list)
    previous_assignments: list[models.TeachingAssignment] = field(default_factory=list)
    subgroup_members: dict[int, set[int]] = field(default_factory=dict)
    timetable: list[models.TimetableEntry] = field(default_factory=list)
    timetable_change_date: datetime.date | None = None
    # A teacher off sick for a few days, whose lessons others took.
    absent_teacher: models.StaffMember | None = None
    absent_days: list[datetime.date] = field(default_factory=list)
    _snils: Iterator[int] = field(
        default_factory=lambda: itertools.count(FIRST_SNILS_NUMBER)
    )

    def next_snils(self) -> str:
        # Steps of 7 make neighbouring numbers look less like a sequence.
        number = next(self._snils)
        return make_snils(FIRST_SNILS_NUMBER + (number - FIRST_SNILS_NUMBER) * 7)


def student_of(pupil: Pupil) -> models.Student:
    """Return the pupil's saved record; the people step creates it first."""
    if pupil.record is None:
        raise ValueError("the pupil has no student record yet")
    return pupil.record


def birth_date_of(
    person: models.Student | models.Guardian | models.StaffMember,
) -> datetime.date:
    """Return the birth date that every demo person has."""
    if person.birth_date is None:
        raise ValueError(f"person {person.pk} has no birth date")
    return person.birth_date
