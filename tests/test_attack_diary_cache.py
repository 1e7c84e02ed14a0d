"""Attacks on the diary caches: stale data and other families' children.

Each test warms the cache through real requests and then changes the data
by one path: HTTP as a teacher, the admin site, raw SQL, ``QuerySet.update``,
``bulk_create`` or a delete. The next request must show the change and never
another family's child.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from conftest import World
from journal.models import Attendance, Lesson, Mark
from journal.tests import factories as jf
from journal.tests.conftest import MONDAY
from journal.tests.conftest import frozen_now as frozen_now
from school import models as sm
from school import services
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = MONDAY + datetime.timedelta(days=1)
WEDNESDAY = MONDAY + datetime.timedelta(days=2)
THURSDAY = MONDAY + datetime.timedelta(days=3)
ORDER = services.Order(number="15-у", date=MONDAY)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def week_html(client: Client, student: sm.Student) -> str:
    response = client.get(reverse("diary:week", args=[student.pk]))
    assert response.status_code == 200
    return str(response.context["week_days_html"])


def save_cell(client: Client, world: World, lesson: Lesson, value: str) -> int:
    """Type ``value`` into the child's grid cell as a browser with htmx would."""
    marks = Mark.objects.filter(lesson=lesson, student=world.child).order_by(
        "entered_at", "id"
    )
    attendance = Attendance.objects.filter(lesson=lesson, student=world.child).first()
    state = "a" + (str(attendance.version) if attendance else "") + ";"
    state += ",".join(f"m{mark.pk}:{mark.version}" for mark in marks)
    response = client.post(
        reverse("journal:grid_cell", args=[lesson.pk, world.child.pk]),
        {"value": value, "state": state, "work_type": world.work_type.pk},
        headers={"HX-Request": "true"},
    )
    return response.status_code


@pytest.fixture
def lesson(world: World) -> Lesson:
    return jf.LessonFactory.create(
        assignment=world.assignment, date=TUESDAY, number=2, topic="Дроби"
    )


@pytest.fixture
def guardian(world: World, lesson: Lesson) -> Client:
    """The guardian's browser after the week has been opened once."""
    client = signed_in(world.guardian_user)
    week_html(client, world.child)
    return client


# ----- changes through the teacher's pages ---------------------------------


def test_grid_mark_lifecycle_shown_to_parent(world, lesson, guardian):
    teacher = signed_in(world.teacher_user)

    assert save_cell(teacher, world, lesson, "4") == 200
    assert 'class="mark-value mark-4"' in week_html(guardian, world.child)

    assert save_cell(teacher, world, lesson, "2") == 200
    changed = week_html(guardian, world.child)
    assert 'class="mark-value mark-2"' in changed
    assert "mark-4" not in changed.split("mark-history")[0]
    assert "изменена" in changed

    assert save_cell(teacher, world, lesson, "") == 200
    deleted = week_html(guardian, world.child)
    assert 'class="mark-value' not in deleted
    assert "удалена" in deleted


def test_grid_absence_shown_to_student(world, lesson):
    student = signed_in(world.child_user)
    week_html(student, world.child)

    assert save_cell(signed_in(world.teacher_user), world, lesson, "н") == 200

    assert 'class="attendance-code"' in week_html(student, world.child)


def test_lesson_topic_page_shown_to_parent(world, lesson, guardian):
    teacher = signed_in(world.teacher_user)
    url = reverse("journal:lesson_topic", args=[lesson.pk])
    form = teacher.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["topic"] = "Десятичные дроби"

    response = teacher.post(url, data)

    assert response.status_code == 302
    assert "Десятичные дроби" in week_html(guardian, world.child)


# ----- moves between classes ------------------------------------------------


def test_pupil_moved_mid_week(world, lesson, guardian):
    jf.LessonFactory.create(
        assignment=world.other_assignment, date=THURSDAY, number=1, topic="Углы"
    )
    services.move(world.child, world.other_class, WEDNESDAY, ORDER)

    html = week_html(guardian, world.child)

    assert "Дроби" in html
    assert "Углы" in html


def test_lesson_moved_to_other_class(world, lesson, guardian):
    Lesson.objects.filter(pk=lesson.pk).update(
        school_class=world.other_class, assignment=world.other_assignment
    )

    assert "Дроби" not in week_html(guardian, world.child)


def test_moved_pupil_leaves_old_class_days(world, lesson):
    other = signed_in(world.other_guardian_user)
    jf.LessonFactory.create(
        assignment=world.assignment, date=THURSDAY, number=1, topic="Проценты"
    )
    assert "Проценты" in week_html(other, world.other_child)

    services.move(world.other_child, world.other_class, WEDNESDAY, ORDER)

    html = week_html(other, world.other_child)
    assert "Дроби" in html
    assert "Проценты" not in html


# (date, whether the page falls back to the current week).
WEEK_DATES = [
    ("2000-01-01", False),
    ("2099-12-31", False),
    ("1999-12-31", True),
    ("9999-12-31", True),
    ("2026-02-30", True),
]


@pytest.mark.parametrize(("date", "current_week"), WEEK_DATES)
def test_week_date_extremes(world, lesson, guardian, date, current_week):
    response = guardian.get(
        reverse("diary:week", args=[world.child.pk]), {"date": date}
    )

    assert response.status_code == 200
    shown = "Дроби" in str(response.context["week_days_html"])
    assert shown is current_week
    if current_week:
        assert "не распознана" in response.content.decode()


# ----- who shares an entry --------------------------------------------------


def test_student_and_guardian_share_week(world, lesson):
    student_html = week_html(signed_in(world.child_user), world.child)
    guardian_html = week_html(signed_in(world.guardian_user), world.child)

    assert guardian_html == student_html


def test_other_family_404_with_warm_cache(world, lesson, guardian):
    jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=2, work_type=world.work_type
    )
    week_html(guardian, world.child)
    other = signed_in(world.other_guardian_user)

    rejected = other.get(reverse("diary:week", args=[world.child.pk]))
    own = week_html(other, world.other_child)

    assert rejected.status_code == 404
    assert "mark-2" not in own
    assert "mark-2" not in rejected.content.decode()


def test_other_family_default_week_is_own(world, lesson, guardian):
    jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=2, work_type=world.work_type
    )
    week_html(guardian, world.child)

    response = signed_in(world.other_guardian_user).get(reverse("diary:week"))

    assert response.status_code == 200
    assert response.context["child"].student == world.other_child
    assert "mark-2" not in response.content.decode()


def test_second_guardian_needs_own_consent(world, lesson, guardian):
    second_user = UserFactory.create()
    second = f.GuardianFactory.create(user=second_user)
    f.GuardianLinkFactory.create(guardian=second, student=world.child)
    client = signed_in(second_user)

    closed = client.get(reverse("diary:week", args=[world.child.pk]))
    assert closed.status_code == 200
    assert closed.context["child"].is_open is False
    assert "Дроби" not in closed.content.decode()

    f.ConsentFactory.create(guardian=second, student=world.child)
    assert "Дроби" in week_html(client, world.child)

    sm.GuardianLink.objects.filter(guardian=world.guardian).delete()
    after_unlink = guardian.get(reverse("diary:week", args=[world.child.pk]))
    assert after_unlink.status_code == 404
    assert "Дроби" in week_html(client, world.child)


def test_student_account_unlinked(world, lesson):
    student = signed_in(world.child_user)
    week_html(student, world.child)
    sm.Student.objects.filter(pk=world.child.pk).update(user=UserFactory.create())

    response = student.get(reverse("diary:week", args=[world.child.pk]))

    assert response.status_code == 404


def test_guardian_account_moved(world, lesson, guardian):
    sm.Guardian.objects.filter(pk=world.guardian.pk).update(user=UserFactory.create())

    response = guardian.get(reverse("diary:week", args=[world.child.pk]))

    assert response.status_code == 404


def test_withdrawn_consent_service_closes(world, lesson, guardian):
    from school.services import withdraw_consent

    consent = sm.Consent.objects.get(guardian=world.guardian, student=world.child)
    withdraw_consent(consent, MONDAY, world.school)

    response = guardian.get(reverse("diary:week", args=[world.child.pk]))

    # The service unlinks the guardian's account, so the child is no longer
    # theirs at all; either way the week must not show.
    assert response.status_code in {200, 404}
    assert "Дроби" not in response.content.decode()


def test_stopped_application_by_other_guardian(world, lesson, guardian):
    f.DiaryApplicationFactory.create(
        student=world.child,
        guardian=world.guardian,
        school=world.school,
        status=sm.DiaryApplication.Status.STOPPED,
        filed_on=TUESDAY,
    )

    response = guardian.get(reverse("diary:week", args=[world.child.pk]))

    assert response.context["child"].is_open is False
    assert "Дроби" not in response.content.decode()


# ----- changes that bypass the ORM's save() ---------------------------------


def test_raw_sql_topic_shown(world, lesson, guardian):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE journal_lesson SET topic = %s WHERE id = %s",
            ["Тема из SQL", lesson.pk],
        )

    assert "Тема из SQL" in week_html(guardian, world.child)


def test_raw_sql_mark_delete_shown(world, lesson, guardian):
    mark = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    assert "mark-3" in week_html(guardian, world.child)

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM journal_mark WHERE id = %s", [mark.pk])

    assert "mark-3" not in week_html(guardian, world.child)


def test_raw_sql_link_delete_closes(world, lesson, guardian):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM school_guardianlink WHERE guardian_id = %s",
            [world.guardian.pk],
        )

    response = guardian.get(reverse("diary:week", args=[world.child.pk]))

    assert response.status_code == 404


def test_queryset_update_mark_shown(world, lesson, guardian):
    mark = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    week_html(guardian, world.child)

    Mark.objects.filter(pk=mark.pk).update(score=5)

    assert "mark-5" in week_html(guardian, world.child)


def test_bulk_create_marks_shown(world, lesson, guardian):
    Mark.objects.bulk_create(
        [
            Mark(
                lesson=lesson,
                student=world.child,
                score=4,
                work_type=world.work_type,
                weight=world.work_type.weight,
                author=world.teacher,
                entered_at=datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC),
            )
        ]
    )

    assert "mark-4" in week_html(guardian, world.child)


def test_bulk_update_homework_shown(world, lesson, guardian):
    lesson.homework = "Параграф 12"
    Lesson.objects.bulk_update([lesson], ["homework"])

    assert "Параграф 12" in week_html(guardian, world.child)


def test_orm_delete_mark_shown(world, lesson, guardian):
    mark = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    assert "mark-3" in week_html(guardian, world.child)

    mark.delete()

    assert "mark-3" not in week_html(guardian, world.child)


def test_work_type_renamed_shown(world, lesson, guardian):
    jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    week_html(guardian, world.child)

    sm.WorkType.objects.filter(pk=world.work_type.pk).update(short_name="ОТВ")

    assert "ОТВ" in week_html(guardian, world.child)


def test_school_saturday_change_shown(world, lesson, guardian):
    sm.School.objects.filter(pk=world.school.pk).update(works_saturday=False)

    assert "Выходной день" in week_html(guardian, world.child)


# ----- the admin site -------------------------------------------------------


def test_admin_subject_rename_shown(world, lesson, guardian):
    admin = signed_in(world.school_admin_user)
    url = reverse("admin:school_subject_change", args=[world.subject.pk])

    response = admin.post(
        url,
        {
            "school": world.school.pk,
            "name": "Алгебра",
            "short_name": "Алг",
            "grading": world.subject.grading,
        },
    )

    assert response.status_code == 302
    assert "Алгебра" in week_html(guardian, world.child)


def test_admin_link_delete_closes(world, lesson, guardian):
    admin = signed_in(world.school_admin_user)
    link = sm.GuardianLink.objects.get(guardian=world.guardian, student=world.child)
    url = reverse("admin:school_guardianlink_delete", args=[link.pk])

    response = admin.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert guardian.get(reverse("diary:week", args=[world.child.pk])).status_code == 404


# ----- changes outside the usual save paths ----------------------------------


def test_class_teacher_rename_shown(world, lesson):
    sm.SchoolClass.objects.filter(pk=world.school_class.pk).update(
        class_teacher=world.other_teacher
    )
    guardian = signed_in(world.guardian_user)
    url = reverse("diary:teachers", args=[world.child.pk])
    assert world.other_teacher.last_name in guardian.get(url).content.decode()

    sm.StaffMember.objects.filter(pk=world.other_teacher.pk).update(
        last_name="Новофамильная"
    )

    assert "Новофамильная" in guardian.get(url).content.decode()


def test_truncate_marks_shown(world, lesson, guardian):
    jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    assert "mark-3" in week_html(guardian, world.child)

    with connection.cursor() as cursor:
        # PostgreSQL allows TRUNCATE only after the deferred foreign key
        # checks of the test's transaction have run.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE journal_mark")

    assert "mark-3" not in week_html(guardian, world.child)
