"""Lessons, marks and attendance from 1 September to today.

Lessons follow the timetable on school days up to the end of the week after
today. Lessons after today have no topic, homework, marks or attendance.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from journal import models as journal
from school import models
from school.demo import curriculum as c
from school.demo import topics
from school.demo.calendar import BELLS, school_days
from school.demo.context import DemoContext, Pupil, student_of

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000

WORK_TYPES: list[tuple[str, str, int, bool, bool]] = [
    # name, short name, weight, is_control, is_default
    ("Ответ на уроке", "отв", 1, False, True),
    ("Домашняя работа", "д/з", 1, False, False),
    ("Самостоятельная работа", "с/р", 2, False, False),
    ("Практическая работа", "пр/р", 2, False, False),
    ("Лабораторная работа", "л/р", 2, False, False),
    ("Проверочная работа", "пров", 3, False, False),
    ("Диктант", "дикт", 3, False, False),
    ("Сочинение", "соч", 3, False, False),
    ("Контрольный диктант", "к/д", 5, True, False),
    ("Контрольная работа", "к/р", 5, True, False),
    ("Зачёт", "зач", 1, False, False),
]

CONTROL_SUBJECTS = {c.RUS, c.MATH, c.ALG, c.ALG_SENIOR, c.GEOM, c.PHYS, c.CHEM, c.ENG}
LAB_SUBJECTS = {c.PHYS, c.CHEM, c.BIO}
QUIZ_SUBJECTS = {c.WORLD, c.HIST, c.SOC, c.GEO, c.BIO, c.STAT, c.INF}


@dataclass
class _Membership:
    pupil: Pupil
    start: datetime.date
    end: datetime.date | None


def lessons_end(today: datetime.date) -> datetime.date:
    """Return the Sunday of the week after today's: the diary shows the week
    ahead."""
    return today + datetime.timedelta(days=6 - today.weekday() + 7)


def _control_interval(hours: int) -> int:
    return max(8, hours * 4)


def create_work_types(ctx: DemoContext) -> None:
    rows = [
        models.WorkType(
            school=ctx.school,
            name=name,
            short_name=short,
            weight=weight,
            is_control=is_control,
            is_default=is_default,
        )
        for name, short, weight, is_control, is_default in WORK_TYPES
    ]
    ctx.work_types = {w.name: w for w in models.WorkType.objects.bulk_create(rows)}


def _substitutions(ctx: DemoContext, lessons: list[journal.Lesson]) -> None:
    """Mark one teacher ill for three school days in November: other teachers
    of the subject who are free take the lessons, the rest are cancelled.
    Two more lessons are cancelled outright."""
    q2 = next(p for p in ctx.current.periods if p.grade_from == 1 and p.number == 2)
    days = school_days(
        ctx.current, 5, q2.start_date + datetime.timedelta(days=8), ctx.today
    )
    if len(days) < 3:
        return
    ill_days = set(days[:3])

    math_teachers = [t for t in ctx.teachers if t.disciplines == ["math"]]
    ill = math_teachers[0].staff
    ctx.absent_teacher = ill
    ctx.absent_days = sorted(ill_days)

    busy: set[tuple[int, datetime.date, int]] = {
        (lesson.assignment.teacher_id, lesson.date, lesson.number) for lesson in lessons
    }
    for lesson in lessons:
        if lesson.date not in ill_days or lesson.assignment.teacher_id != ill.pk:
            continue
        for candidate in math_teachers[1:]:
            key = (candidate.staff.pk, lesson.date, lesson.number)
            if key not in busy:
                lesson.substitute_teacher = candidate.staff
                busy.add(key)
                break
        else:
            lesson.is_cancelled = True

    # A PE lesson cancelled for a school event and a music lesson for a
    # concert rehearsal.
    for subject in (c.PE, c.MUSIC):
        for lesson in reversed(lessons):
            if lesson.date < ctx.today and lesson.assignment.subject.name == subject:
                lesson.is_cancelled = True
                break


def create_lessons(ctx: DemoContext) -> list[journal.Lesson]:
    """Create the lessons of the current year up to the week after today."""
    calendar = ctx.current
    last = min(lessons_end(ctx.today), calendar.year.end_date)
    entries_by_class: dict[int, list[models.TimetableEntry]] = defaultdict(list)
    for entry in ctx.timetable:
        entries_by_class[entry.assignment.school_class_id].append(entry)

    lessons: list[journal.Lesson] = []
    for school_class in ctx.classes:
        entries = entries_by_class[school_class.pk]
        for day in school_days(
            calendar, school_class.grade, calendar.year.start_date, last
        ):
            weekday = day.isoweekday()
            for entry in entries:
                if entry.weekday == weekday and entry.is_valid_on(day):
                    lessons.append(
                        journal.Lesson(
                            assignment=entry.assignment,
                            school_class=school_class,
                            timetable_entry=entry,
                            date=day,
                            number=entry.lesson_number,
                            room=entry.room,
                        )
                    )

    lessons.sort(key=lambda lesson: (lesson.date, lesson.number))
    _substitutions(ctx, lessons)
    _fill_topics(ctx, lessons)
    journal.Lesson.objects.bulk_create(lessons, batch_size=BATCH_SIZE)
    return lessons


def _fill_topics(ctx: DemoContext, lessons: list[journal.Lesson]) -> None:
    by_assignment: dict[int, list[journal.Lesson]] = defaultdict(list)
    for lesson in lessons:
        by_assignment[lesson.assignment.pk].append(lesson)
    for group in by_assignment.values():
        assignment = group[0].assignment
        subject = assignment.subject.name
        grade = group[0].school_class.grade
        bank = topics.topic_bank(subject, grade)
        hours = c.HOURS[grade][subject]
        held = [lesson for lesson in group if not lesson.is_cancelled]
        # The bank covers the whole year: about 33 school weeks.
        span = max(1.0, hours * 33 / len(bank))
        for index, lesson in enumerate(held):
            if lesson.date > ctx.today:
                break
            position = int(index / span)
            topic = bank[min(position, len(bank) - 1)]
            step = index - int(position * span)
            control = (
                grade >= 2
                and subject in CONTROL_SUBJECTS
                and index % _control_interval(hours) == _control_interval(hours) - 1
            )
            lesson.is_control_work = control
            if control:
                topic = f"Контрольная работа по теме «{topic}»"
            elif step > 0:
                topic += ". Закрепление" if step % 2 else ". Практикум"
            lesson.topic = topic
            lesson.homework = topics.homework_text(subject, grade, index)
            if lesson.homework and index + 1 < len(held):
                lesson.homework_due = held[index + 1].date


def _memberships(ctx: DemoContext) -> dict[int, list[_Membership]]:
    result: dict[int, list[_Membership]] = defaultdict(list)
    for pupil in ctx.pupils:
        if pupil.current_class is not None:
            result[pupil.current_class.pk].append(
                _Membership(pupil, ctx.current.year.start_date, pupil.transferred_on)
            )
    return result


def _whole_day_absences(
    ctx: DemoContext, long_ill: set[int]
) -> dict[tuple[int, datetime.date], str]:
    """Draw illness spells and excused days for every pupil."""
    rng = ctx.rng
    absences: dict[tuple[int, datetime.date], str] = {}
    start = ctx.current.year.start_date
    for pupil in ctx.pupils:
        if pupil.current_class is None or pupil.record is None:
            continue
        days = school_days(ctx.current, pupil.current_class.grade, start, ctx.today)
        if not days:
            continue
        # The rates are per 60 school days (about three months), scaled down
        # early in the year.
        share = min(1.0, len(days) / 60)
        drawn = rng.choices([0, 1, 2], weights=[55, 35, 10])[0]
        spells = sum(1 for _ in range(drawn) if rng.random() < share)
        if pupil.record.pk in long_ill:
            first = rng.randrange(5, 10)
            for day in days[first : first + 20]:
                absences[(pupil.record.pk, day)] = "Б"
        for _ in range(spells):
            first = rng.randrange(len(days))
            for day in days[first : first + rng.randint(2, 6)]:
                absences[(pupil.record.pk, day)] = "Б"
        if rng.random() < 0.12 * share:
            absences[(pupil.record.pk, rng.choice(days))] = "УП"
    return absences


def _score(ctx: DemoContext, pupil: Pupil, difficulty: float) -> int:
    value = ctx.rng.gauss(pupil.ability - difficulty, 0.65)
    return min(5, max(2, round(value)))


_BELL_ENDS = [datetime.time.fromisoformat(ends) for _, ends in BELLS]


def _entered_at(ctx: DemoContext, lesson: journal.Lesson) -> datetime.datetime:
    zone = zoneinfo.ZoneInfo(ctx.school.time_zone)
    roll = ctx.rng.random()
    day = lesson.date
    if roll < 0.7:
        end = _BELL_ENDS[min(lesson.number, len(_BELL_ENDS)) - 1]
        moment = datetime.datetime.combine(day, end, tzinfo=zone)
        moment += datetime.timedelta(minutes=ctx.rng.randint(1, 50))
    else:
        if roll > 0.93:
            day += datetime.timedelta(days=ctx.rng.randint(1, 2))
        moment = datetime.datetime.combine(
            day,
            datetime.time(ctx.rng.randint(16, 21), ctx.rng.randint(0, 59)),
            tzinfo=zone,
        )
    return moment


def create_marks_and_attendance(
    ctx: DemoContext, lessons: list[journal.Lesson]
) -> list[journal.Mark]:
    """Create marks and attendance for held lessons up to today."""
    rng = ctx.rng
    wt = ctx.work_types
    memberships = _memberships(ctx)
    candidates = [p.record.pk for p in ctx.pupils if p.current_class and p.record]
    long_ill = set(rng.sample(candidates, 3))
    whole_day = _whole_day_absences(ctx, long_ill)
    marks: list[journal.Mark] = []
    attendance: list[journal.Attendance] = []
    counts: dict[tuple[int, int, int], int] = defaultdict(int)
    q1_by_grade = {grade: ctx.current.periods_for(grade)[0] for grade in range(1, 12)}
    lab_counter: dict[int, int] = defaultdict(int)

    def add_mark(
        lesson: journal.Lesson,
        pupil: Pupil,
        work_type: str,
        comment: str = "",
        difficulty: float = 0.0,
    ) -> None:
        work = wt[work_type]
        record = student_of(pupil)
        pass_fail = c.SUBJECTS_BY_NAME[lesson.assignment.subject.name].pass_fail
        marks.append(
            journal.Mark(
                lesson=lesson,
                student=record,
                score=None if pass_fail else _score(ctx, pupil, difficulty),
                passed=(rng.random() < 0.97) if pass_fail else None,
                work_type=wt["Зачёт"] if pass_fail else work,
                weight=1 if pass_fail else work.weight,
                comment=comment,
                author=lesson.teacher,
                entered_at=_entered_at(ctx, lesson),
            )
        )
        q1 = q1_by_grade[lesson.school_class.grade]
        if q1.contains(lesson.date):
            counts[(lesson.assignment.pk, record.pk, q1.number)] += 1

    held_by_assignment: dict[int, list[tuple[journal.Lesson, list[Pupil]]]] = (
        defaultdict(list)
    )
    for lesson in lessons:
        grade = lesson.school_class.grade
        if lesson.is_cancelled or lesson.date > ctx.today:
            continue
        members = [
            m.pupil
            for m in memberships[lesson.school_class.pk]
            if m.start <= lesson.date and (m.end is None or lesson.date <= m.end)
        ]
        subgroup_id = lesson.assignment.subgroup_id
        if subgroup_id is not None:
            allowed = ctx.subgroup_members[subgroup_id]
            members = [p for p in members if p.record.pk in allowed]  # type: ignore[union-attr]
        present: list[Pupil] = []
        for pupil in members:
            pk = pupil.record.pk  # type: ignore[union-attr]
            code = whole_day.get((pk, lesson.date))
            if code is None:
                roll = rng.random()
                if roll < 0.002:
                    code = "Н"
                elif roll < 0.0035 or (lesson.number == 1 and roll < 0.01):
                    code = "ОП"
            if code is not None:
                attendance.append(
                    journal.Attendance(
                        lesson=lesson,
                        student=pupil.record,
                        code=code,
                        author=lesson.teacher,
                    )
                )
            if code in (None, "ОП"):
                present.append(pupil)
        if grade == 1:
            continue
        held_by_assignment[lesson.assignment.pk].append((lesson, present))
        subject = lesson.assignment.subject.name
        hours = c.HOURS[grade][subject]
        if lesson.is_control_work:
            kind = (
                "Контрольный диктант"
                if subject == c.RUS and grade <= 9
                else "Контрольная работа"
            )
            for pupil in present:
                add_mark(lesson, pupil, kind, difficulty=0.2)
                if kind == "Контрольный диктант":
                    add_mark(lesson, pupil, kind, comment="грамматическое задание")
            continue
        lab_counter[lesson.assignment.pk] += 1
        number = lab_counter[lesson.assignment.pk]
        if subject in LAB_SUBJECTS and grade >= 7 and number % 6 == 3:
            for pupil in present:
                add_mark(lesson, pupil, "Лабораторная работа")
            continue
        if subject == c.LIT and grade >= 5 and number % 10 == 7:
            for pupil in present:
                add_mark(lesson, pupil, "Сочинение", difficulty=0.1)
            continue
        if subject in QUIZ_SUBJECTS and number % 9 == 5:
            for pupil in present:
                add_mark(lesson, pupil, "Проверочная работа", difficulty=0.1)
            continue
        chance = min(0.55, 0.75 / hours)
        for pupil in present:
            if rng.random() >= chance:
                continue
            kind = rng.choices(
                [
                    "Ответ на уроке",
                    "Домашняя работа",
                    "Самостоятельная работа",
                    "Практическая работа",
                ],
                weights=[55, 25, 15, 5 if subject == c.INF else 0],
            )[0]
            if subject == c.RUS and grade <= 4 and rng.random() < 0.15:
                kind = "Диктант"
            comment = ""
            if rng.random() < 0.02:
                comment = {
                    "Ответ на уроке": "Отличный ответ у доски",
                    "Домашняя работа": "Работа выполнена аккуратно",
                    "Самостоятельная работа": "Выполнить работу над ошибками",
                    "Практическая работа": "Задание 3 не выполнено",
                    "Диктант": "Повторить словарные слова",
                }[kind]
            add_mark(lesson, pupil, kind, comment=comment)

    _top_up_closed_period(ctx, held_by_assignment, counts, long_ill, add_mark)
    marks, attendance = _drop_future_entries(ctx, marks, attendance)
    journal.Mark.objects.bulk_create(marks, batch_size=BATCH_SIZE)
    journal.Attendance.objects.bulk_create(attendance, batch_size=BATCH_SIZE)
    logger.info("created %d marks and %d attendance codes", len(marks), len(attendance))
    return marks


def _lesson_moment(
    ctx: DemoContext, lesson: journal.Lesson, bells: list[tuple[str, str]], end: bool
) -> datetime.datetime:
    zone = zoneinfo.ZoneInfo(ctx.school.time_zone)
    start, finish = bells[min(lesson.number, len(bells)) - 1]
    clock = datetime.time.fromisoformat(finish if end else start)
    return datetime.datetime.combine(lesson.date, clock, tzinfo=zone)


def _drop_future_entries(
    ctx: DemoContext, marks: list[journal.Mark], attendance: list[journal.Attendance]
) -> tuple[list[journal.Mark], list[journal.Attendance]]:
    """Keep today's journal as of now: no attendance for lessons not begun
    and no marks for lessons not over. A mark drawn to be entered today or
    later is entered ten minutes after its lesson instead, so the result of a
    run does not depend on the hour once the day's lessons are over.
    """
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(ctx.school.time_zone)
    kept_marks = []
    for mark in marks:
        if mark.entered_at.astimezone(zone).date() >= ctx.today:
            ended = _lesson_moment(ctx, mark.lesson, BELLS, end=True)
            mark.entered_at = ended + datetime.timedelta(minutes=10)
            if mark.entered_at > now:
                continue
        kept_marks.append(mark)
    kept_attendance = [
        row
        for row in attendance
        if _lesson_moment(ctx, row.lesson, BELLS, end=False) <= now
    ]
    return kept_marks, kept_attendance


def _top_up_closed_period(
    ctx: DemoContext,
    held: dict[int, list[tuple[journal.Lesson, list[Pupil]]]],
    counts: dict[tuple[int, int, int], int],
    long_ill: set[int],
    add_mark: Callable[..., None],
) -> None:
    """Give pupils with fewer than three marks in a closed quarter an «Ответ на
    уроке» mark in its last lessons, as teachers do before the period closes.
    Pupils who were ill for weeks keep «н/а»."""
    for assignment_pk, rows in held.items():
        grade = rows[0][0].school_class.grade
        quarter = ctx.current.periods_for(grade)[0]
        if quarter.closed_on is None:
            continue
        in_quarter = [row for row in rows if quarter.contains(row[0].date)]
        for lesson, present in reversed(in_quarter[-6:]):
            for pupil in present:
                pk = pupil.record.pk  # type: ignore[union-attr]
                if pk in long_ill:
                    continue
                if counts[(assignment_pk, pk, quarter.number)] < 3:
                    add_mark(lesson, pupil, "Ответ на уроке")
