"""Sanity checks of the demo school built by ``manage.py seed_demo``.

The command runs once for this module, outside the per-test transactions, and
the demo school is deleted when the module finishes.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from esia_emulator.people import load_people
from journal import models as journal
from school import models
from school.demo import curriculum
from school.demo.build import build_demo, delete_demo_school, find_demo_school
from school.snils import is_valid_snils, normalize_snils


@pytest.fixture(scope="module")
def demo(
    django_db_setup: None, django_db_blocker, tmp_path_factory
) -> Iterator[tuple[models.School, Path]]:
    people = tmp_path_factory.mktemp("esia") / "people.json"
    with django_db_blocker.unblock():
        existing = find_demo_school()
        if existing is not None:
            delete_demo_school(existing)
        call_command("seed_demo", esia_people=people, stdout=io.StringIO())
        school = find_demo_school()
        assert school is not None
    yield school, people
    with django_db_blocker.unblock():
        # Look the school up again: a test may have rebuilt it and rolled back.
        existing = find_demo_school()
        if existing is not None:
            delete_demo_school(existing)


def _students(school: models.School):
    return models.Student.objects.filter(
        enrollments__school_class__school=school
    ).distinct()


@pytest.mark.django_db
def test_every_pupil_enrolled_once_at_any_date(demo):
    school, _ = demo
    spans = defaultdict(list)
    for row in models.Enrollment.objects.filter(school_class__school=school):
        spans[row.student_id].append((row.start_date, row.end_date))
    assert spans
    for student_id, rows in spans.items():
        rows.sort()
        for (_, first_end), (second_start, _) in itertools.pairwise(rows):
            assert first_end is not None, student_id
            assert first_end < second_start, student_id


@pytest.mark.django_db
def test_class_sizes_and_counts(demo):
    school, _ = demo
    year = school.academic_years.order_by("-start_date").first()
    classes = models.SchoolClass.objects.filter(academic_year=year)
    per_grade = Counter(k.grade for k in classes)
    assert sorted(per_grade) == list(range(1, 12))
    assert all(2 <= count <= 3 for count in per_grade.values())
    for school_class in classes:
        size = school_class.enrollments.filter(start_date=year.start_date).count()
        assert 20 <= size <= 28, school_class.name


@pytest.mark.django_db
def test_every_snils_valid(demo):
    school, _ = demo
    students = _students(school)
    guardians = models.Guardian.objects.filter(students__in=students).distinct()
    staff = models.StaffMember.objects.filter(roles__school=school).distinct()
    for queryset in (students, guardians, staff):
        numbers = list(queryset.values_list("snils", flat=True))
        assert numbers
        for number in numbers:
            assert number is not None
            assert is_valid_snils(number), number


@pytest.mark.django_db
def test_names_agree_with_gender(demo):
    school, _ = demo
    for student in _students(school):
        if student.gender == "M":
            assert student.middle_name.endswith("ич"), student.full_name
        else:
            assert student.middle_name.endswith(("вна", "чна")), student.full_name


@pytest.mark.django_db
def test_no_lesson_on_holiday_or_weekend(demo):
    school, _ = demo
    holidays = list(models.Holiday.objects.filter(academic_year__school=school))
    lessons = journal.Lesson.objects.filter(school_class__school=school).select_related(
        "school_class"
    )
    assert lessons.exists()
    for lesson in lessons.iterator():
        assert lesson.date.weekday() < 5, lesson.pk
        for holiday in holidays:
            if holiday.grade_from <= lesson.school_class.grade <= holiday.grade_to:
                assert not holiday.start_date <= lesson.date <= holiday.end_date, (
                    lesson.pk
                )


@pytest.mark.django_db
def test_no_mark_outside_period(demo):
    school, _ = demo
    periods = list(models.Period.objects.filter(academic_year__school=school))
    marks = journal.Mark.objects.filter(
        lesson__school_class__school=school
    ).values_list("lesson__date", "lesson__school_class__grade")
    assert marks.exists()
    for day, grade in marks.iterator():
        assert any(
            p.grade_from <= grade <= p.grade_to and p.start_date <= day <= p.end_date
            for p in periods
        ), (day, grade)


@pytest.mark.django_db
def test_no_marks_after_today_or_in_grade_one(demo):
    school, _ = demo
    marks = journal.Mark.objects.filter(lesson__school_class__school=school)
    assert not marks.filter(lesson__school_class__grade=1).exists()
    latest = marks.order_by("-lesson__date").values_list("lesson__date", flat=True)[0]
    later = journal.Lesson.objects.filter(school_class__school=school, date__gt=latest)
    assert not later.exclude(topic="").exists()


def _entries_overlap(
    first: models.TimetableEntry, second: models.TimetableEntry
) -> bool:
    first_end = first.valid_to or first.valid_from.replace(year=9999)
    second_end = second.valid_to or second.valid_from.replace(year=9999)
    return first.valid_from <= second_end and second.valid_from <= first_end


@pytest.mark.django_db
def test_no_timetable_clash(demo):
    school, _ = demo
    entries = list(
        models.TimetableEntry.objects.filter(
            assignment__school_class__school=school
        ).select_related("assignment")
    )
    by_slot = defaultdict(list)
    for entry in entries:
        by_slot[(entry.weekday, entry.lesson_number)].append(entry)
    for slot_entries in by_slot.values():
        for index, first in enumerate(slot_entries):
            for second in slot_entries[index + 1 :]:
                if not _entries_overlap(first, second):
                    continue
                a, b = first.assignment, second.assignment
                assert a.teacher_id != b.teacher_id, (first.pk, second.pk)
                assert first.room != second.room, (first.pk, second.pk)
                if a.school_class_id == b.school_class_id:
                    # Only the two subgroups of one subject share a slot.
                    assert a.subject_id == b.subject_id, (first.pk, second.pk)
                    assert a.subgroup_id != b.subgroup_id, (first.pk, second.pk)


@pytest.mark.django_db
def test_timetable_has_a_dated_change(demo):
    school, _ = demo
    entries = models.TimetableEntry.objects.filter(
        assignment__school_class__school=school
    )
    ended = entries.filter(valid_to__isnull=False)
    assert ended.count() >= 4
    change = ended.values_list("valid_to", flat=True)[0]
    assert change is not None
    later = entries.filter(valid_from=change + datetime.timedelta(days=1))
    assert later.count() == ended.count()


@pytest.mark.django_db
def test_weekly_hours_within_caps(demo):
    school, _ = demo
    year = school.academic_years.order_by("-start_date").first()
    day = year.start_date
    for school_class in models.SchoolClass.objects.filter(academic_year=year):
        slots = {
            (e.weekday, e.lesson_number)
            for e in models.TimetableEntry.objects.filter(
                assignment__school_class=school_class, valid_from__lte=day
            )
            if e.is_valid_on(day)
        }
        planned = sum(curriculum.HOURS[school_class.grade].values())
        assert len(slots) == planned, school_class.name
        assert len(slots) <= curriculum.WEEKLY_CAP[school_class.grade], (
            school_class.name
        )


@pytest.mark.django_db
def test_closed_quarter_has_period_marks(demo):
    school, _ = demo
    quarter = models.Period.objects.filter(
        academic_year__school=school, closed_on__isnull=False, grade_to=9
    ).order_by("-start_date")[0]
    marks = journal.FinalMark.objects.filter(period=quarter)
    assert marks.exists()
    values = Counter(marks.values_list("value", flat=True))
    assert values["5"] + values["4"] > values["3"] + values["2"]
    assert 0 < values["na"] < marks.count() / 50


@pytest.mark.django_db
def test_rerun_changes_no_row_counts(demo):
    _, people = demo

    def counts() -> list[int]:
        return [
            models.School.objects.count(),
            models.Student.objects.count(),
            models.Guardian.objects.count(),
            models.StaffMember.objects.count(),
            journal.Lesson.objects.count(),
            journal.Mark.objects.count(),
            journal.Attendance.objects.count(),
            journal.FinalMark.objects.count(),
        ]

    before = counts()
    call_command("seed_demo", esia_people=people, stdout=io.StringIO())
    assert counts() == before


@pytest.mark.django_db
def test_people_file_matches_school(demo):
    _, people = demo
    data = json.loads(people.read_text(encoding="utf-8"))["people"]
    assert len(load_people(people)) == len(data)
    assert 30 <= len(data) <= 60
    oids = [person["oid"] for person in data]
    assert len(set(oids)) == len(oids)
    roles = Counter(person["role"] for person in data)
    for role in (
        "guardian",
        "student",
        "teacher",
        "head_of_studies",
        "school_admin",
        "unknown",
    ):
        assert roles[role] >= 1, role
    assert any(person["snils"] is None for person in data)
    for person in data:
        for kid in person["kids"]:
            assert kid in oids
        if person["snils"] is None:
            continue
        digits = normalize_snils(person["snils"])
        assert is_valid_snils(digits)
        found = (
            models.Student.objects.filter(snils=digits).count()
            + models.Guardian.objects.filter(snils=digits).count()
            + models.StaffMember.objects.filter(snils=digits).count()
        )
        if person["role"] == "unknown":
            assert found == 0, person["label"]
        elif person["role"] == "teacher" and person["kids"]:
            # A teacher who is also a parent: a staff and a guardian record.
            assert models.StaffMember.objects.filter(snils=digits).count() == 1
            assert models.Guardian.objects.filter(snils=digits).count() == 1
        else:
            assert found == 1, person["label"]


def _fingerprint(school: models.School) -> dict[str, str]:
    """Hash the demo's people, timetable, marks and attendance by content,
    leaving out primary keys, which differ between builds."""
    queries = {
        "students": models.Student.objects.filter(
            enrollments__school_class__school=school
        )
        .distinct()
        .order_by("snils")
        .values_list("snils", "last_name", "first_name", "middle_name", "birth_date"),
        "timetable": models.TimetableEntry.objects.filter(
            assignment__school_class__school=school
        )
        .order_by(
            "assignment__school_class__grade",
            "assignment__school_class__letter",
            "weekday",
            "lesson_number",
            "room",
        )
        .values_list(
            "assignment__school_class__grade",
            "assignment__school_class__letter",
            "weekday",
            "lesson_number",
            "room",
            "assignment__subject__name",
            "valid_from",
            "valid_to",
        ),
        "marks": journal.Mark.objects.filter(lesson__school_class__school=school)
        .order_by(
            "lesson__date",
            "lesson__number",
            "student__snils",
            "entered_at",
            "score",
            "passed",
            "weight",
            "comment",
        )
        .values_list(
            "lesson__date",
            "lesson__number",
            "student__snils",
            "score",
            "passed",
            "weight",
            "comment",
            "entered_at",
        ),
        "attendance": journal.Attendance.objects.filter(
            lesson__school_class__school=school
        )
        .order_by("lesson__date", "lesson__number", "student__snils")
        .values_list("lesson__date", "lesson__number", "student__snils", "code"),
    }
    result = {}
    for name, rows in queries.items():
        digest = hashlib.sha256()
        for row in rows:
            digest.update(repr(row).encode())
        result[name] = digest.hexdigest()
    return result


@pytest.mark.slow
@pytest.mark.django_db
def test_second_build_is_identical(demo, tmp_path):
    school, people = demo
    first = _fingerprint(school)

    # Rebuild inside the test transaction, which is rolled back afterwards.
    # A fresh instance, because deleting clears the primary key of the one
    # that the module fixture shares.
    delete_demo_school(models.School.objects.get(pk=school.pk))
    rebuilt = build_demo(timezone.localdate(), tmp_path / "people.json")
    second = _fingerprint(rebuilt.school)
    for name, digest in first.items():
        assert second[name] == digest, name
    assert (tmp_path / "people.json").read_bytes() == people.read_bytes()


def test_people_file_account_levels_match_age(demo):
    """Only pupils under 14 may have a simplified (P) or a child (KD) account."""
    _, people = demo
    today = timezone.localdate()
    for person in json.loads(people.read_text(encoding="utf-8"))["people"]:
        if person["role"] != "student":
            continue
        born = datetime.datetime.strptime(person["birth_date"], "%d.%m.%Y").date()
        age = (
            today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        )
        if person["level"] in {"P", "KD"}:
            assert age < 14, person["label"]
        else:
            assert age >= 14, person["label"]
            assert person["trusted"], person["label"]
