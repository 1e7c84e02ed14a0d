"""The diary week page: lessons, marks, attendance, holidays, query count."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from journal.models import Attendance
from journal.tests import factories as jf
from journal.tests.conftest import MONDAY, count_queries, enroll_pupils
from school.models import Enrollment, Holiday, Subgroup, SubgroupMembership
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = MONDAY + datetime.timedelta(days=1)
WEDNESDAY = MONDAY + datetime.timedelta(days=2)


def week_page(client, world, day=None, user=None):
    client.force_login(user or world.guardian_user)
    url = reverse("diary:week", args=[world.child.pk])
    if day is not None:
        url += f"?date={day.isoformat()}"
    response = client.get(url)
    assert response.status_code == 200
    return response, response.content.decode()


def test_week_runs_monday_to_saturday(client, world):
    response, page = week_page(client, world)

    days = [day.date for day in response.context["week"].days]
    assert days == [MONDAY + datetime.timedelta(days=n) for n in range(6)]
    assert "понедельник, 30 ноября" in page
    assert "суббота, 5 декабря" in page
    assert "сегодня" in page


def test_week_shows_lesson_details(client, world):
    lesson = jf.LessonFactory.create(
        assignment=world.assignment,
        date=TUESDAY,
        number=2,
        room="305",
        topic="Сравнение дробей",
        homework="№ 301",
        homework_due=WEDNESDAY,
        is_control_work=True,
    )
    jf.MarkFactory.create(
        lesson=lesson,
        student=world.child,
        score=4,
        work_type=world.control_work,
        weight=5,
        comment="Вычислительная ошибка",
    )
    jf.AttendanceFactory.create(
        lesson=lesson, student=world.child, code=Attendance.Code.LATE
    )

    _, page = week_page(client, world, TUESDAY)

    assert "09:25–10:10" in page
    assert "Математика" in page
    assert "каб. 305" in page
    assert world.teacher.short_name in page
    assert "Сравнение дробей" in page
    assert "№ 301" in page
    assert "сдать к 2 декабря" in page
    assert "контрольная работа" in page
    assert ">4<" in page
    assert "к/р" in page
    assert "вес 5" in page
    assert "Вычислительная ошибка" in page
    assert "ОП" in page
    assert "опоздал(а)" in page


def test_other_pupils_marks_hidden(client, world):
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=TUESDAY)
    jf.MarkFactory.create(
        lesson=lesson, student=world.other_child, score=2, comment="Чужая"
    )
    jf.AttendanceFactory.create(lesson=lesson, student=world.other_child)

    response, page = week_page(client, world, TUESDAY)

    item = response.context["week"].days[1].lessons[0]
    assert item.marks == []
    assert item.attendance is None
    assert "Чужая" not in page


def test_substitute_and_cancelled_marked(client, world):
    jf.LessonFactory.create(
        assignment=world.assignment,
        date=MONDAY,
        number=1,
        substitute_teacher=world.other_teacher,
    )
    jf.LessonFactory.create(
        assignment=world.assignment, date=MONDAY, number=2, is_cancelled=True
    )

    _, page = week_page(client, world, MONDAY)

    assert world.other_teacher.short_name in page
    assert "замена" in page
    assert "урок отменён" in page


def test_lessons_in_number_order(client, world):
    jf.LessonFactory.create(
        assignment=world.assignment, date=MONDAY, number=3, topic="Третий"
    )
    jf.LessonFactory.create(
        assignment=world.assignment, date=MONDAY, number=1, topic="Первый"
    )

    response, _ = week_page(client, world, MONDAY)

    numbers = [item.lesson.number for item in response.context["week"].days[0].lessons]
    assert numbers == [1, 3]


def test_holiday_shown_for_pupils_grade(client, world):
    dates = dict(academic_year=world.year, start_date=TUESDAY, end_date=WEDNESDAY)
    Holiday.objects.create(name="Осенние каникулы", grade_from=5, grade_to=9, **dates)
    Holiday.objects.create(
        name="Каникулы первоклассников", grade_from=1, grade_to=1, **dates
    )

    response, page = week_page(client, world, MONDAY)

    days = response.context["week"].days
    assert days[0].holiday is None
    assert days[1].holiday.name == "Осенние каникулы"
    assert "Каникулы: Осенние каникулы" in page
    assert "первоклассников" not in page


def test_only_own_subgroup_lessons(client, world):
    group_a = Subgroup.objects.create(school_class=world.school_class, name="1 гр.")
    group_b = Subgroup.objects.create(school_class=world.school_class, name="2 гр.")
    SubgroupMembership.objects.create(subgroup=group_a, student=world.child)
    english = f.SubjectFactory.create(school=world.school, name="Английский язык")
    for group in (group_a, group_b):
        assignment = f.TeachingAssignmentFactory.create(
            school_class=world.school_class,
            subgroup=group,
            subject=english,
            teacher=world.other_teacher,
        )
        jf.LessonFactory.create(
            assignment=assignment, date=MONDAY, number=2, room=group.name
        )

    response, page = week_page(client, world, MONDAY)

    lessons = response.context["week"].days[0].lessons
    assert [item.lesson.assignment.subgroup for item in lessons] == [group_a]
    assert "(1 гр.)" in page
    assert "2 гр." not in page


def test_mid_week_join_hides_earlier_days(client, world):
    newcomer = f.StudentFactory.create()
    f.GuardianLinkFactory.create(guardian=world.guardian, student=newcomer)
    f.EnrollmentFactory.create(
        student=newcomer, school_class=world.school_class, start_date=WEDNESDAY
    )
    f.DiaryApplicationFactory.create(
        student=newcomer, guardian=world.guardian, school=world.school
    )
    f.ConsentFactory.create(guardian=world.guardian, student=newcomer)
    for day in (MONDAY, WEDNESDAY):
        jf.LessonFactory.create(assignment=world.assignment, date=day)
    client.force_login(world.guardian_user)

    response = client.get(reverse("diary:week", args=[newcomer.pk]))

    days = response.context["week"].days
    assert not days[0].is_enrolled
    assert days[0].lessons == []
    assert len(days[2].lessons) == 1
    assert "не числился в классе" in response.content.decode()


def test_mid_week_leave_hides_later_days(client, world):
    Enrollment.objects.filter(student=world.child).update(
        end_date=TUESDAY, end_reason=Enrollment.EndReason.CLASS_CHANGE
    )
    f.EnrollmentFactory.create(
        student=world.child, school_class=world.other_class, start_date=WEDNESDAY
    )
    jf.LessonFactory.create(assignment=world.assignment, date=MONDAY)
    jf.LessonFactory.create(assignment=world.assignment, date=WEDNESDAY)
    jf.LessonFactory.create(
        assignment=world.other_assignment, date=WEDNESDAY, topic="6Б"
    )

    response, _ = week_page(client, world, MONDAY)

    days = response.context["week"].days
    assert len(days[0].lessons) == 1
    assert [item.lesson.topic for item in days[2].lessons] == ["6Б"]
    assert days[2].school_class == world.other_class


def test_week_links_and_date_picker(client, world):
    _, page = week_page(client, world, WEDNESDAY)

    assert "?date=2026-11-23" in page
    assert "?date=2026-12-07" in page
    assert 'type="date"' in page
    assert 'value="2026-12-02"' in page


def test_invalid_date_falls_back_to_today(client, world):
    client.force_login(world.guardian_user)

    response = client.get(reverse("diary:week", args=[world.child.pk]) + "?date=31.12")

    assert response.status_code == 200
    assert response.context["week"].monday == MONDAY
    assert "не распознана" in response.content.decode()


def test_far_date_rejected_without_error(client, world):
    client.force_login(world.guardian_user)

    response = client.get(
        reverse("diary:week", args=[world.child.pk]) + "?date=0001-01-01"
    )

    assert response.status_code == 200
    assert response.context["week"].monday == MONDAY


def _fill_class(world, size):
    pupils = [
        world.child,
        world.other_child,
        *enroll_pupils(world.school_class, size - 2),
    ]
    for number in (1, 2, 3):
        for day in (MONDAY, TUESDAY, WEDNESDAY):
            lesson = jf.LessonFactory.create(
                assignment=world.assignment, date=day, number=number
            )
            for pupil in pupils:
                jf.MarkFactory.create(
                    lesson=lesson, student=pupil, work_type=world.work_type
                )
                jf.MarkFactory.create(
                    lesson=lesson, student=pupil, work_type=world.control_work
                )
                jf.AttendanceFactory.create(lesson=lesson, student=pupil)


def _week_queries(client, world):
    url = reverse("diary:week", args=[world.child.pk])
    return count_queries(lambda: client.get(url))


@pytest.mark.parametrize("size", [5, 30])
def test_week_query_count_fixed(client, world, size, django_assert_max_num_queries):
    _fill_class(world, size)
    client.force_login(world.guardian_user)

    with django_assert_max_num_queries(15):
        response = client.get(reverse("diary:week", args=[world.child.pk]))

    lessons = [item for day in response.context["week"].days for item in day.lessons]
    assert len(lessons) == 9
    assert all(len(item.marks) == 2 for item in lessons)


def test_week_queries_independent_of_class_size(client, world):
    client.force_login(world.guardian_user)
    _fill_class(world, 5)
    small = _week_queries(client, world)

    enroll_pupils(world.school_class, 25)
    for lesson in world.assignment.lessons.all():
        for pupil in world.school_class.enrollments.values_list("student", flat=True):
            jf.MarkFactory.create(
                lesson=lesson, student_id=pupil, work_type=world.work_type
            )
    large = _week_queries(client, world)

    assert small == large


def test_changed_mark_marked(client, world):
    lesson = jf.LessonFactory.create(assignment=world.assignment, date=MONDAY)
    jf.MarkFactory.create(
        lesson=lesson, student=world.child, work_type=world.work_type, version=2
    )

    _, page = week_page(client, world, MONDAY)

    assert "изменена" in page


def test_five_day_school_saturday_off(client, world):
    _, page = week_page(client, world, MONDAY)

    assert "Выходной день." in page


def test_day_without_lessons_shows_timetable(client, world):
    f.TimetableEntryFactory.create(
        assignment=world.assignment, weekday=3, lesson_number=2, room="305"
    )
    jf.LessonFactory.create(assignment=world.assignment, date=TUESDAY, number=1)

    response, page = week_page(client, world)

    days = {day.date: day for day in response.context["week"].days}
    assert [slot.entry.lesson_number for slot in days[WEDNESDAY].planned] == [2]
    assert days[TUESDAY].planned == []
    assert "ещё не внесены в журнал" in page
    assert "каб. 305" in page


def test_holiday_shows_no_timetable(client, world):
    f.TimetableEntryFactory.create(assignment=world.assignment, weekday=3)
    Holiday.objects.create(
        academic_year=world.year,
        name="Осенние каникулы",
        start_date=WEDNESDAY,
        end_date=WEDNESDAY,
    )

    response, _ = week_page(client, world)

    days = {day.date: day for day in response.context["week"].days}
    assert days[WEDNESDAY].planned == []
