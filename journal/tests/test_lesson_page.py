"""The lesson page: who may open it, what it lists, how it saves."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from journal.models import Attendance, JournalChange, Lesson, Mark
from journal.tests import factories as jf
from journal.tests.conftest import NOW, count_queries, enroll_pupils, page_data
from school.models import Enrollment, Holiday, Subgroup, SubgroupMembership, Subject
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

LESSON_DATE = datetime.date(2026, 12, 1)


@pytest.fixture
def lesson(world) -> Lesson:
    return jf.LessonFactory.create(
        assignment=world.assignment, date=LESSON_DATE, topic=""
    )


def url(lesson: Lesson) -> str:
    return reverse("journal:lesson", args=[lesson.pk])


def open_page(client, world, lesson, user=None):
    client.force_login(user or world.teacher_user)
    response = client.get(url(lesson))
    assert response.status_code == 200
    return response


def journal_state(lesson):
    """Everything a submission could change, to compare before and after."""
    lesson.refresh_from_db()
    return (
        lesson.topic,
        lesson.homework,
        lesson.homework_due,
        sorted(
            Mark.objects.filter(lesson=lesson).values_list(
                "id",
                "student_id",
                "score",
                "passed",
                "work_type_id",
                "comment",
                "version",
            )
        ),
        sorted(
            Attendance.objects.filter(lesson=lesson).values_list(
                "id", "student_id", "code", "version"
            )
        ),
        JournalChange.objects.count(),
    )


# Access


def test_teacher_opens_lesson(client, world, lesson):
    response = open_page(client, world, lesson)

    pupils = [row.pupil.student for row in response.context["rows"]]
    assert set(pupils) == {world.child, world.other_child}


def test_substitute_opens_lesson(client, world, lesson):
    lesson.substitute_teacher = world.other_teacher
    lesson.save(update_fields=["substitute_teacher"])

    open_page(client, world, lesson, world.other_teacher_user)


@pytest.mark.parametrize(
    "persona",
    [
        "other_teacher_user",
        "guardian_user",
        "child_user",
        "school_admin_user",
        "other_school_admin_user",
    ],
)
def test_outsiders_get_404_and_change_nothing(client, world, lesson, persona):
    before = journal_state(lesson)
    client.force_login(getattr(world, persona))

    get_response = client.get(url(lesson))
    post_response = client.post(
        url(lesson),
        {
            "topic": "Взлом",
            f"p{world.child.pk}-known_marks": "",
            f"p{world.child.pk}-score": "5",
            f"p{world.child.pk}-work_type": str(world.work_type.pk),
            f"p{world.child.pk}-attendance": "Н",
        },
    )

    assert get_response.status_code == 404
    assert post_response.status_code == 404
    assert journal_state(lesson) == before


def test_anonymous_redirected_to_sign_in(client, lesson):
    assert client.get(url(lesson)).status_code == 302
    assert client.post(url(lesson), {}).status_code == 302


# Roster


def test_roster_sorted_by_surname_and_enrolled_on_date(client, world, lesson):
    world.child.last_name = "Яковлева"
    world.child.save(update_fields=["last_name"])
    early = f.StudentFactory.create(last_name="Абрамова")
    f.EnrollmentFactory.create(student=early, school_class=world.school_class)
    left = f.StudentFactory.create(last_name="Борисова")
    f.EnrollmentFactory.create(
        student=left,
        school_class=world.school_class,
        end_date=datetime.date(2026, 11, 30),
        end_reason=Enrollment.EndReason.TRANSFER,
    )
    later = f.StudentFactory.create(last_name="Васильева")
    f.EnrollmentFactory.create(
        student=later,
        school_class=world.school_class,
        start_date=datetime.date(2026, 12, 2),
    )

    response = open_page(client, world, lesson)

    pupils = [row.pupil.student for row in response.context["rows"]]
    assert pupils[0] == early
    assert pupils[-1] == world.child
    assert left not in pupils
    assert later not in pupils


def test_subgroup_lesson_lists_members_only(client, world):
    group = Subgroup.objects.create(school_class=world.school_class, name="1 гр.")
    SubgroupMembership.objects.create(subgroup=group, student=world.child)
    assignment = f.TeachingAssignmentFactory.create(
        school_class=world.school_class,
        subgroup=group,
        subject=f.SubjectFactory.create(school=world.school),
        teacher=world.teacher,
    )
    lesson = jf.LessonFactory.create(assignment=assignment, date=LESSON_DATE)

    response = open_page(client, world, lesson)

    assert [row.pupil.student for row in response.context["rows"]] == [world.child]


def test_default_work_type_preselected(client, world, lesson):
    response = open_page(client, world, lesson)

    row = response.context["rows"][0]
    assert row.form["work_type"].value() == world.work_type.pk
    assert row.form["work_type"].value() != world.control_work.pk


# Saving


def test_teacher_saves_mark_and_absence(client, world, lesson):
    data = page_data(open_page(client, world, lesson))
    child = f"p{world.child.pk}"
    data.update(
        {
            f"{child}-score": "4",
            f"{child}-work_type": str(world.control_work.pk),
            f"{child}-comment": "Хорошо",
            f"p{world.other_child.pk}-attendance": "Н",
            "topic": "Деление дробей",
            "homework": "№ 310",
            "homework_due": "2026-12-03",
        }
    )

    response = client.post(url(lesson), data)

    assert response.status_code == 302
    mark = Mark.objects.get(lesson=lesson)
    assert mark.student == world.child
    assert mark.score == 4
    assert mark.work_type == world.control_work
    assert mark.weight == 5
    assert mark.comment == "Хорошо"
    assert mark.author == world.teacher
    assert mark.entered_at == NOW
    absence = Attendance.objects.get(lesson=lesson)
    assert absence.student == world.other_child
    assert absence.code == "Н"
    assert absence.author == world.teacher
    lesson.refresh_from_db()
    assert lesson.topic == "Деление дробей"
    assert lesson.homework == "№ 310"
    assert lesson.homework_due == datetime.date(2026, 12, 3)
    changes = JournalChange.objects.order_by("kind")
    assert [(c.kind, c.action) for c in changes] == [
        ("attendance", "created"),
        ("mark", "created"),
    ]
    assert changes[1].new_value == "4 (к/р, вес 5) «Хорошо»"
    assert changes[1].changed_by == world.teacher_user
    assert changes[1].subject == world.subject
    assert changes[0].new_value == "Н"
    follow = client.get(url(lesson))
    assert "Журнал урока сохранён" in follow.content.decode()


def test_substitute_is_author(client, world, lesson):
    lesson.substitute_teacher = world.other_teacher
    lesson.save(update_fields=["substitute_teacher"])
    data = page_data(open_page(client, world, lesson, world.other_teacher_user))
    data[f"p{world.child.pk}-score"] = "5"

    client.post(url(lesson), data)

    assert Mark.objects.get(lesson=lesson).author == world.other_teacher


def test_change_and_delete_marks_recorded(client, world, lesson):
    kept = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    dropped = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=2, work_type=world.work_type
    )
    jf.AttendanceFactory.create(lesson=lesson, student=world.other_child, code="Н")
    data = page_data(open_page(client, world, lesson))
    data[f"m{kept.pk}-score"] = "4"
    data[f"m{dropped.pk}-delete"] = "on"
    data[f"p{world.other_child.pk}-attendance"] = "Б"

    response = client.post(url(lesson), data)

    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.score == 4
    assert kept.version == 2
    assert not Mark.objects.filter(pk=dropped.pk).exists()
    attendance = Attendance.objects.get(lesson=lesson)
    assert attendance.code == "Б"
    assert attendance.version == 2
    history = {
        (c.kind, c.action, c.old_value, c.new_value)
        for c in JournalChange.objects.all()
    }
    assert history == {
        ("mark", "changed", "3 (урок, вес 1)", "4 (урок, вес 1)"),
        ("mark", "deleted", "2 (урок, вес 1)", ""),
        ("attendance", "changed", "Н", "Б"),
    }


def test_clearing_attendance_deletes_row(client, world, lesson):
    jf.AttendanceFactory.create(lesson=lesson, student=world.child, code="ОП")
    data = page_data(open_page(client, world, lesson))
    data[f"p{world.child.pk}-attendance"] = ""

    client.post(url(lesson), data)

    assert not Attendance.objects.filter(lesson=lesson).exists()
    change = JournalChange.objects.get()
    assert (change.action, change.old_value) == ("deleted", "ОП")


def test_pass_fail_subject_takes_pass(client, world):
    subject = f.SubjectFactory.create(
        school=world.school, grading=Subject.Grading.PASS_FAIL
    )
    assignment = f.TeachingAssignmentFactory.create(
        school_class=world.school_class, subject=subject, teacher=world.teacher
    )
    lesson = jf.LessonFactory.create(assignment=assignment, date=LESSON_DATE)
    data = page_data(open_page(client, world, lesson))
    data[f"p{world.child.pk}-score"] = "pass"
    data[f"p{world.other_child.pk}-score"] = "4"

    response = client.post(url(lesson), data)

    assert response.status_code == 400
    assert "«зачёт» или «незачёт»" in response.content.decode()
    data[f"p{world.other_child.pk}-score"] = "fail"
    client.post(url(lesson), data)
    marks = {m.student_id: m for m in Mark.objects.filter(lesson=lesson)}
    assert marks[world.child.pk].passed is True
    assert marks[world.child.pk].score is None
    assert marks[world.other_child.pk].passed is False


def test_unchanged_form_saves_nothing(client, world, lesson):
    jf.MarkFactory.create(lesson=lesson, student=world.child, work_type=world.work_type)
    before = journal_state(lesson)
    data = page_data(open_page(client, world, lesson))

    response = client.post(url(lesson), data, follow=True)

    assert journal_state(lesson) == before
    assert "Изменений нет" in response.content.decode()


# Validation


def _rejected(client, lesson, data, message):
    before = journal_state(lesson)

    response = client.post(url(lesson), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Журнал не сохранён" in response.content.decode()
    assert journal_state(lesson) == before
    return response


def _valid_other_changes(world, data):
    # Valid input next to the invalid one, to prove nothing is half-saved.
    data.update(
        {
            "topic": "Новая тема",
            f"p{world.other_child.pk}-score": "5",
            f"p{world.other_child.pk}-attendance": "ОП",
        }
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("score", "7", "Недопустимая оценка «7»: выберите от 1 до 5."),
        ("score", "0", "Недопустимая оценка «0»"),
        ("work_type", "999999", "Неизвестный вид работы"),
        ("attendance", "X", "Недопустимая отметка посещаемости «X»"),
        ("comment", "без оценки", "Комментарий без оценки"),
    ],
)
def test_invalid_pupil_input_rejected(client, world, lesson, field, value, message):
    data = page_data(open_page(client, world, lesson))
    _valid_other_changes(world, data)
    data[f"p{world.child.pk}-score"] = "5"
    data[f"p{world.child.pk}-{field}"] = value
    if field == "comment":
        data[f"p{world.child.pk}-score"] = ""

    _rejected(client, lesson, data, message)


def test_other_school_work_type_rejected(client, world, lesson):
    foreign = f.WorkTypeFactory.create(school=world.other_school, name="Чужая работа")
    data = page_data(open_page(client, world, lesson))
    data[f"p{world.child.pk}-score"] = "5"
    data[f"p{world.child.pk}-work_type"] = str(foreign.pk)

    _rejected(client, lesson, data, "Неизвестный вид работы")


def test_due_date_before_lesson_rejected(client, world, lesson):
    data = page_data(open_page(client, world, lesson))
    _valid_other_changes(world, data)
    data["homework_due"] = "2026-11-30"

    _rejected(client, lesson, data, "не может быть раньше даты урока (01.12.2026)")


def test_invalid_due_date_rejected(client, world, lesson):
    data = page_data(open_page(client, world, lesson))
    data["homework_due"] = "завтра"

    _rejected(client, lesson, data, "укажите дату в виде ГГГГ-ММ-ДД")


def test_stale_version_field_rejected(client, world, lesson):
    mark = jf.MarkFactory.create(
        lesson=lesson, student=world.child, work_type=world.work_type
    )
    data = page_data(open_page(client, world, lesson))
    data[f"m{mark.pk}-version"] = "abc"

    _rejected(client, lesson, data, "Форма устарела")


def test_mark_on_cancelled_lesson_rejected(client, world, lesson):
    data = page_data(open_page(client, world, lesson))
    Lesson.objects.filter(pk=lesson.pk).update(is_cancelled=True)
    _valid_other_changes(world, data)

    _rejected(client, lesson, data, "Урок отменён")


def test_mark_on_holiday_rejected(client, world, lesson):
    Holiday.objects.create(
        academic_year=world.year,
        name="Зимние каникулы",
        start_date=LESSON_DATE,
        end_date=LESSON_DATE,
        grade_from=5,
        grade_to=5,
    )
    data = page_data(open_page(client, world, lesson))
    _valid_other_changes(world, data)

    _rejected(client, lesson, data, "каникулы («Зимние каникулы»)")


def test_mark_outside_periods_rejected(client, world):
    lesson = jf.LessonFactory.create(
        assignment=world.assignment, date=datetime.date(2026, 11, 2)
    )
    data = page_data(open_page(client, world, lesson))
    _valid_other_changes(world, data)

    _rejected(client, lesson, data, "не входит ни в один учебный период")


def test_closed_period_rejected(client, world, lesson):
    world.quarter.closed_on = datetime.date(2026, 12, 1)
    world.quarter.save(update_fields=["closed_on"])
    data = page_data(open_page(client, world, lesson))
    _valid_other_changes(world, data)

    _rejected(client, lesson, data, "закрыт 01.12.2026")


def test_topic_saved_on_cancelled_lesson(client, world, lesson):
    Lesson.objects.filter(pk=lesson.pk).update(is_cancelled=True)
    data = page_data(open_page(client, world, lesson))
    data["topic"] = "Перенесён"

    assert client.post(url(lesson), data).status_code == 302
    lesson.refresh_from_db()
    assert lesson.topic == "Перенесён"


# Double submit and concurrent edits


def test_double_submit_creates_one_mark(client, world, lesson):
    data = page_data(open_page(client, world, lesson))
    data[f"p{world.child.pk}-score"] = "5"
    data[f"p{world.child.pk}-attendance"] = "ОП"

    first = client.post(url(lesson), data)
    second = client.post(url(lesson), data)

    assert first.status_code == 302
    assert second.status_code == 302
    assert Mark.objects.filter(lesson=lesson).count() == 1
    assert Attendance.objects.get(lesson=lesson).version == 1
    assert JournalChange.objects.count() == 2


def test_double_submit_of_change_is_harmless(client, world, lesson):
    mark = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    data = page_data(open_page(client, world, lesson))
    data[f"m{mark.pk}-score"] = "4"

    client.post(url(lesson), data)
    second = client.post(url(lesson), data)

    assert second.status_code == 302
    mark.refresh_from_db()
    assert (mark.score, mark.version) == (4, 2)
    assert JournalChange.objects.count() == 1


def test_new_mark_after_concurrent_mark_rejected(client, world, lesson):
    data = page_data(open_page(client, world, lesson))
    jf.MarkFactory.create(
        lesson=lesson,
        student=world.child,
        score=2,
        work_type=world.work_type,
        author=world.other_teacher,
    )
    data[f"p{world.child.pk}-score"] = "5"

    response = client.post(url(lesson), data)

    assert response.status_code == 409
    assert "ученику выставили отметку «2 (урок, вес 1)»" in response.content.decode()
    assert Mark.objects.filter(lesson=lesson).count() == 1


def test_stale_mark_version_rejected_with_current_value(client, world, lesson):
    mark = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    data = page_data(open_page(client, world, lesson))
    Mark.objects.filter(pk=mark.pk).update(score=2, version=2)
    data[f"m{mark.pk}-score"] = "5"
    _valid_other_changes(world, data)
    before = journal_state(lesson)

    response = client.post(url(lesson), data)
    page = response.content.decode()

    assert response.status_code == 409
    assert "сейчас «2 (урок, вес 1)», ваше значение — «5»" in page
    assert journal_state(lesson) == before
    row = response.context["rows"][
        [r.pupil.student for r in response.context["rows"]].index(world.child)
    ]
    mark_form = row.mark_forms[0]
    assert mark_form["score"].value() == "2"
    assert mark_form["version"].value() == "2"
    resubmit = page_data(response)
    assert client.post(url(lesson), resubmit).status_code == 302
    lesson.refresh_from_db()
    assert lesson.topic == "Новая тема"


def test_stale_attendance_version_rejected(client, world, lesson):
    row = jf.AttendanceFactory.create(lesson=lesson, student=world.child, code="Н")
    data = page_data(open_page(client, world, lesson))
    Attendance.objects.filter(pk=row.pk).update(code="Б", version=2)
    data[f"p{world.child.pk}-attendance"] = "УП"

    response = client.post(url(lesson), data)

    assert response.status_code == 409
    assert "сейчас «Б», ваше значение — «УП»" in response.content.decode()
    row.refresh_from_db()
    assert (row.code, row.version) == ("Б", 2)


def test_deleted_mark_edit_rejected(client, world, lesson):
    mark = jf.MarkFactory.create(
        lesson=lesson, student=world.child, score=3, work_type=world.work_type
    )
    data = page_data(open_page(client, world, lesson))
    Mark.objects.filter(pk=mark.pk).delete()
    data[f"m{mark.pk}-score"] = "4"

    response = client.post(url(lesson), data)

    assert response.status_code == 409
    assert "Одну из отметок удалили" in response.content.decode()
    assert not Mark.objects.filter(lesson=lesson).exists()


# Query count and the diary


def _fill_lesson(world, lesson, pupils):
    for pupil in pupils:
        jf.MarkFactory.create(lesson=lesson, student=pupil, work_type=world.work_type)
        jf.MarkFactory.create(
            lesson=lesson, student=pupil, work_type=world.control_work
        )
        jf.AttendanceFactory.create(lesson=lesson, student=pupil)


def test_lesson_page_query_count_fixed(
    client, world, lesson, django_assert_max_num_queries
):
    small_class = [
        world.child,
        world.other_child,
        *enroll_pupils(world.school_class, 3),
    ]
    _fill_lesson(world, lesson, small_class)
    large_lesson = jf.LessonFactory.create(
        assignment=world.other_assignment, date=LESSON_DATE
    )
    _fill_lesson(world, large_lesson, enroll_pupils(world.other_class, 30))

    client.force_login(world.teacher_user)
    small = count_queries(lambda: client.get(url(lesson)))
    client.force_login(world.other_teacher_user)
    large = count_queries(lambda: client.get(url(large_lesson)))
    # Two of them look up the next lesson for the empty due date.
    with django_assert_max_num_queries(14):
        response = client.get(url(large_lesson))

    assert small == large
    assert len(response.context["rows"]) == 30


def test_guardian_sees_saved_mark_and_absence(client, world, lesson):
    data = page_data(open_page(client, world, lesson))
    data[f"p{world.child.pk}-score"] = "5"
    data[f"p{world.child.pk}-attendance"] = "ОП"
    client.post(url(lesson), data)

    client.force_login(world.guardian_user)
    response = client.get(reverse("diary:week", args=[world.child.pk]))

    item = response.context["week"].days[1].lessons[0]
    assert [mark.score for mark in item.marks] == [5]
    assert item.attendance.code == "ОП"
    page = response.content.decode()
    assert "опоздал(а)" in page


def test_first_grade_takes_no_marks(client, world):
    first_grade = f.SchoolClassFactory.create(academic_year=world.year, grade=1)
    f.EnrollmentFactory.create(school_class=first_grade)
    assignment = f.TeachingAssignmentFactory.create(
        school_class=first_grade, subject=world.subject, teacher=world.teacher
    )
    lesson = jf.LessonFactory.create(assignment=assignment, date=LESSON_DATE)
    data = page_data(open_page(client, world, lesson))
    pupil_prefix = next(key for key in data if key.endswith("-score")).split("-")[0]
    data[f"{pupil_prefix}-score"] = "5"

    _rejected(client, lesson, data, "В 1 классе обучение безотметочное")

    data[f"{pupil_prefix}-score"] = ""
    data[f"{pupil_prefix}-attendance"] = "Б"
    assert client.post(url(lesson), data).status_code == 302
    assert Attendance.objects.get(lesson=lesson).code == "Б"


def test_control_work_lesson_defaults_to_control_type(client, world, lesson):
    Lesson.objects.filter(pk=lesson.pk).update(is_control_work=True)

    response = open_page(client, world, lesson)

    row = response.context["rows"][0]
    assert row.form["work_type"].value() == world.control_work.pk
