"""The diary's pages beyond the week: timetable, attendance, marks, finals."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from diary.access import DiaryAccess
from journal.models import Attendance, FinalMark, JournalChange, Lesson
from journal.tests import factories as jf
from journal.tests.conftest import MONDAY, enroll_pupils
from school.models import (
    DiaryApplication,
    Enrollment,
    Holiday,
    Period,
    Subgroup,
    SubgroupMembership,
)
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = MONDAY + datetime.timedelta(days=1)
WEDNESDAY = MONDAY + datetime.timedelta(days=2)
Q1_START, Q1_END = datetime.date(2026, 9, 1), datetime.date(2026, 10, 25)
Q2_START, Q2_END = datetime.date(2026, 11, 9), datetime.date(2026, 12, 28)

PAGES = [
    "diary:week",
    "diary:schedule",
    "diary:attendance",
    "diary:missed",
    "diary:teachers",
    "diary:subjects",
    "diary:finals",
    "diary:past_finals",
    "diary:history",
]


def url(name, student, *args, query=""):
    return reverse(name, args=[student.pk, *args]) + query


def get_page(client, user, address):
    client.force_login(user)
    response = client.get(address)
    assert response.status_code == 200, address
    return response, response.content.decode()


@pytest.fixture
def first_quarter(world):
    return f.PeriodFactory.create(
        academic_year=world.year, number=1, start_date=Q1_START, end_date=Q1_END
    )


@pytest.fixture
def autumn(world):
    return Holiday.objects.create(
        academic_year=world.year,
        name="Осенние каникулы",
        start_date=datetime.date(2026, 10, 26),
        end_date=datetime.date(2026, 11, 8),
    )


def mark(world, day, score, work_type=None, student=None, number=1, **extra):
    lesson, _ = Lesson.objects.get_or_create(
        assignment=world.assignment,
        date=day,
        number=number,
        defaults={"school_class": world.school_class, "topic": f"Тема {day:%d.%m}"},
    )
    return jf.MarkFactory.create(
        lesson=lesson,
        student=student or world.child,
        score=score,
        work_type=work_type or world.work_type,
        **extra,
    )


# ----- Who sees what --------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("persona", ["guardian_user", "child_user"])
def test_other_family_child_refused_on_every_page(client, world, name, persona):
    client.force_login(getattr(world, persona))

    response = client.get(url(name, world.other_child))

    assert response.status_code == 404
    assert world.other_child.last_name not in response.content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_unknown_id_refused_on_every_page(client, world, name):
    client.force_login(world.guardian_user)

    assert client.get(reverse(name, args=[987_654])).status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_teacher_refused_on_every_page(client, world, name):
    client.force_login(world.teacher_user)

    assert client.get(url(name, world.child)).status_code == 404


def test_other_child_subject_page_refused(client, world):
    client.force_login(world.guardian_user)

    response = client.get(
        url("diary:subject_marks", world.other_child, world.subject.pk)
    )

    assert response.status_code == 404


def test_subject_outside_pupils_timetable_refused(client, world):
    foreign = f.SubjectFactory.create(school=world.other_school)
    client.force_login(world.guardian_user)

    response = client.get(url("diary:subject_marks", world.child, foreign.pk))

    assert response.status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_closed_diary_explained_on_every_page(client, world, name):
    f.DiaryApplicationFactory.create(
        student=world.child,
        guardian=world.guardian,
        school=world.school,
        status=DiaryApplication.Status.STOPPED,
        filed_on=datetime.date(2026, 11, 20),
    )

    response, page = get_page(client, world.guardian_user, url(name, world.child))

    assert response.context["child"].access is DiaryAccess.STOPPED
    assert "прекращён по заявлению" in page
    assert "на бумаге" in page


@pytest.mark.parametrize("name", PAGES)
def test_every_page_names_child_and_switches_in_place(client, world, name):
    second = f.StudentFactory.create(last_name="Аверина", first_name="Вера")
    f.GuardianLinkFactory.create(guardian=world.guardian, student=second)
    f.EnrollmentFactory.create(student=second, school_class=world.other_class)
    f.DiaryApplicationFactory.create(
        student=second, guardian=world.guardian, school=world.school
    )
    f.ConsentFactory.create(guardian=world.guardian, student=second)

    _, page = get_page(client, world.guardian_user, url(name, world.child))

    assert f"Дневник: {world.child.last_name} {world.child.first_name}" in page
    assert url(name, second) in page
    assert 'aria-label="Выбор ребёнка"' in page


# ----- Weekly timetable -----------------------------------------------------


def test_timetable_change_applies_from_its_date(client, world):
    f.TimetableEntryFactory.create(
        assignment=world.assignment,
        weekday=1,
        lesson_number=1,
        room="201",
        valid_to=MONDAY - datetime.timedelta(days=1),
    )
    f.TimetableEntryFactory.create(
        assignment=world.assignment,
        weekday=1,
        lesson_number=3,
        room="305",
        valid_from=MONDAY,
    )
    address = url("diary:schedule", world.child)

    before, _ = get_page(client, world.guardian_user, address + "?date=2026-11-25")
    after, page = get_page(client, world.guardian_user, address)

    old_monday = before.context["week"].days[0]
    assert [(s.entry.lesson_number, s.entry.room) for s in old_monday.slots] == [
        (1, "201")
    ]
    new_monday = after.context["week"].days[0]
    assert [(s.entry.lesson_number, s.entry.room) for s in new_monday.slots] == [
        (3, "305")
    ]
    assert "10:30–11:15" in page
    assert "Математика" in page


def test_timetable_shows_only_pupils_subgroup(client, world):
    group_a = Subgroup.objects.create(school_class=world.school_class, name="1 гр.")
    group_b = Subgroup.objects.create(school_class=world.school_class, name="2 гр.")
    SubgroupMembership.objects.create(subgroup=group_a, student=world.child)
    english = f.SubjectFactory.create(school=world.school, name="Английский язык")
    for group in (group_a, group_b):
        assignment = f.TeachingAssignmentFactory.create(
            school_class=world.school_class, subgroup=group, subject=english
        )
        f.TimetableEntryFactory.create(
            assignment=assignment, weekday=2, room=group.name
        )

    response, page = get_page(
        client, world.guardian_user, url("diary:schedule", world.child)
    )

    slots = response.context["week"].days[1].slots
    assert [s.entry.assignment.subgroup for s in slots] == [group_a]
    assert "2 гр." not in page


def test_timetable_week_before_year_starts(client, world):
    f.TimetableEntryFactory.create(assignment=world.assignment, weekday=1)

    response, page = get_page(
        client,
        world.guardian_user,
        url("diary:schedule", world.child, query="?date=2026-08-26"),
    )

    week = response.context["week"]
    assert week.monday == datetime.date(2026, 8, 24)
    assert all(not day.slots for day in week.days)
    assert "не числился в классе" in page


def test_timetable_hides_holiday(client, world, autumn):
    f.TimetableEntryFactory.create(assignment=world.assignment, weekday=1)

    response, page = get_page(
        client,
        world.guardian_user,
        url("diary:schedule", world.child, query="?date=2026-11-02"),
    )

    assert response.context["week"].days[0].slots == []
    assert "Каникулы: Осенние каникулы" in page


def test_school_in_another_zone_just_after_midnight_on_monday(
    client, world, monkeypatch
):
    world.school.time_zone = "Asia/Yekaterinburg"
    world.school.save(update_fields=["time_zone"])
    # Sunday 6 December, 22:30 in Moscow: already Monday 00:30 in Yekaterinburg.
    now = datetime.datetime(
        2026, 12, 6, 22, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Moscow")
    )
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)

    for name in ("diary:schedule", "diary:week"):
        response, page = get_page(client, world.guardian_user, url(name, world.child))

        assert response.context["week"].monday == datetime.date(2026, 12, 7)
        assert response.context["child"].today == datetime.date(2026, 12, 7)
        assert "понедельник, 7 декабря" in page


# ----- Attendance and missed lessons ---------------------------------------


def _absence(world, day, number, code):
    lesson, _ = Lesson.objects.get_or_create(
        assignment=world.assignment,
        date=day,
        number=number,
        defaults={"school_class": world.school_class},
    )
    return jf.AttendanceFactory.create(lesson=lesson, student=world.child, code=code)


@pytest.fixture
def absences(world):
    russian = f.SubjectFactory.create(school=world.school, name="Русский язык")
    russian_assignment = f.TeachingAssignmentFactory.create(
        school_class=world.school_class, subject=russian, teacher=world.teacher
    )
    # Tuesday: every held lesson missed, the cancelled one does not count.
    _absence(world, TUESDAY, 1, Attendance.Code.ILL)
    lesson = jf.LessonFactory.create(
        assignment=russian_assignment, date=TUESDAY, number=2
    )
    jf.AttendanceFactory.create(
        lesson=lesson, student=world.child, code=Attendance.Code.ILL
    )
    jf.LessonFactory.create(
        assignment=russian_assignment, date=TUESDAY, number=3, is_cancelled=True
    )
    # Wednesday: one lesson missed, one attended.
    _absence(world, WEDNESDAY, 1, Attendance.Code.EXCUSED)
    jf.LessonFactory.create(assignment=russian_assignment, date=WEDNESDAY, number=2)
    # Monday: late only, which is not a missed lesson.
    _absence(world, MONDAY, 1, Attendance.Code.LATE)
    # Earlier in the quarter, without a valid reason.
    _absence(world, datetime.date(2026, 11, 10), 1, Attendance.Code.ABSENT)
    # Another family's absence in the same lesson.
    jf.AttendanceFactory.create(
        lesson=lesson, student=world.other_child, code=Attendance.Code.ABSENT
    )
    return russian


def test_attendance_lists_every_missed_or_late_lesson(client, world, absences):
    response, page = get_page(
        client, world.guardian_user, url("diary:attendance", world.child)
    )

    rows = [
        (r.lesson.date, r.lesson.assignment.subject.name, r.code)
        for r in response.context["records"]
    ]
    assert rows == [
        (datetime.date(2026, 11, 10), "Математика", "Н"),
        (MONDAY, "Математика", "ОП"),
        (TUESDAY, "Математика", "Б"),
        (TUESDAY, "Русский язык", "Б"),
        (WEDNESDAY, "Математика", "УП"),
    ]
    assert response.context["first"] == world.year.start_date
    assert response.context["last"] == datetime.date(2026, 12, 2)
    assert "5 записей" in page
    assert "01.12.2026, вт" in page


def test_missed_summary_totals_and_whole_days(client, world, absences):
    response, page = get_page(
        client,
        world.guardian_user,
        url("diary:missed", world.child, query="?start=2026-11-30&end=2026-12-06"),
    )

    summary = response.context["summary"]
    by_subject = {row.subject.name: row.counts for row in summary.rows}
    assert by_subject == {
        "Математика": {"Н": 0, "Б": 1, "УП": 1, "ОП": 1},
        "Русский язык": {"Н": 0, "Б": 1, "УП": 0, "ОП": 0},
    }
    assert summary.totals == {"Н": 0, "Б": 2, "УП": 1, "ОП": 1}
    assert summary.missed == 3
    assert summary.late == 1
    assert summary.whole_days == [TUESDAY]
    assert (
        "Всего пропущено 3 урока, 1 опоздание; дней, пропущенных целиком: 1."
    ) in page
    assert "вторник, 1 декабря 2026 г." in page


def test_missed_summary_for_whole_year(client, world, absences):
    response, _ = get_page(
        client, world.guardian_user, url("diary:missed", world.child)
    )

    summary = response.context["summary"]
    assert summary.totals == {"Н": 1, "Б": 2, "УП": 1, "ОП": 1}
    # 10 November: the only lesson held that day for the pupil was missed.
    assert summary.whole_days == [datetime.date(2026, 11, 10), TUESDAY]


def test_bad_period_explained_not_an_error(client, world):
    for query in ("?start=2026-12-10&end=2026-12-01", "?start=вчера&end=2026-12-01"):
        response, page = get_page(
            client, world.guardian_user, url("diary:missed", world.child, query=query)
        )

        assert response.context["first"] == world.year.start_date
        assert "показан учебный год" in page


# ----- Teachers ------------------------------------------------------------


def test_teachers_per_subject_and_class_teacher(client, world):
    group_a = Subgroup.objects.create(school_class=world.school_class, name="1 гр.")
    group_b = Subgroup.objects.create(school_class=world.school_class, name="2 гр.")
    SubgroupMembership.objects.create(subgroup=group_a, student=world.child)
    english = f.SubjectFactory.create(school=world.school, name="Английский язык")
    teacher_a = f.StaffMemberFactory.create(last_name="Англова")
    teacher_b = f.StaffMemberFactory.create(last_name="Чужова")
    for group, teacher in ((group_a, teacher_a), (group_b, teacher_b)):
        f.TeachingAssignmentFactory.create(
            school_class=world.school_class,
            subgroup=group,
            subject=english,
            teacher=teacher,
        )

    response, page = get_page(
        client, world.guardian_user, url("diary:teachers", world.child)
    )

    rows = [
        (row.subject.name, [a.teacher for a in row.assignments])
        for row in response.context["rows"]
    ]
    assert rows == [("Английский язык", [teacher_a]), ("Математика", [world.teacher])]
    assert f"Классный руководитель:\n  <strong>{world.teacher.full_name}" in page
    assert "Чужова" not in page


# ----- Current marks in a subject -------------------------------------------


@pytest.fixture
def quarter_marks(world, first_quarter, autumn):
    independent = f.WorkTypeFactory.create(
        school=world.school, name="Самостоятельная работа", short_name="с/р", weight=3
    )
    mark(world, datetime.date(2026, 10, 1), 2)
    mark(world, Q2_START, 5, comment="Молодец")
    mark(world, TUESDAY, 3, world.control_work)
    mark(world, Q2_END, 4, independent)
    jf.MarkFactory.create(
        lesson=Lesson.objects.get(date=TUESDAY),
        student=world.child,
        score=None,
        passed=True,
        work_type=world.work_type,
    )
    # Another family's marks never enter the child's averages.
    mark(world, TUESDAY, 5, world.control_work, student=world.other_child)


def test_period_and_year_weighted_averages(client, world, quarter_marks):
    response, page = get_page(
        client,
        world.guardian_user,
        url("diary:subject_marks", world.child, world.subject.pk),
    )

    result = response.context["result"]
    assert result.period == world.quarter
    # (5·1 + 3·5 + 4·3) / 9 = 32/9, marks on both end dates of the quarter.
    assert result.period_average.value * 9 == 32
    assert result.period_average.display == "3,56"
    assert result.period_average.count == 3
    # The year takes every mark: (32 + 2·1) / 10.
    assert result.year_average.display == "3,40"
    assert "Средний взвешенный балл за 2 четверть (09.11–28.12.2026)" in page
    assert "Средний взвешенный балл за учебный год 2026/2027" in page
    assert ">3,56<" in page
    assert ">3,40<" in page
    assert "Молодец" in page
    assert "Контрольная работа" in page
    assert "Тема 01.12" in page


def test_other_period_chosen(client, world, quarter_marks, first_quarter):
    response, _ = get_page(
        client,
        world.guardian_user,
        url(
            "diary:subject_marks",
            world.child,
            world.subject.pk,
            query=f"?period={first_quarter.pk}",
        ),
    )

    result = response.context["result"]
    assert result.period == first_quarter
    assert result.period_average.display == "2,00"
    assert result.year_average.display == "3,40"


def test_chart_is_server_svg_with_text(client, world, quarter_marks):
    _, page = get_page(
        client,
        world.guardian_user,
        url("diary:subject_marks", world.child, world.subject.pk),
    )

    assert '<svg class="marks-chart"' in page
    assert 'role="img"' in page
    assert "Отметок на графике: 4." in page
    assert page.count('class="chart-dot"') == 4


def test_pupil_enrolled_mid_year(client, world, first_quarter):
    newcomer = f.StudentFactory.create(last_name="Новикова")
    f.GuardianLinkFactory.create(guardian=world.guardian, student=newcomer)
    f.EnrollmentFactory.create(
        student=newcomer,
        school_class=world.school_class,
        start_date=datetime.date(2026, 11, 16),
    )
    f.DiaryApplicationFactory.create(
        student=newcomer, guardian=world.guardian, school=world.school
    )
    f.ConsentFactory.create(guardian=world.guardian, student=newcomer)
    mark(world, datetime.date(2026, 11, 17), 4, student=newcomer)
    mark(world, TUESDAY, 5, world.control_work, student=newcomer)

    response, _ = get_page(
        client,
        world.guardian_user,
        url("diary:subject_marks", newcomer, world.subject.pk),
    )

    # (4·1 + 5·5) / 6 = 29/6 = 4.8333…
    assert response.context["result"].period_average.display == "4,83"
    schedule, _ = get_page(
        client,
        world.guardian_user,
        url("diary:schedule", newcomer, query="?date=2026-11-10"),
    )
    assert all(day.school_class is None for day in schedule.context["week"].days)


def test_pupil_who_left_and_came_back(client, world, first_quarter):
    Enrollment.objects.filter(student=world.child).update(
        end_date=datetime.date(2026, 10, 9), end_reason=Enrollment.EndReason.OTHER
    )
    f.EnrollmentFactory.create(
        student=world.child,
        school_class=world.school_class,
        start_date=datetime.date(2026, 11, 16),
    )
    f.TimetableEntryFactory.create(assignment=world.assignment, weekday=1)
    mark(world, datetime.date(2026, 10, 5), 3)
    mark(world, TUESDAY, 5)

    marks, _ = get_page(
        client,
        world.guardian_user,
        url("diary:subject_marks", world.child, world.subject.pk),
    )
    away, _ = get_page(
        client,
        world.guardian_user,
        url("diary:schedule", world.child, query="?date=2026-11-09"),
    )
    back, _ = get_page(client, world.guardian_user, url("diary:schedule", world.child))

    assert marks.context["result"].year_average.display == "4,00"
    assert marks.context["result"].period_average.display == "5,00"
    assert away.context["week"].days[0].school_class is None
    assert len(back.context["week"].days[0].slots) == 1


# ----- Final marks ----------------------------------------------------------


def _final(world, subject, kind, value, period=None, year=None, student=None):
    return FinalMark.objects.create(
        student=student or world.child,
        subject=subject,
        academic_year=year or world.year,
        kind=kind,
        period=period,
        value=value,
    )


def test_current_year_final_marks(client, world, first_quarter):
    music = f.SubjectFactory.create(school=world.school, name="Музыка")
    f.TeachingAssignmentFactory.create(school_class=world.school_class, subject=music)
    pe = f.SubjectFactory.create(school=world.school, name="Физическая культура")
    kind = FinalMark.Kind
    _final(world, world.subject, kind.PERIOD, "5", first_quarter)
    _final(world, world.subject, kind.PERIOD, "na", world.quarter)
    _final(world, music, kind.PERIOD, "pass", first_quarter)
    _final(world, pe, kind.YEAR, "osv")
    _final(
        world, world.subject, kind.PERIOD, "2", first_quarter, student=world.other_child
    )

    response, page = get_page(
        client, world.guardian_user, url("diary:finals", world.child)
    )

    table = response.context["table"]
    assert [p.number for p in table.periods] == [1, 2]
    cells = {
        row.subject.name: [m.value if m else None for m in row.by_period]
        + [row.year.value if row.year else None]
        for row in table.rows
    }
    assert cells == {
        "Математика": ["5", "na", None],
        "Музыка": ["pass", None, None],
        "Физическая культура": [None, None, "osv"],
    }
    assert not table.has_exam
    for text in ("н/а", "осв", "зачёт", "Годовая"):
        assert text in page
    assert "Экзамен" not in page


def test_exam_and_final_columns_when_present(client, world):
    _final(world, world.subject, FinalMark.Kind.YEAR, "4")
    _final(world, world.subject, FinalMark.Kind.EXAM, "5")
    _final(world, world.subject, FinalMark.Kind.FINAL, "5")

    _, page = get_page(client, world.guardian_user, url("diary:finals", world.child))

    assert "Экзамен" in page
    assert "Итоговая" in page


def test_past_years_by_subject(client, world):
    past = f.AcademicYearFactory.create(
        school=world.other_school,
        name="2025/2026",
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2026, 5, 31),
    )
    past_class = f.SchoolClassFactory.create(academic_year=past, grade=4, letter="Б")
    Enrollment.objects.create(
        student=world.child,
        school_class=past_class,
        start_date=past.start_date,
        end_date=past.end_date,
        end_reason=Enrollment.EndReason.TRANSFER,
    )
    reading = f.SubjectFactory.create(school=world.other_school, name="Чтение")
    half = Period.objects.create(
        academic_year=past,
        kind=Period.Kind.QUARTER,
        number=4,
        grade_from=1,
        grade_to=9,
        start_date=datetime.date(2026, 4, 1),
        end_date=past.end_date,
    )
    _final(world, reading, FinalMark.Kind.PERIOD, "4", half, year=past)
    _final(world, reading, FinalMark.Kind.YEAR, "5", year=past)
    _final(world, world.subject, FinalMark.Kind.YEAR, "3")  # this year: not shown
    _final(
        world, reading, FinalMark.Kind.YEAR, "2", year=past, student=world.other_child
    )

    response, page = get_page(
        client, world.guardian_user, url("diary:past_finals", world.child)
    )

    tables = response.context["tables"]
    assert [t.year.name for t in tables] == ["2025/2026"]
    row = tables[0].rows[0]
    assert (row.subject.name, row.by_period[0].value, row.year.value) == (
        "Чтение",
        "4",
        "5",
    )
    assert len(tables[0].rows) == 1
    assert "2025/2026: 4Б класс" in page
    assert world.other_school.short_name in page


# ----- Mark history ---------------------------------------------------------


def test_changed_and_removed_marks_listed(client, world):
    changed = mark(world, TUESDAY, 4)
    common = {
        "kind": JournalChange.Kind.MARK,
        "student": world.child,
        "lesson": changed.lesson,
        "subject": world.subject,
        "changed_by": world.teacher_user,
    }
    JournalChange.objects.create(
        action=JournalChange.Action.CHANGED,
        object_id=changed.pk,
        old_value="3",
        new_value="4",
        **common,
    )
    JournalChange.objects.create(
        action=JournalChange.Action.DELETED,
        object_id=changed.pk + 1000,
        old_value="2",
        **common,
    )
    JournalChange.objects.create(
        action=JournalChange.Action.CREATED,
        object_id=changed.pk,
        new_value="3",
        **common,
    )
    JournalChange.objects.create(
        action=JournalChange.Action.CHANGED,
        object_id=changed.pk,
        old_value="5",
        new_value="2",
        **{**common, "student": world.other_child},
    )

    response, page = get_page(
        client, world.guardian_user, url("diary:history", world.child)
    )

    changes = [
        (c.action, c.old_value, c.new_value) for c in response.context["changes"]
    ]
    assert sorted(changes) == [("changed", "3", "4"), ("deleted", "2", "")]
    assert "удалена" in page
    assert "01.12.2026, урок 1" in page


# ----- Fixed query counts ---------------------------------------------------


def _fill(world, size):
    pupils = [
        world.child,
        world.other_child,
        *enroll_pupils(world.school_class, size - 2),
    ]
    f.TimetableEntryFactory.create(assignment=world.assignment, weekday=1)
    for number in (1, 2):
        for day in (MONDAY, TUESDAY, WEDNESDAY):
            lesson = jf.LessonFactory.create(
                assignment=world.assignment, date=day, number=number
            )
            for pupil in pupils:
                jf.MarkFactory.create(
                    lesson=lesson, student=pupil, work_type=world.work_type
                )
                jf.AttendanceFactory.create(lesson=lesson, student=pupil)
    for pupil in pupils:
        _final(
            world,
            world.subject,
            FinalMark.Kind.PERIOD,
            "4",
            world.quarter,
            student=pupil,
        )


# Each page includes one query for the header navigation and one for the
# cache stamps; these are first requests, so nothing is cached yet.
QUERY_LIMITS = {
    "diary:week": 15,
    "diary:schedule": 12,
    "diary:attendance": 11,
    "diary:missed": 13,
    "diary:teachers": 10,
    "diary:subjects": 10,
    "diary:subject_marks": 13,
    "diary:finals": 13,
    "diary:past_finals": 10,
    "diary:history": 10,
}


@pytest.mark.parametrize("name", sorted(QUERY_LIMITS))
def test_page_queries_fixed_for_5_and_30_pupils(
    client, world, name, django_assert_max_num_queries
):
    args = [world.subject.pk] if name == "diary:subject_marks" else []
    address = url(name, world.child, *args)
    client.force_login(world.guardian_user)
    counts = []
    for size in (5, 30):
        if size == 30:
            enroll_pupils(world.school_class, 25)
        else:
            _fill(world, size)
        with django_assert_max_num_queries(QUERY_LIMITS[name]) as captured:
            assert client.get(address).status_code == 200
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]


def test_week_before_year_starts(client, world):
    response, page = get_page(
        client,
        world.guardian_user,
        url("diary:week", world.child, query="?date=2026-08-26"),
    )

    assert response.context["week"].monday == datetime.date(2026, 8, 24)
    assert all(not day.is_enrolled for day in response.context["week"].days)
    assert "не числился в классе" in page


def test_first_grade_finals_explain_no_marks(client, world):
    world.school_class.grade = 1
    world.school_class.save(update_fields=["grade"])
    client.force_login(world.guardian_user)

    page = client.get(url("diary:finals", world.child)).content.decode()

    assert "безотметочное" in page
