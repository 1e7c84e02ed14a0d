"""Final marks: period marks of closed periods of this year, and all of last
year's final marks (period, year, and for grades 9 and 11 exam and final)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from journal import models as journal
from school import models
from school.demo import curriculum as c
from school.demo.context import DemoContext, student_of

BATCH_SIZE = 5000


def suggested_value(school: models.School, marks: list[journal.Mark]) -> str:
    """Return the period mark that the school's thresholds give for the
    weighted average of numeric marks; «н/а» with fewer than three marks."""
    numeric = [m for m in marks if m.score is not None]
    if len(numeric) < 3:
        return "na"
    total = sum((Decimal(m.score or 0) * m.weight for m in numeric), Decimal(0))
    weights = sum(m.weight for m in numeric)
    average = total / weights
    if average >= Decimal(school.threshold_five):
        return "5"
    if average >= Decimal(school.threshold_four):
        return "4"
    if average >= Decimal(school.threshold_three):
        return "3"
    return "2"


def _pass_fail_value(marks: list[journal.Mark]) -> str:
    results = [m.passed for m in marks if m.passed is not None]
    if not results:
        return "na"
    return "pass" if sum(results) * 2 >= len(results) else "fail"


def create_current_period_marks(ctx: DemoContext, marks: list[journal.Mark]) -> None:
    by_key: dict[tuple[int, int], list[journal.Mark]] = defaultdict(list)
    for mark in marks:
        by_key[(mark.lesson.assignment.pk, mark.student.pk)].append(mark)
    enrolled: dict[int, list[tuple[int, datetime.date | None]]] = defaultdict(list)
    for pupil in ctx.pupils:
        if pupil.current_class is not None and pupil.record is not None:
            enrolled[pupil.current_class.pk].append(
                (pupil.record.pk, pupil.transferred_on)
            )
    rows = []
    for period in ctx.current.periods:
        if period.closed_on is None:
            continue
        for assignment in ctx.assignments:
            school_class = assignment.school_class
            grade = school_class.grade
            if grade == 1 or not period.grade_from <= grade <= period.grade_to:
                continue
            allowed = (
                ctx.subgroup_members[assignment.subgroup_id]
                if assignment.subgroup_id is not None
                else None
            )
            pass_fail = assignment.subject.grading == models.Subject.Grading.PASS_FAIL
            for student_pk, left_on in enrolled[school_class.pk]:
                if allowed is not None and student_pk not in allowed:
                    continue
                if left_on is not None and left_on < period.end_date:
                    continue
                in_period = [
                    m
                    for m in by_key[(assignment.pk, student_pk)]
                    if period.contains(m.lesson.date)
                ]
                value = (
                    _pass_fail_value(in_period)
                    if pass_fail
                    else suggested_value(ctx.school, in_period)
                )
                rows.append(
                    journal.FinalMark(
                        student_id=student_pk,
                        subject=assignment.subject,
                        academic_year=ctx.current.year,
                        kind=journal.FinalMark.Kind.PERIOD,
                        period=period,
                        value=value,
                        set_by_hand=False,
                        author=assignment.teacher,
                    )
                )
    journal.FinalMark.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _final_mark(
    base: dict[str, Any], kind: str, value: str, period: models.Period | None = None
) -> journal.FinalMark:
    return journal.FinalMark(
        **base,
        kind=kind,
        period=period,
        value=value,
        set_by_hand=kind != journal.FinalMark.Kind.PERIOD,
    )


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def create_previous_year_marks(ctx: DemoContext) -> None:
    """Draw last year's marks from each pupil's ability: period marks, the
    year mark as their mean rounded half up, and in grades 9 and 11 exam marks
    for two compulsory and two elective subjects and the final marks."""
    rng = ctx.rng
    year = ctx.previous.year
    authors = {
        (a.school_class_id, a.subject.name): a.teacher for a in ctx.previous_assignments
    }
    rows: list[journal.FinalMark] = []
    for pupil in ctx.pupils:
        school_class = pupil.previous_class
        if school_class is None or school_class.grade == 1:
            continue
        grade = school_class.grade
        periods = ctx.previous.periods_for(grade)
        electives = (
            rng.sample(c.EXAM_ELECTIVES.get(grade, []), 2) if grade in (9, 11) else []
        )
        exams = set(c.EXAM_COMPULSORY.get(grade, [])) | set(electives)
        for subject_name in c.HOURS[grade]:
            subject = ctx.subjects[subject_name]
            author = authors[(school_class.pk, subject_name)]

            base: dict[str, Any] = {
                "student": student_of(pupil),
                "subject": subject,
                "academic_year": year,
                "author": author,
            }

            if c.SUBJECTS_BY_NAME[subject_name].pass_fail:
                for period in periods:
                    rows.append(_final_mark(base, "period", "pass", period))
                rows.append(_final_mark(base, "year", "pass"))
                continue
            level = pupil.ability + rng.gauss(0, 0.3)
            values = [min(5, max(3, round(rng.gauss(level, 0.4)))) for _ in periods]
            for period, value in zip(periods, values, strict=True):
                rows.append(_final_mark(base, "period", str(value), period))
            year_value = _round_half_up(Decimal(sum(values)) / len(values))
            rows.append(_final_mark(base, "year", str(year_value)))
            if grade not in (9, 11):
                continue
            final_value = year_value
            if subject_name in exams:
                exam_value = min(5, max(3, round(rng.gauss(level, 0.6))))
                rows.append(_final_mark(base, "exam", str(exam_value)))
                final_value = _round_half_up(Decimal(year_value + exam_value) / 2)
            rows.append(_final_mark(base, "final", str(final_value)))
    journal.FinalMark.objects.bulk_create(rows, batch_size=BATCH_SIZE)
