"""Build, detect and delete the demo school.

``build_demo`` creates one school with this school year (the one that
contains today) and the year before, in one transaction, with a fixed random
seed, so two builds on the same day give the same rows.
"""

from __future__ import annotations

import datetime
import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Q

from journal import models as journal
from school import models
from school.demo import curriculum as c
from school.demo.applications import choose_special_cases, create_applications
from school.demo.calendar import build_calendar, school_year_start
from school.demo.context import DemoContext
from school.demo.esia_people import write_people_file
from school.demo.final_marks import (
    create_current_period_marks,
    create_previous_year_marks,
)
from school.demo.lessons import (
    create_lessons,
    create_marks_and_attendance,
    create_work_types,
)
from school.demo.pupils import create_classes, create_people
from school.demo.staff import hire_staff
from school.demo.timetable import (
    assign_class_teachers,
    assign_teaching,
    build_timetable,
)

logger = logging.getLogger(__name__)

SEED = 20260901
DEMO_SCHOOL_NAME = (
    "Муниципальное бюджетное общеобразовательное учреждение "
    "«Средняя общеобразовательная школа № 17» (демонстрационная)"
)


@dataclass
class DemoResult:
    school: models.School
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    sign_in: list[str] = field(default_factory=list)


def find_demo_school() -> models.School | None:
    return models.School.objects.filter(name=DEMO_SCHOOL_NAME).first()


def delete_demo_school(school: models.School) -> None:
    """Delete the demo school with its journal and the people only it has."""
    school_id = school.pk
    students = models.Student.objects.filter(
        enrollments__school_class__school=school
    ).distinct()
    student_ids = list(students.values_list("pk", flat=True))
    guardian_ids = list(
        models.GuardianLink.objects.filter(student_id__in=student_ids)
        .values_list("guardian_id", flat=True)
        .distinct()
    )

    staff_ids = list(
        models.StaffRole.objects.filter(school=school)
        .values_list("staff_id", flat=True)
        .distinct()
    )

    # The journal and contingent tables are deleted with raw DELETEs, in
    # dependency order, so that no per-row signals run: bulk_create wrote no
    # history rows for them either. PostgreSQL still checks every foreign key.
    raw_deletes = [
        journal.JournalChange.objects.filter(
            Q(student_id__in=student_ids) | Q(lesson__school_class__school=school)
        ),
        journal.Mark.objects.filter(lesson__school_class__school=school),
        journal.Attendance.objects.filter(lesson__school_class__school=school),
        journal.FinalMark.objects.filter(academic_year__school=school),
        journal.Lesson.objects.filter(school_class__school=school),
        models.TimetableEntry.objects.filter(assignment__school_class__school=school),
        models.TeachingAssignment.objects.filter(school_class__school=school),
        models.Enrollment.objects.filter(school_class__school=school),
        models.SubgroupMembership.objects.filter(subgroup__school_class__school=school),
        models.Consent.objects.filter(student_id__in=student_ids),
        models.ConsentWithdrawal.objects.filter(
            Q(school=school) | Q(student_id__in=student_ids)
        ),
        models.DiaryApplication.objects.filter(school=school),
        models.GuardianLink.objects.filter(student_id__in=student_ids),
    ]
    with transaction.atomic():
        for queryset in raw_deletes:
            queryset._raw_delete(queryset.db)
        school.delete()
        for model, ids in (
            (models.Student, student_ids),
            (models.Guardian, guardian_ids),
            (models.StaffMember, staff_ids),
        ):
            queryset = model.objects.filter(pk__in=ids)
            queryset._raw_delete(queryset.db)
    logger.info("demo school %s deleted", school_id)


def _create_school() -> models.School:
    return models.School.objects.create(
        name=DEMO_SCHOOL_NAME,
        short_name="СОШ № 17",
        municipality="городской округ Демидов",
        address="г. Демидов, ул. Школьная, д. 17",
        time_zone="Europe/Moscow",
        threshold_five="4.60",
        threshold_four="3.60",
        threshold_three="2.60",
    )


def _create_subjects(ctx: DemoContext) -> None:
    rows = [
        models.Subject(
            school=ctx.school,
            name=spec.name,
            short_name=spec.short_name,
            grading=(
                models.Subject.Grading.PASS_FAIL
                if spec.pass_fail
                else models.Subject.Grading.NUMERIC
            ),
        )
        for spec in c.SUBJECTS
    ]
    ctx.subjects = {s.name: s for s in models.Subject.objects.bulk_create(rows)}


def _count_rows(school: models.School) -> dict[str, int]:
    return {
        "classes": models.SchoolClass.objects.filter(school=school).count(),
        "pupils": models.Student.objects.filter(
            enrollments__school_class__school=school
        )
        .distinct()
        .count(),
        "teachers": models.StaffRole.objects.filter(
            school=school, role="teacher"
        ).count(),
        "timetable": models.TimetableEntry.objects.filter(
            assignment__school_class__school=school
        ).count(),
        "lessons": journal.Lesson.objects.filter(school_class__school=school).count(),
        "marks": journal.Mark.objects.filter(
            lesson__school_class__school=school
        ).count(),
        "attendance": journal.Attendance.objects.filter(
            lesson__school_class__school=school
        ).count(),
        "final_marks": journal.FinalMark.objects.filter(
            academic_year__school=school
        ).count(),
    }


def build_demo(today: datetime.date, people_path: Path) -> DemoResult:
    """Create the demo school as of ``today`` and write the ESIA people file."""
    started = time.monotonic()
    logger.info("demo build started for %s", today)
    with transaction.atomic():
        school = _create_school()
        start_year = school_year_start(today)
        previous = build_calendar(school, start_year - 1, today)
        current = build_calendar(school, start_year, today)
        ctx = DemoContext(
            rng=random.Random(SEED),  # noqa: S311 (repeatable demo data, not secrets)
            today=today,
            school=school,
            current=current,
            previous=previous,
        )
        _create_subjects(ctx)
        create_work_types(ctx)
        create_classes(ctx)
        hire_staff(ctx)
        create_people(ctx)
        assign_teaching(ctx)
        assign_class_teachers(ctx)
        build_timetable(ctx)
        cases = choose_special_cases(ctx)
        create_applications(ctx, cases)
        lessons = create_lessons(ctx)
        marks = create_marks_and_attendance(ctx, lessons)
        create_current_period_marks(ctx, marks)
        create_previous_year_marks(ctx)
        sign_in = write_people_file(ctx, cases, people_path)
    seconds = time.monotonic() - started
    logger.info("demo build finished in %.1f s, school id %s", seconds, school.pk)
    return DemoResult(school, seconds, _count_rows(school), sign_in)
