"""Generate a region-sized data set for the benchmark.

Small tables go through the ORM; lessons, marks and attendance are generated
inside PostgreSQL with INSERT … SELECT, because millions of rows through
Python would take far longer than the benchmark itself.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from accounts.models import User
from school import models as sm

logger = logging.getLogger(__name__)

BENCH_PREFIX = "Бенчмарк"
YEAR_START = datetime.date(2026, 9, 1)
YEAR_END = datetime.date(2027, 5, 31)
SUBJECTS = (
    "Русский язык",
    "Литература",
    "Математика",
    "Английский язык",
    "История",
    "Биология",
    "География",
    "Физическая культура",
)
LESSONS_PER_DAY = 6
HOLIDAYS = (
    ("Осенние каникулы", datetime.date(2026, 10, 26), datetime.date(2026, 11, 8)),
    ("Зимние каникулы", datetime.date(2026, 12, 29), datetime.date(2027, 1, 11)),
    ("Весенние каникулы", datetime.date(2027, 3, 22), datetime.date(2027, 3, 31)),
)
QUARTERS = (
    (datetime.date(2026, 9, 1), datetime.date(2026, 10, 25)),
    (datetime.date(2026, 11, 9), datetime.date(2026, 12, 28)),
    (datetime.date(2027, 1, 12), datetime.date(2027, 3, 21)),
    (datetime.date(2027, 4, 1), datetime.date(2027, 5, 31)),
)


@dataclass(frozen=True)
class Size:
    schools: int
    pupils: int
    pupils_per_class: int = 25


def existing_size() -> tuple[int, int]:
    """Return the number of benchmark schools and pupils already generated."""
    schools = sm.School.objects.filter(name__startswith=BENCH_PREFIX).count()
    pupils = sm.Enrollment.objects.filter(
        school_class__school__name__startswith=BENCH_PREFIX
    ).count()
    return schools, pupils


def _minutes(total: int) -> datetime.time:
    return datetime.time(total // 60, total % 60)


def _school(number: int, classes: int) -> list[sm.SchoolClass]:
    school = sm.School.objects.create(
        name=f"{BENCH_PREFIX}: школа № {number}",
        short_name=f"Школа № {number}",
        time_zone="Europe/Moscow",
    )
    year = sm.AcademicYear.objects.create(
        school=school, name="2026/2027", start_date=YEAR_START, end_date=YEAR_END
    )
    sm.Period.objects.bulk_create(
        sm.Period(
            academic_year=year,
            kind=sm.Period.Kind.QUARTER,
            number=index,
            grade_from=1,
            grade_to=11,
            start_date=start,
            end_date=end,
        )
        for index, (start, end) in enumerate(QUARTERS, start=1)
    )
    sm.Holiday.objects.bulk_create(
        sm.Holiday(academic_year=year, name=name, start_date=start, end_date=end)
        for name, start, end in HOLIDAYS
    )
    sm.Bell.objects.bulk_create(
        sm.Bell(
            academic_year=year,
            lesson_number=n,
            starts_at=_minutes(8 * 60 + (n - 1) * 55),
            ends_at=_minutes(8 * 60 + (n - 1) * 55 + 45),
        )
        for n in range(1, LESSONS_PER_DAY + 1)
    )
    subjects = sm.Subject.objects.bulk_create(
        sm.Subject(school=school, name=name, short_name=name[:6]) for name in SUBJECTS
    )
    sm.WorkType.objects.bulk_create(
        [
            sm.WorkType(
                school=school, name="Работа на уроке", short_name="урок", weight=1
            ),
            sm.WorkType(
                school=school, name="Домашняя работа", short_name="д/з", weight=2
            ),
            sm.WorkType(
                school=school, name="Контрольная работа", short_name="к/р", weight=5
            ),
        ]
    )
    teachers = sm.StaffMember.objects.bulk_create(
        sm.StaffMember(last_name=f"Учителев{number}-{n}", first_name="Пётр")
        for n in range(len(SUBJECTS))
    )
    school_classes = sm.SchoolClass.objects.bulk_create(
        sm.SchoolClass(
            school=school,
            academic_year=year,
            grade=1 + n % 11,
            letter=f"{'АБВГДЕЖЗИКЛМН'[n // 11 % 13]}{n // 143 or ''}",
            class_teacher=teachers[n % len(teachers)],
        )
        for n in range(classes)
    )
    assignments = sm.TeachingAssignment.objects.bulk_create(
        sm.TeachingAssignment(
            school_class=school_class, subject=subject, teacher=teachers[k]
        )
        for school_class in school_classes
        for k, subject in enumerate(subjects)
    )
    sm.TimetableEntry.objects.bulk_create(
        sm.TimetableEntry(
            assignment=assignments[c * len(SUBJECTS) + (n + weekday) % len(SUBJECTS)],
            weekday=weekday,
            lesson_number=n,
            room=str(100 + n),
            valid_from=YEAR_START,
        )
        for c in range(len(school_classes))
        for weekday in range(1, 6)
        for n in range(1, LESSONS_PER_DAY + 1)
    )
    return school_classes


def _families(
    school_classes: list[sm.SchoolClass], per_class: int, offset: int
) -> None:
    pupils = sm.Student.objects.bulk_create(
        sm.Student(last_name=f"Ученик{offset + n}", first_name="Анна")
        for n in range(len(school_classes) * per_class)
    )
    users = User.objects.bulk_create(
        User(email=f"bench-{offset + n}@example.ru") for n in range(len(pupils))
    )
    guardians = sm.Guardian.objects.bulk_create(
        sm.Guardian(last_name=f"Родитель{offset + n}", first_name="Мария", user=user)
        for n, user in enumerate(users)
    )
    sm.GuardianLink.objects.bulk_create(
        sm.GuardianLink(guardian=g, student=p, relation="mother")
        for g, p in zip(guardians, pupils, strict=True)
    )
    sm.Enrollment.objects.bulk_create(
        sm.Enrollment(
            student=pupil,
            school_class=school_classes[n // per_class],
            start_date=YEAR_START,
        )
        for n, pupil in enumerate(pupils)
    )
    school = school_classes[0].school
    sm.DiaryApplication.objects.bulk_create(
        sm.DiaryApplication(
            student=p, guardian=g, school=school, status="filed", filed_on=YEAR_START
        )
        for g, p in zip(guardians, pupils, strict=True)
    )
    sm.Consent.objects.bulk_create(
        sm.Consent(guardian=g, student=p, given_on=YEAR_START)
        for g, p in zip(guardians, pupils, strict=True)
    )


LESSONS_SQL = """
WITH ta AS (
    SELECT a.id, a.school_class_id,
           row_number() OVER (PARTITION BY a.school_class_id ORDER BY a.id) - 1 AS k
    FROM school_teachingassignment a
    JOIN school_schoolclass c ON c.id = a.school_class_id
    JOIN school_school s ON s.id = c.school_id
    WHERE s.name LIKE %(prefix)s
), days AS (
    SELECT d::date AS day
    FROM generate_series(%(start)s::date, %(end)s::date, '1 day') d
    WHERE extract(isodow FROM d) < 6
      AND NOT EXISTS (
          SELECT 1 FROM unnest(%(holiday_starts)s::date[], %(holiday_ends)s::date[])
              AS h(s, e)
          WHERE d::date BETWEEN h.s AND h.e)
)
INSERT INTO journal_lesson (date, number, room, topic, homework, homework_due,
    is_control_work, is_cancelled, updated_at, assignment_id, school_class_id)
SELECT days.day, n, (100 + n)::text, 'Тема урока ' || n, 'Упражнения ' || n,
       days.day + 2, false, false, now(), ta.id, ta.school_class_id
FROM days
CROSS JOIN generate_series(1, %(per_day)s) n
JOIN ta ON ta.k = (n + extract(isodow FROM days.day)::int) %% %(subjects)s
"""

MARKS_SQL = """
WITH wt AS (
    SELECT w.id, w.school_id, w.weight,
           row_number() OVER (PARTITION BY w.school_id ORDER BY w.id) - 1 AS k
    FROM school_worktype w
)
INSERT INTO journal_mark (score, passed, weight, comment, entered_at, updated_at,
    version, author_id, lesson_id, student_id, work_type_id)
SELECT 2 + (l.id * 7 + e.student_id * 13) %% 4, NULL, wt.weight, '',
       (l.date + time '15:00') AT TIME ZONE 'Europe/Moscow', now(), 1,
       a.teacher_id, l.id, e.student_id, wt.id
FROM journal_lesson l
JOIN school_teachingassignment a ON a.id = l.assignment_id
JOIN school_schoolclass c ON c.id = l.school_class_id
JOIN school_school s ON s.id = c.school_id
JOIN school_enrollment e ON e.school_class_id = l.school_class_id
JOIN wt ON wt.school_id = c.school_id AND wt.k = l.id %% 3
WHERE s.name LIKE %(prefix)s AND (l.id + e.student_id) %% 5 = 0
"""

ATTENDANCE_SQL = """
INSERT INTO journal_attendance (code, updated_at, version, author_id, student_id,
    lesson_id)
SELECT (ARRAY['Н', 'Б', 'УП', 'ОП'])[1 + (l.id + e.student_id) %% 4], now(), 1,
       a.teacher_id, e.student_id, l.id
FROM journal_lesson l
JOIN school_teachingassignment a ON a.id = l.assignment_id
JOIN school_schoolclass c ON c.id = l.school_class_id
JOIN school_school s ON s.id = c.school_id
JOIN school_enrollment e ON e.school_class_id = l.school_class_id
WHERE s.name LIKE %(prefix)s AND (l.id * 3 + e.student_id) %% 40 = 0
"""


def generate(size: Size) -> None:
    """Create the schools, their pupils and a school year of lessons and marks."""
    classes_total = max(size.pupils // size.pupils_per_class, size.schools)
    per_school = classes_total // size.schools
    offset = 0
    for number in range(1, size.schools + 1):
        with transaction.atomic():
            school_classes = _school(number, per_school)
            _families(school_classes, size.pupils_per_class, offset)
        offset += per_school * size.pupils_per_class
        if number % 10 == 0:
            logger.info("Benchmark data: %s schools created", number)
    params: dict[str, Any] = {
        "prefix": f"{BENCH_PREFIX}%",
        "start": YEAR_START,
        "end": YEAR_END,
        "holiday_starts": [start for _, start, _ in HOLIDAYS],
        "holiday_ends": [end for _, _, end in HOLIDAYS],
        "per_day": LESSONS_PER_DAY,
        "subjects": len(SUBJECTS),
    }
    with connection.cursor() as cursor:
        for name, sql in (
            ("lessons", LESSONS_SQL),
            ("marks", MARKS_SQL),
            ("attendance", ATTENDANCE_SQL),
        ):
            cursor.execute(sql, params)
            logger.info("Benchmark data: %s %s inserted", cursor.rowcount, name)
        cursor.execute("ANALYZE")
