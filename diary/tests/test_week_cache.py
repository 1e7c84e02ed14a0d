"""The diary's caches: hits, and every change that must show at once."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diary.models import CacheStamp
from journal.models import Attendance, JournalChange
from journal.tests import factories as jf
from journal.tests.conftest import MONDAY
from school.models import Bell, Enrollment, Holiday, Subgroup, SubgroupMembership

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = MONDAY + datetime.timedelta(days=1)
# A cache hit runs the session, user and cache stamp queries: the children's
# access state, the week's days and the header navigation come from the cache.
HIT_QUERIES = 3


def _get_week(client, world):
    url = reverse("diary:week", args=[world.child.pk])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return str(response.context["week_days_html"]), len(captured.captured_queries)


@pytest.fixture
def lesson(world):
    return jf.LessonFactory.create(
        assignment=world.assignment, date=TUESDAY, number=2, topic="Дроби"
    )


@pytest.fixture
def opened(client, world, lesson):
    """The guardian has opened the week once, so it is in the cache."""
    client.force_login(world.guardian_user)
    _get_week(client, world)
    return lesson


def test_second_request_served_from_cache(client, world, opened):
    first, _ = _get_week(client, world)
    second, queries = _get_week(client, world)

    assert second == first
    assert queries == HIT_QUERIES


def test_hit_runs_fixed_queries_for_30_pupils(client, world, opened):
    from journal.tests.conftest import enroll_pupils

    enroll_pupils(world.school_class, 25)
    _get_week(client, world)
    _, queries = _get_week(client, world)

    assert queries == HIT_QUERIES


def _new_mark(world, lesson):
    jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=2, work_type=world.work_type
    )


def _changed_mark(world, lesson):
    mark = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    mark.score = 2
    mark.version = 2
    mark.save()


def _attendance(world, lesson):
    jf.AttendanceFactory.create(
        lesson=lesson, student=world.child, code=Attendance.Code.ABSENT
    )


def _topic(world, lesson):
    lesson.topic = "Сложение дробей"
    lesson.save()


def _homework(world, lesson):
    lesson.homework = "Задача 2"
    lesson.save()


def _cancelled(world, lesson):
    lesson.is_cancelled = True
    lesson.save()


def _new_lesson(world, lesson):
    jf.LessonFactory.create(
        assignment=world.assignment, date=TUESDAY, number=3, topic="Проценты"
    )


def _deleted_lesson(world, lesson):
    lesson.delete()


def _substitute(world, lesson):
    lesson.substitute_teacher = world.other_teacher
    lesson.save()


def _teacher_renamed(world, lesson):
    world.teacher.last_name = "Переименованная"
    world.teacher.save()


def _subject_renamed(world, lesson):
    world.subject.name = "Алгебра"
    world.subject.save()


def _bell(world, lesson):
    Bell.objects.update_or_create(
        academic_year=world.year,
        lesson_number=2,
        defaults={
            "starts_at": datetime.time(9, 5),
            "ends_at": datetime.time(9, 50),
        },
    )


def _holiday(world, lesson):
    Holiday.objects.create(
        academic_year=world.year,
        name="Внеплановые каникулы",
        start_date=TUESDAY,
        end_date=TUESDAY,
    )


def _joined_later(world, lesson):
    wednesday = MONDAY + datetime.timedelta(days=2)
    Enrollment.objects.filter(student=world.child).update(start_date=wednesday)


def _subgroup(world, lesson):
    group = Subgroup.objects.create(school_class=world.school_class, name="1 группа")
    world.assignment.subgroup = group
    world.assignment.save()


def _joined_subgroup(world, lesson):
    group = Subgroup.objects.create(school_class=world.school_class, name="2 группа")
    world.assignment.subgroup = group
    world.assignment.save()
    SubgroupMembership.objects.create(subgroup=group, student=world.child)


def _mark_history(world, lesson):
    JournalChange.objects.create(
        kind=JournalChange.Kind.MARK,
        action=JournalChange.Action.DELETED,
        object_id=1,
        student=world.child,
        lesson=lesson,
        subject=world.subject,
        old_value="5",
        new_value="",
        changed_by=world.teacher_user,
    )


# (change, text the days show after it, text they no longer show).
CHANGES = {
    "new mark": (_new_mark, 'class="mark-value mark-2"', None),
    "changed mark": (_changed_mark, "изменена", None),
    "attendance": (_attendance, 'class="attendance-code"', None),
    "topic": (_topic, "Сложение дробей", "Дроби<"),
    "homework": (_homework, "Задача 2", None),
    "cancelled": (_cancelled, "урок отменён", None),
    "new lesson": (_new_lesson, "Проценты", None),
    "deleted lesson": (_deleted_lesson, None, "Дроби"),
    "substitute": (_substitute, "замена", None),
    "teacher renamed": (_teacher_renamed, "Переименованная", None),
    "subject renamed": (_subject_renamed, "Алгебра", None),
    "bell": (_bell, "09:05–09:50", None),
    "holiday": (_holiday, "Внеплановые каникулы", None),
    "joined later": (_joined_later, "не числился в классе", "Дроби"),
    "subgroup without the pupil": (_subgroup, None, "Дроби"),
    "subgroup with the pupil": (_joined_subgroup, "2 группа", None),
    "mark history": (_mark_history, "Отметка 5 удалена", None),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_change_shows_on_next_request(client, world, opened, name):
    change, shown, gone = CHANGES[name]
    before, _ = _get_week(client, world)
    assert shown is None or shown not in before

    change(world, opened)
    after, _ = _get_week(client, world)

    if shown is not None:
        assert shown in after
    if gone is not None:
        assert gone not in after


def test_other_pupils_mark_keeps_entry(client, world, opened):
    jf.MarkFactory.create(
        lesson=opened, student=world.other_child, score=5, work_type=world.work_type
    )

    _, queries = _get_week(client, world)

    assert queries == HIT_QUERIES


def test_other_class_lesson_keeps_entry(client, world, opened):
    jf.LessonFactory.create(assignment=world.other_assignment, date=TUESDAY)

    _, queries = _get_week(client, world)

    assert queries == HIT_QUERIES


def test_stamp_rises_within_one_transaction(world, lesson):
    stamp = CacheStamp.objects.get(scope="class", object_id=world.school_class.pk)
    lesson.topic = "Первое изменение"
    lesson.save()
    lesson.topic = "Второе изменение"
    lesson.save()

    stamp_after = CacheStamp.objects.get(pk=stamp.pk)

    assert stamp_after.value >= stamp.value + 2


def test_closed_diary_not_served_from_cache(client, world, opened):
    from school.models import DiaryApplication

    DiaryApplication.objects.filter(student=world.child).update(
        status=DiaryApplication.Status.STOPPED
    )

    response = client.get(reverse("diary:week", args=[world.child.pk]))

    assert response.status_code == 200
    assert "week_days_html" not in response.context
    assert "Дроби" not in response.content.decode()


def _diary_status(client, world):
    return client.get(reverse("diary:week", args=[world.child.pk]))


def test_removed_link_refused_at_once(client, world, opened):
    from school.models import GuardianLink

    GuardianLink.objects.filter(guardian=world.guardian, student=world.child).delete()

    assert _diary_status(client, world).status_code == 404


def test_withdrawn_consent_closes_at_once(client, world, opened):
    from school.models import Consent

    Consent.objects.filter(guardian=world.guardian, student=world.child).update(
        withdrawn_on=MONDAY
    )

    response = _diary_status(client, world)

    assert response.status_code == 200
    assert response.context["child"].is_open is False
    assert "Дроби" not in response.content.decode()


def test_transfer_closes_at_once(client, world, opened):
    Enrollment.objects.filter(student=world.child).update(
        end_date=MONDAY, end_reason=Enrollment.EndReason.TRANSFER
    )

    response = _diary_status(client, world)

    assert response.context["child"].is_open is False
    assert "Дроби" not in response.content.decode()


def test_renamed_child_shown_at_once(client, world, opened):
    world.child.first_name = "Переименованный"
    world.child.save()

    assert "Переименованный" in _diary_status(client, world).content.decode()


def test_renamed_class_shown_at_once(client, world, opened):
    world.school_class.letter = "Я"
    world.school_class.save()

    page = _diary_status(client, world).content.decode()

    assert f"{world.school_class.grade}Я класс" in page


def test_new_role_shows_journal_link_at_once(client, world, opened):
    from school.models import StaffMember, StaffRole

    staff = StaffMember.objects.create(
        last_name="Родителева", first_name="Мария", user=world.guardian_user
    )
    StaffRole.objects.create(
        staff=staff, school=world.school, role=StaffRole.Role.TEACHER
    )

    page = _diary_status(client, world).content.decode()

    assert reverse("journal:day") in page
