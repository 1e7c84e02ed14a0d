"""Topic and homework: the due date default and concurrent edits.

Both the lesson page and the topic page opened from the grid's column head
save through the same service, so each rule is checked on both.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from journal.models import Lesson, Mark
from journal.selectors import next_lesson_date
from journal.tests import factories as jf
from journal.tests.conftest import page_data
from school.models import Holiday
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

# Tuesday 1 December 2026.
LESSON_DATE = datetime.date(2026, 12, 1)


@pytest.fixture
def lesson(world) -> Lesson:
    return jf.LessonFactory.create(
        assignment=world.assignment, date=LESSON_DATE, topic="", homework=""
    )


def later_lesson(world, day: datetime.date, **fields) -> Lesson:
    return jf.LessonFactory.create(assignment=world.assignment, date=day, **fields)


def lesson_url(lesson: Lesson) -> str:
    return reverse("journal:lesson", args=[lesson.pk])


def topic_url(lesson: Lesson) -> str:
    return reverse("journal:lesson_topic", args=[lesson.pk])


# ----- the next lesson -----


def test_next_lesson_skips_same_day_and_others(world, lesson) -> None:
    later_lesson(world, datetime.date(2026, 12, 8))
    later_lesson(world, datetime.date(2026, 12, 3))
    # Another subject of the class and a second lesson the same day do not count.
    other = f.TeachingAssignmentFactory.create(school_class=world.school_class)
    jf.LessonFactory.create(assignment=other, date=datetime.date(2026, 12, 2))
    later_lesson(world, LESSON_DATE, number=2)

    assert next_lesson_date(lesson) == datetime.date(2026, 12, 3)


def test_next_lesson_skips_cancelled_ones(world, lesson) -> None:
    later_lesson(world, datetime.date(2026, 12, 3), is_cancelled=True)
    later_lesson(world, datetime.date(2026, 12, 8))

    assert next_lesson_date(lesson) == datetime.date(2026, 12, 8)


def test_next_lesson_comes_after_the_holidays(world, lesson) -> None:
    Holiday.objects.create(
        academic_year=world.year,
        name="Зимние каникулы",
        start_date=datetime.date(2026, 12, 2),
        end_date=datetime.date(2026, 12, 13),
    )
    # Generated before the holidays were entered: no lesson takes place then.
    later_lesson(world, datetime.date(2026, 12, 3))
    later_lesson(world, datetime.date(2026, 12, 15))

    assert next_lesson_date(lesson) == datetime.date(2026, 12, 15)


def test_no_next_lesson_gives_no_date(world, lesson) -> None:
    later_lesson(world, datetime.date(2026, 12, 3), is_cancelled=True)

    assert next_lesson_date(lesson) is None


# ----- the due date default on both pages -----


@pytest.mark.parametrize("address", [lesson_url, topic_url])
def test_empty_due_date_is_prefilled(client, world, lesson, address) -> None:
    later_lesson(world, datetime.date(2026, 12, 3), is_cancelled=True)
    later_lesson(world, datetime.date(2026, 12, 8))
    client.force_login(world.teacher_user)

    page = client.get(address(lesson))

    assert page.status_code == 200
    assert page.context["form"]["homework_due"].value() == datetime.date(2026, 12, 8)
    assert 'value="2026-12-08"' in page.text


@pytest.mark.parametrize("address", [lesson_url, topic_url])
def test_saved_due_date_is_shown_as_is(client, world, lesson, address) -> None:
    later_lesson(world, datetime.date(2026, 12, 3))
    lesson.homework, lesson.homework_due = "№ 5", datetime.date(2026, 12, 10)
    lesson.save()
    client.force_login(world.teacher_user)

    page = client.get(address(lesson))

    assert page.context["form"]["homework_due"].value() == datetime.date(2026, 12, 10)


def test_no_next_lesson_leaves_the_due_date_empty(client, world, lesson) -> None:
    client.force_login(world.teacher_user)

    page = client.get(topic_url(lesson))

    assert page.context["form"]["homework_due"].value() is None


@pytest.mark.parametrize("address", [lesson_url, topic_url])
def test_homework_with_empty_due_gets_next_lesson(
    client, world, lesson, address
) -> None:
    client.force_login(world.teacher_user)
    data = page_data(client.get(lesson_url(lesson)))
    # The next lesson appears after the page was loaded; the save uses it.
    later_lesson(world, datetime.date(2026, 12, 3), is_cancelled=True)
    later_lesson(world, datetime.date(2026, 12, 8))
    data.update(homework="№ 12", homework_due="")

    response = client.post(address(lesson), data)

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.homework == "№ 12"
    assert lesson.homework_due == datetime.date(2026, 12, 8)


def test_due_date_needs_homework(client, world, lesson) -> None:
    later_lesson(world, datetime.date(2026, 12, 8))
    client.force_login(world.teacher_user)
    data = page_data(client.get(lesson_url(lesson)))
    data.update(topic="Дроби", homework="")

    response = client.post(lesson_url(lesson), data)

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.topic == "Дроби"
    assert lesson.homework_due is None


def test_unchanged_lesson_page_saves_nothing(client, world, lesson) -> None:
    later_lesson(world, datetime.date(2026, 12, 8))
    client.force_login(world.teacher_user)
    data = page_data(client.get(lesson_url(lesson)))

    response = client.post(lesson_url(lesson), data, follow=True)

    assert "Изменений нет" in response.text
    lesson.refresh_from_db()
    assert (lesson.homework_due, lesson.version) == (None, 1)


# ----- concurrent edits -----


def topic_data(client, lesson: Lesson) -> dict[str, str]:
    page = client.get(topic_url(lesson))
    form = page.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else str(value)
    return data


@pytest.mark.parametrize("address", [lesson_url, topic_url])
def test_second_save_from_same_version_rejected(client, world, lesson, address) -> None:
    client.force_login(world.teacher_user)
    if address is lesson_url:
        loaded = page_data(client.get(lesson_url(lesson)))
    else:
        loaded = topic_data(client, lesson)
    first = dict(loaded, topic="Сложение дробей", homework="№ 1")
    second = dict(loaded, topic="Вычитание дробей", homework="№ 2")
    if address is lesson_url:
        # The second save also carries a mark: it is refused with the topic.
        second[f"p{world.child.pk}-score"] = "5"

    saved = client.post(address(lesson), first)
    refused = client.post(address(lesson), second)

    assert saved.status_code == 302
    assert refused.status_code == 409
    assert "Тему или домашнее задание изменили" in refused.text
    assert "«Сложение дробей»" in refused.text
    assert "Вы вводили: тема «Вычитание дробей»" in refused.text
    form = refused.context["form"]
    assert form["topic"].value() == "Сложение дробей"
    assert form["homework"].value() == "№ 1"
    assert form["version"].value() == "2"
    lesson.refresh_from_db()
    assert (lesson.topic, lesson.homework, lesson.version) == (
        "Сложение дробей",
        "№ 1",
        2,
    )
    assert not Mark.objects.filter(lesson=lesson).exists()


@pytest.mark.parametrize("address", [lesson_url, topic_url])
def test_double_submit_of_same_topic_is_harmless(
    client, world, lesson, address
) -> None:
    client.force_login(world.teacher_user)
    if address is lesson_url:
        loaded = page_data(client.get(lesson_url(lesson)))
    else:
        loaded = topic_data(client, lesson)
    data = dict(loaded, topic="Сложение дробей")

    first = client.post(address(lesson), data)
    again = client.post(address(lesson), data)

    assert first.status_code == 302
    assert again.status_code == 302
    lesson.refresh_from_db()
    assert (lesson.topic, lesson.version) == ("Сложение дробей", 2)


def test_resubmit_after_conflict_saves(client, world, lesson) -> None:
    client.force_login(world.teacher_user)
    loaded = topic_data(client, lesson)
    client.post(topic_url(lesson), dict(loaded, topic="Первая"))
    refused = client.post(topic_url(lesson), dict(loaded, topic="Вторая"))
    data = {
        name: "" if value is None else str(value)
        for name, value in (
            (name, refused.context["form"][name].value())
            for name in refused.context["form"].fields
        )
    }

    saved = client.post(topic_url(lesson), dict(data, topic="Вторая"))

    assert saved.status_code == 302
    lesson.refresh_from_db()
    assert (lesson.topic, lesson.version) == ("Вторая", 3)


def test_grid_cell_save_keeps_lesson_version(client, world, lesson) -> None:
    client.force_login(world.teacher_user)
    loaded = topic_data(client, lesson)
    client.post(
        reverse("journal:grid_cell", args=[lesson.pk, world.child.pk]),
        {"value": "5", "state": "a;", "work_type": world.work_type.pk},
        HTTP_HX_REQUEST="true",
    )

    saved = client.post(topic_url(lesson), dict(loaded, topic="Дроби"))

    assert saved.status_code == 302
    assert Mark.objects.filter(lesson=lesson, score=5).exists()


def test_missing_version_is_a_stale_form(client, world, lesson) -> None:
    client.force_login(world.teacher_user)
    data = topic_data(client, lesson)
    del data["version"]

    response = client.post(topic_url(lesson), dict(data, topic="Дроби"))

    assert response.status_code == 400
    assert "Форма устарела" in response.text
    lesson.refresh_from_db()
    assert lesson.topic == ""


# ----- the grid head -----


def test_grid_head_links_the_topic_page(client, world, lesson) -> None:
    client.force_login(world.teacher_user)

    grid = client.get(reverse("journal:grid", args=[world.assignment.pk]))

    assert f"{topic_url(lesson)}?period={world.quarter.pk}" in grid.text


def test_topic_page_returns_to_the_grid_period(client, world, lesson) -> None:
    client.force_login(world.teacher_user)
    data = topic_data(client, lesson)
    data.update(topic="Дроби", period=str(world.quarter.pk))

    response = client.post(topic_url(lesson), data)

    grid = reverse("journal:grid", args=[world.assignment.pk])
    assert response.url == f"{grid}?period={world.quarter.pk}"


def test_bad_due_date_on_topic_page_is_explained(client, world, lesson) -> None:
    client.force_login(world.teacher_user)
    data = topic_data(client, lesson)
    data.update(homework="№ 1", homework_due="2026-11-20")

    response = client.post(topic_url(lesson), data)

    assert response.status_code == 400
    assert "не может быть раньше даты урока (01.12.2026)" in response.text
    lesson.refresh_from_db()
    assert lesson.homework == ""


@pytest.mark.parametrize(
    "persona",
    ["other_teacher_user", "school_admin_user", "guardian_user", "child_user"],
)
def test_others_cannot_set_topic(client, world, lesson, persona) -> None:
    client.force_login(world.teacher_user)
    data = topic_data(client, lesson)
    client.force_login(getattr(world, persona))

    page = client.get(topic_url(lesson))
    response = client.post(topic_url(lesson), dict(data, topic="Чужая тема"))

    assert page.status_code == 404
    assert response.status_code == 404
    lesson.refresh_from_db()
    assert (lesson.topic, lesson.version) == ("", 1)


def test_grid_head_has_no_topic_link_for_readers(client, world, lesson) -> None:
    client.force_login(world.school_admin_user)

    grid = client.get(reverse("journal:grid", args=[world.assignment.pk]))

    assert grid.status_code == 200
    assert topic_url(lesson) not in grid.text
