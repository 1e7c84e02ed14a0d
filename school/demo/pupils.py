"""Classes, pupils, families, guardians, enrollments and subgroups.

Pupils are placed first (class of this year and of last year), then grouped
into families, which gives them surnames and patronymics: a child's middle
name comes from the father's first name. Some families have two or three
children in different grades.
"""

from __future__ import annotations

import datetime

from school import models
from school.demo import curriculum as c
from school.demo import names
from school.demo.context import (
    DemoContext,
    Family,
    Pupil,
    birth_date_of,
    student_of,
)

# Classes per grade in the current year. Last year's classes of a cohort are
# the same letters one grade lower, except grade 9, which had three classes
# that were merged into two classes of grade 10.
CLASS_COUNTS: dict[int, int] = {
    1: 3, 2: 3, 3: 2, 4: 3, 5: 3, 6: 2, 7: 3, 8: 2, 9: 3, 10: 2, 11: 2,
}  # fmt: skip
PREVIOUS_NINTH_CLASSES = 3
PREVIOUS_ELEVENTH_CLASSES = 2
LETTERS = "АБВ"
LEAVER_COHORT = 12


def create_classes(ctx: DemoContext) -> None:
    current_year = ctx.current.year
    previous_year = ctx.previous.year
    current = [
        models.SchoolClass(
            school=ctx.school, academic_year=current_year, grade=grade, letter=letter
        )
        for grade, count in CLASS_COUNTS.items()
        for letter in LETTERS[:count]
    ]
    previous_counts = {grade - 1: count for grade, count in CLASS_COUNTS.items()}
    previous_counts.pop(0)
    previous_counts[9] = PREVIOUS_NINTH_CLASSES
    previous_counts[11] = PREVIOUS_ELEVENTH_CLASSES
    previous = [
        models.SchoolClass(
            school=ctx.school, academic_year=previous_year, grade=grade, letter=letter
        )
        for grade, count in sorted(previous_counts.items())
        for letter in LETTERS[:count]
    ]
    ctx.classes = models.SchoolClass.objects.bulk_create(current)
    ctx.previous_classes = models.SchoolClass.objects.bulk_create(previous)


def _previous_class(ctx: DemoContext, grade: int, letter: str) -> models.SchoolClass:
    for school_class in ctx.previous_classes:
        if school_class.grade == grade and school_class.letter == letter:
            return school_class
    raise LookupError(f"no class {grade}{letter} last year")


def _new_pupil(
    ctx: DemoContext,
    cohort: int,
    current: models.SchoolClass | None,
    previous: models.SchoolClass | None,
    left: bool = False,
) -> Pupil:
    ability = min(4.97, max(2.9, ctx.rng.gauss(4.15, 0.45)))
    return Pupil(
        gender=ctx.rng.choice("MF"),
        cohort_grade=cohort,
        current_class=current,
        previous_class=previous,
        left_after_previous=left,
        ability=ability,
    )


def place_pupils(ctx: DemoContext) -> None:
    """Decide how many pupils each class has and where each pupil was last year."""
    rng = ctx.rng
    for school_class in ctx.classes:
        grade = school_class.grade
        size = rng.randint(21, 27)
        if grade == 1:
            newcomers = size
        elif grade == 10:
            newcomers = rng.randint(3, 6)
        else:
            newcomers = rng.choice([0, 0, 1, 1, 2])
        for index in range(size):
            previous = None
            if index >= newcomers:
                if grade == 10:
                    letter = LETTERS[rng.randrange(PREVIOUS_NINTH_CLASSES)]
                else:
                    letter = school_class.letter
                previous = _previous_class(ctx, grade - 1, letter)
            ctx.pupils.append(_new_pupil(ctx, grade, school_class, previous))

    # Grade 9 pupils of last year who left school for a college, and last
    # year's grade 11 graduates.
    for school_class in ctx.previous_classes:
        if school_class.grade not in (9, 11):
            continue
        present = sum(1 for p in ctx.pupils if p.previous_class is school_class)
        target = rng.randint(22, 27)
        cohort = 10 if school_class.grade == 9 else LEAVER_COHORT
        for _ in range(max(0, target - present)):
            ctx.pupils.append(_new_pupil(ctx, cohort, None, school_class, left=True))


def _birth_date(ctx: DemoContext, cohort: int) -> datetime.date:
    """Return a birth date that fits the grade: a first-grader on 1 September
    is between six and a half and seven and a half years old."""
    start_year = ctx.current.year.start_date.year
    first = datetime.date(start_year - 7 - cohort, 9, 1)
    return first + datetime.timedelta(days=ctx.rng.randrange(365))


def _make_families(ctx: DemoContext) -> None:
    rng = ctx.rng
    order = list(ctx.pupils)
    rng.shuffle(order)
    for pupil in order:
        if pupil.family is not None:
            continue
        surname = rng.choice(names.SURNAMES)
        family = Family(
            surname_male=surname[0],
            surname_female=surname[1],
            father=rng.choice(names.MALE_NAMES),
        )
        family.children.append(pupil)
        pupil.family = family
        size = rng.choices([1, 2, 3], weights=[76, 20, 4])[0]
        for candidate in order:
            if len(family.children) >= size:
                break
            if candidate.family is not None:
                continue
            cohorts = [child.cohort_grade for child in family.children]
            if all(2 <= abs(candidate.cohort_grade - g) <= 8 for g in cohorts):
                family.children.append(candidate)
                candidate.family = family
        ctx.families.append(family)


def _name_children(ctx: DemoContext, family: Family) -> list[models.Student]:
    used: set[str] = set()
    students = []
    for child in family.children:
        bank = names.BOY_NAMES if child.gender == "M" else names.GIRL_NAMES
        first = ctx.rng.choice([n for n, _ in bank if n not in used])
        used.add(first)
        male = child.gender == "M"
        child.record = models.Student(
            last_name=family.surname_male if male else family.surname_female,
            first_name=first,
            middle_name=family.father[2] if male else family.father[3],
            birth_date=_birth_date(ctx, child.cohort_grade),
            gender=child.gender,
            snils=ctx.next_snils(),
        )
        students.append(child.record)
    return students


def _phone(ctx: DemoContext) -> str:
    digits = f"{ctx.rng.randrange(10**7):07d}"
    return f"+7 (9{ctx.rng.randint(10, 99)}) {digits[:3]}-{digits[3:5]}-{digits[5:]}"


def _make_guardians(ctx: DemoContext, family: Family) -> None:
    rng = ctx.rng
    oldest = min(birth_date_of(student_of(child)) for child in family.children)
    mother_birth = oldest.replace(year=oldest.year - rng.randint(22, 36), day=1)
    mother_birth += datetime.timedelta(days=rng.randrange(27))
    roll = rng.random()
    members: list[tuple[str, str]] = []
    if roll < 0.62:
        members = [("mother", "F"), ("father", "M")]
    elif roll < 0.91:
        members = [("mother", "F")]
    elif roll < 0.97:
        members = [("father", "M")]
    else:
        members = [("guardian", "F")]
    for relation, _gender in members:
        if relation == "father":
            last, first = family.surname_male, family.father[0]
            middle = rng.choice(names.MALE_NAMES)[2]
            birth = mother_birth.replace(year=mother_birth.year - rng.randint(-2, 6))
        elif relation == "mother":
            own = rng.random() < 0.12
            last = rng.choice(names.SURNAMES)[1] if own else family.surname_female
            first = rng.choice(names.WOMAN_NAMES)[0]
            middle = rng.choice(names.MALE_NAMES)[3]
            birth = mother_birth
        else:
            # A grandmother who is the children's legal guardian (опекун).
            last = rng.choice(names.SURNAMES)[1]
            first = rng.choice(names.WOMAN_NAMES)[0]
            middle = rng.choice(names.MALE_NAMES)[3]
            birth = mother_birth.replace(year=mother_birth.year - 25)
        guardian = models.Guardian(
            last_name=last,
            first_name=first,
            middle_name=middle,
            birth_date=birth,
            snils=ctx.next_snils(),
            phone=_phone(ctx),
        )
        family.guardians.append((guardian, relation))


def _make_teacher_parent(ctx: DemoContext) -> None:
    """Make one teacher the mother of a current pupil: one person with a staff
    record and a guardian record that share a SNILS."""
    teachers = [
        t for t in ctx.teachers if t.gender == "F" and "primary" not in t.disciplines
    ]
    for family in ctx.families:
        child = family.children[0]
        if len(family.children) != 1 or child.current_class is None:
            continue
        if [relation for _, relation in family.guardians] != ["mother"]:
            continue
        for teacher in teachers:
            staff = teacher.staff
            age_gap = birth_date_of(student_of(child)).year - birth_date_of(staff).year
            if 25 <= age_gap <= 35:
                guardian = family.guardians[0][0]
                guardian.last_name = staff.last_name
                guardian.first_name = staff.first_name
                guardian.middle_name = staff.middle_name
                guardian.birth_date = staff.birth_date
                guardian.snils = staff.snils
                ctx.teacher_parent = (staff, guardian)
                return


def create_people(ctx: DemoContext) -> None:
    """Create pupils, guardians and links, then enrollments and subgroups."""
    place_pupils(ctx)
    _make_families(ctx)
    students: list[models.Student] = []
    for family in ctx.families:
        students.extend(_name_children(ctx, family))
        _make_guardians(ctx, family)
    _make_teacher_parent(ctx)
    models.Student.objects.bulk_create(students)
    guardians = [g for family in ctx.families for g, _ in family.guardians]
    models.Guardian.objects.bulk_create(guardians)
    links = [
        models.GuardianLink(guardian=guardian, student=child.record, relation=relation)
        for family in ctx.families
        for guardian, relation in family.guardians
        for child in family.children
    ]
    models.GuardianLink.objects.bulk_create(links)
    _enroll(ctx)
    _make_subgroups(ctx)


def _enroll(ctx: DemoContext) -> None:
    previous_start = ctx.previous.year.start_date
    previous_end = ctx.previous.year.end_date
    graduation = previous_end.replace(month=6, day=30)
    current_start = ctx.current.year.start_date
    promotion_order = ("118-у", previous_end - datetime.timedelta(days=2))
    enrollments = []
    order_number = 140
    for pupil in ctx.pupils:
        if pupil.previous_class is not None:
            left = pupil.left_after_previous
            enrollments.append(
                models.Enrollment(
                    student=pupil.record,
                    school_class=pupil.previous_class,
                    start_date=previous_start,
                    end_date=graduation if left else previous_end,
                    end_reason="graduation" if left else "next_grade",
                    order_number="96-у",
                    order_date=previous_start - datetime.timedelta(days=3),
                    end_order_number="131-в" if left else promotion_order[0],
                    end_order_date=graduation if left else promotion_order[1],
                )
            )
        if pupil.current_class is not None:
            if pupil.previous_class is None:
                order_number += 1
                order = (
                    f"{order_number}-з",
                    current_start - datetime.timedelta(days=5),
                )
            else:
                order = promotion_order
            enrollments.append(
                models.Enrollment(
                    student=pupil.record,
                    school_class=pupil.current_class,
                    start_date=current_start,
                    order_number=order[0],
                    order_date=order[1],
                )
            )
    models.Enrollment.objects.bulk_create(enrollments)


def class_pupils(ctx: DemoContext, school_class: models.SchoolClass) -> list[Pupil]:
    pupils = [p for p in ctx.pupils if p.current_class is school_class]
    return sorted(pupils, key=lambda p: (p.record.last_name, p.record.first_name))  # type: ignore[union-attr]


def _make_subgroups(ctx: DemoContext) -> None:
    """Split classes into two subgroups per split subject: English and
    computing by the alphabetical list, labour lessons by gender."""
    subgroups: list[models.Subgroup] = []
    members: list[tuple[models.Subgroup, list[Pupil]]] = []
    for school_class in ctx.classes:
        pupils = class_pupils(ctx, school_class)
        for subject in sorted(c.split_subjects(school_class.grade)):
            first_name, second_name = c.SUBGROUP_NAMES[subject]
            if subject == c.LABOUR:
                first = [p for p in pupils if p.gender == "M"]
                second = [p for p in pupils if p.gender == "F"]
            else:
                half = (len(pupils) + 1) // 2
                first, second = pupils[:half], pupils[half:]
            for name, group in ((first_name, first), (second_name, second)):
                subgroup = models.Subgroup(school_class=school_class, name=name)
                subgroups.append(subgroup)
                members.append((subgroup, group))
    models.Subgroup.objects.bulk_create(subgroups)
    memberships: list[models.SubgroupMembership] = []
    for subgroup, group in members:
        ctx.subgroup_members[subgroup.pk] = {p.record.pk for p in group}  # type: ignore[union-attr]
        memberships.extend(
            models.SubgroupMembership(subgroup=subgroup, student=p.record)
            for p in group
        )
    models.SubgroupMembership.objects.bulk_create(memberships)
