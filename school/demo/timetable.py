"""Teaching assignments and the weekly timetable.

The timetable is found by local search. Every class's lessons are first laid
out in the class's own slots, which start from the first lesson and have no
gaps. Then lessons of one class swap places until no teacher has two lessons
at once and no subject comes more often in a day than its weekly hours need.
"""

from __future__ import annotations

import datetime
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from school import models
from school.demo import curriculum as c
from school.demo.context import DemoContext, Teacher
from school.demo.staff import discipline_of, teachers_of

logger = logging.getLogger(__name__)

DAYS = 5
SLOTS_PER_DAY = 8  # slot id = day * 8 + lesson number (1–7)
CLASH_WEIGHT = 20
SUBJECT_DAY_WEIGHT = 2


def _pick_teacher(
    candidates: list[Teacher], hours: int, exclude: Teacher | None, gender: str | None
) -> Teacher:
    pool = [t for t in candidates if t is not exclude] or candidates
    if gender is not None and any(t.gender == gender for t in pool):
        pool = [t for t in pool if t.gender == gender]
    fitting = [t for t in pool if t.hours + hours <= t.max_hours]
    chosen = min(fitting or pool, key=lambda t: t.hours)
    chosen.hours += hours
    return chosen


def assign_teaching(ctx: DemoContext) -> None:
    """Create this year's assignments (with subgroups) and last year's."""
    subgroups = {
        (sg.school_class_id, sg.name): sg
        for sg in models.Subgroup.objects.filter(school_class__in=ctx.classes)
    }
    primary = teachers_of(ctx, "primary")
    primary_classes = [k for k in ctx.classes if k.grade <= 4]
    class_primary = dict(zip([k.pk for k in primary_classes], primary, strict=True))
    assignments: list[models.TeachingAssignment] = []

    # Bundle a discipline's subjects in a class, so one teacher takes them all;
    # the biggest bundles are placed first.
    bundles: dict[tuple[int, str], list[str]] = defaultdict(list)
    for school_class in ctx.classes:
        for subject in c.HOURS[school_class.grade]:
            discipline = discipline_of(subject, school_class.grade)
            bundles[(school_class.pk, discipline)].append(subject)
    by_pk = {k.pk: k for k in ctx.classes}
    order = sorted(
        bundles.items(),
        key=lambda item: -sum(c.HOURS[by_pk[item[0][0]].grade][s] for s in item[1]),
    )
    for (class_pk, discipline), subjects in order:
        school_class = by_pk[class_pk]
        grade = school_class.grade
        hours = sum(c.HOURS[grade][s] for s in subjects)
        split = [s for s in subjects if s in c.split_subjects(grade)]
        if discipline == "primary":
            teacher = class_primary[class_pk]
            teacher.hours += hours
            groups: list[tuple[Teacher, models.Subgroup | None]] = [(teacher, None)]
        elif split:
            first = _pick_teacher(
                teachers_of(ctx, discipline),
                hours,
                None,
                "M" if discipline == "labour" else None,
            )
            second = _pick_teacher(
                teachers_of(ctx, discipline),
                hours,
                first,
                "F" if discipline == "labour" else None,
            )
            names = c.SUBGROUP_NAMES[split[0]]
            groups = [
                (first, subgroups[(class_pk, names[0])]),
                (second, subgroups[(class_pk, names[1])]),
            ]
        else:
            groups = [
                (_pick_teacher(teachers_of(ctx, discipline), hours, None, None), None)
            ]
        for subject in subjects:
            for teacher, subgroup in groups:
                assignments.append(
                    models.TeachingAssignment(
                        school_class=school_class,
                        subgroup=subgroup,
                        subject=ctx.subjects[subject],
                        teacher=teacher.staff,
                        hours_per_week=Decimal(c.HOURS[grade][subject]),
                    )
                )
    ctx.assignments = models.TeachingAssignment.objects.bulk_create(assignments)

    # Last year: whole-class assignments, for the authors of final marks.
    previous: list[models.TeachingAssignment] = []
    for index, school_class in enumerate(ctx.previous_classes):
        for subject, hours in c.HOURS[school_class.grade].items():
            candidates = teachers_of(ctx, discipline_of(subject, school_class.grade))
            teacher = candidates[(index + len(subject)) % len(candidates)]
            previous.append(
                models.TeachingAssignment(
                    school_class=school_class,
                    subject=ctx.subjects[subject],
                    teacher=teacher.staff,
                    hours_per_week=Decimal(hours),
                )
            )
    ctx.previous_assignments = models.TeachingAssignment.objects.bulk_create(previous)


def assign_class_teachers(ctx: DemoContext) -> None:
    """Give every class a class teacher: the primary teacher in grades 1–4,
    otherwise a teacher of the class who leads no other class."""
    leading_teacher_ids: set[int] = set()
    teaching: dict[int, list[models.StaffMember]] = defaultdict(list)
    for assignment in ctx.assignments:
        teaching[assignment.school_class_id].append(assignment.teacher)
    excluded = {ctx.head_of_studies.pk} if ctx.head_of_studies else set()
    for school_class in ctx.classes:
        for teacher in teaching[school_class.pk]:
            if teacher.pk not in leading_teacher_ids and teacher.pk not in excluded:
                school_class.class_teacher = teacher
                leading_teacher_ids.add(teacher.pk)
                break
    # Last year's class teacher of a cohort is this year's, where possible.
    current = {(k.grade - 1, k.letter): k.class_teacher for k in ctx.classes}
    free = [t.staff for t in ctx.teachers if t.staff.pk not in leading_teacher_ids]
    for index, school_class in enumerate(ctx.previous_classes):
        led = current.get((school_class.grade, school_class.letter))
        school_class.class_teacher = led or free[index % len(free)]
    models.SchoolClass.objects.bulk_update(
        ctx.classes + ctx.previous_classes, ["class_teacher"]
    )


@dataclass
class _Block:
    """Lessons that take one slot of a class: one lesson, or two subgroups."""

    subject: str
    assignments: list[models.TeachingAssignment]
    teacher_ids: list[int]
    daily_limit: int


def _day_lengths(total: int) -> list[int]:
    base, extra = divmod(total, DAYS)
    # Longer days in the middle of the week.
    longer = [1, 2, 3, 0, 4][:extra]
    return [base + (1 if day in longer else 0) for day in range(DAYS)]


def _blocks_for(ctx: DemoContext, school_class: models.SchoolClass) -> list[_Block]:
    by_subject: dict[str, list[models.TeachingAssignment]] = defaultdict(list)
    for assignment in ctx.assignments:
        if assignment.school_class_id == school_class.pk:
            by_subject[assignment.subject.name].append(assignment)
    blocks = []
    for subject, hours in c.HOURS[school_class.grade].items():
        group = by_subject[subject]
        limit = math.ceil(hours / DAYS)
        for _ in range(hours):
            blocks.append(_Block(subject, group, [a.teacher_id for a in group], limit))
    return blocks


class _Search:
    """Local search over per-class layouts; the cost counts teacher clashes
    (heavily) and lessons of one subject in a day above its daily limit."""

    def __init__(self, ctx: DemoContext) -> None:
        self.rng = ctx.rng
        self.classes = list(ctx.classes)
        self.slots: list[list[int]] = []
        self.layout: list[list[_Block]] = []
        self.limits: list[dict[str, int]] = []
        self.teacher_load: dict[tuple[int, int], int] = defaultdict(int)
        self.subject_day: dict[tuple[int, str, int], int] = defaultdict(int)
        for index, school_class in enumerate(self.classes):
            blocks = _blocks_for(ctx, school_class)
            lengths = _day_lengths(len(blocks))
            slots = [
                day * SLOTS_PER_DAY + number
                for day in range(DAYS)
                for number in range(1, lengths[day] + 1)
            ]
            # Deal the lessons subject by subject round the days, so that a
            # subject starts spread over the week.
            blocks.sort(key=lambda b: b.subject)
            free: dict[int, list[int]] = defaultdict(list)
            for position, slot in enumerate(slots):
                free[slot // SLOTS_PER_DAY].append(position)
            for position_list in free.values():
                self.rng.shuffle(position_list)
            layout: list[_Block | None] = [None] * len(slots)
            day = 0
            for block in blocks:
                while not free[day % DAYS]:
                    day += 1
                layout[free[day % DAYS].pop()] = block
                day += 1
            placed = [block for block in layout if block is not None]
            self.slots.append(slots)
            self.layout.append(placed)
            self.limits.append({b.subject: b.daily_limit for b in placed})
            for slot, block in zip(slots, placed, strict=True):
                self._add(index, slot, block, 1)

    def _add(self, class_index: int, slot: int, block: _Block, sign: int) -> None:
        for teacher_id in block.teacher_ids:
            self.teacher_load[(teacher_id, slot)] += sign
        self.subject_day[(class_index, block.subject, slot // SLOTS_PER_DAY)] += sign

    def _swap(self, class_index: int, i: int, j: int) -> None:
        layout = self.layout[class_index]
        slots = self.slots[class_index]
        first, second = layout[i], layout[j]
        self._add(class_index, slots[i], first, -1)
        self._add(class_index, slots[j], second, -1)
        layout[i], layout[j] = second, first
        self._add(class_index, slots[i], second, 1)
        self._add(class_index, slots[j], first, 1)

    def _cost(
        self,
        class_index: int,
        teachers: set[int],
        slots: tuple[int, int],
        subjects: set[str],
    ) -> int:
        cost = 0
        for teacher_id in teachers:
            for slot in slots:
                load = self.teacher_load.get((teacher_id, slot), 0)
                cost += CLASH_WEIGHT * load * (load - 1) // 2
        limits = self.limits[class_index]
        for subject in subjects:
            for slot in slots:
                count = self.subject_day.get(
                    (class_index, subject, slot // SLOTS_PER_DAY), 0
                )
                cost += SUBJECT_DAY_WEIGHT * max(0, count - limits[subject])
        return cost

    def clashes(self) -> int:
        return sum(load - 1 for load in self.teacher_load.values() if load > 1)

    def run(self, iterations: int) -> int:
        """Swap lessons for up to ``iterations`` steps; return the clashes left."""
        rng = self.rng
        temperature = 3.0
        cooling = 0.002 ** (1 / iterations)
        for step in range(iterations):
            if step % 5000 == 0 and temperature < 0.3 and self.clashes() == 0:
                break
            temperature *= cooling
            class_index = rng.randrange(len(self.classes))
            layout = self.layout[class_index]
            slots = self.slots[class_index]
            i = rng.randrange(len(layout))
            j = rng.randrange(len(layout))
            first, second = layout[i], layout[j]
            if first.subject == second.subject:
                continue
            teachers = set(first.teacher_ids) | set(second.teacher_ids)
            pair = (slots[i], slots[j])
            subjects = {first.subject, second.subject}
            before = self._cost(class_index, teachers, pair, subjects)
            self._swap(class_index, i, j)
            delta = self._cost(class_index, teachers, pair, subjects) - before
            if delta > 0 and rng.random() >= math.exp(-delta / temperature):
                self._swap(class_index, i, j)
        return self.clashes()


def build_timetable(ctx: DemoContext) -> None:
    """Lay out the timetable, save it, then add a change in two classes."""
    search = _Search(ctx)
    clashes = search.run(400_000)
    for _ in range(3):
        if clashes == 0:
            break
        clashes = search.run(400_000)
    if clashes:
        raise RuntimeError(f"timetable search left {clashes} teacher clashes")
    start = ctx.current.year.start_date
    rooms = {t.staff.pk: t.room for t in ctx.teachers}
    entries = []
    for slots, layout in zip(search.slots, search.layout, strict=True):
        for slot, block in zip(slots, layout, strict=True):
            for assignment in block.assignments:
                entries.append(
                    models.TimetableEntry(
                        assignment=assignment,
                        weekday=slot // SLOTS_PER_DAY + 1,
                        lesson_number=slot % SLOTS_PER_DAY,
                        room=rooms[assignment.teacher_id],
                        valid_from=start,
                    )
                )
    models.TimetableEntry.objects.bulk_create(entries)
    ctx.timetable = entries
    _change_timetable(ctx)


def _change_timetable(ctx: DemoContext) -> None:
    """Swap two lessons in two classes from a Monday of the second quarter:
    the old entries end the day before and new ones start that Monday."""
    q2 = next(p for p in ctx.current.periods if p.grade_from == 1 and p.number == 2)
    change = q2.start_date + datetime.timedelta(days=7 - q2.start_date.weekday())
    ctx.timetable_change_date = change
    busy = {
        (e.assignment.teacher_id, e.weekday, e.lesson_number) for e in ctx.timetable
    }
    by_class: dict[int, list[models.TimetableEntry]] = defaultdict(list)
    for entry in ctx.timetable:
        by_class[entry.assignment.school_class_id].append(entry)

    changed: list[models.TimetableEntry] = []
    created: list[models.TimetableEntry] = []
    targets = [k for k in ctx.classes if k.grade in (6, 8)][:2]
    for school_class in targets:
        whole = [
            e for e in by_class[school_class.pk] if e.assignment.subgroup_id is None
        ]
        done = False
        for first in whole:
            for second in whole:
                if done or first.weekday == second.weekday:
                    continue
                if first.assignment.subject_id == second.assignment.subject_id:
                    continue
                t1, t2 = first.assignment.teacher_id, second.assignment.teacher_id
                if (t1, second.weekday, second.lesson_number) in busy:
                    continue
                if (t2, first.weekday, first.lesson_number) in busy:
                    continue
                for old, new_slot in ((first, second), (second, first)):
                    old.valid_to = change - datetime.timedelta(days=1)
                    changed.append(old)
                    created.append(
                        models.TimetableEntry(
                            assignment=old.assignment,
                            weekday=new_slot.weekday,
                            lesson_number=new_slot.lesson_number,
                            room=old.room,
                            valid_from=change,
                        )
                    )
                busy.add((t1, second.weekday, second.lesson_number))
                busy.add((t2, first.weekday, first.lesson_number))
                done = True

    models.TimetableEntry.objects.bulk_update(changed, ["valid_to"])
    models.TimetableEntry.objects.bulk_create(created)
    ctx.timetable.extend(created)
    logger.info("timetable changed from %s in %d classes", change, len(targets))
