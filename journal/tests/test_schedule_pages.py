"""The завуч's bell schedule and weekly timetable screens."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from journal.models import Lesson
from journal.tests import factories as jf
from journal.timetable import generate_lessons
from school.models import Bell, StaffRole, TimetableEntry
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

STRANGERS = ["teacher_user", "guardian_user", "other_school_admin_user"]


@pytest.fixture
def head_of_studies(world):
    user = UserFactory.create()
    staff = f.StaffMemberFactory.create(user=user)
    f.StaffRoleFactory.create(
        staff=staff, school=world.school, role=StaffRole.Role.HEAD_OF_STUDIES
    )
    return user


def bell_rows(*rows: tuple[str, str, str], extra: int = 0) -> dict[str, str]:
    """Build the bell form's POST: (number, start, end) per row."""
    data = {
        "bell-TOTAL_FORMS": str(len(rows) + extra),
        "bell-INITIAL_FORMS": "0",
        "bell-MIN_NUM_FORMS": "0",
        "bell-MAX_NUM_FORMS": "1000",
    }
    for index, (number, starts, ends) in enumerate(rows):
        data[f"bell-{index}-lesson_number"] = number
        data[f"bell-{index}-starts_at"] = starts
        data[f"bell-{index}-ends_at"] = ends
    for index in range(len(rows), len(rows) + extra):
        for name in ("lesson_number", "starts_at", "ends_at"):
            data[f"bell-{index}-{name}"] = ""
    return data


def saved_bells(world) -> list[tuple[int, str, str]]:
    return [
        (bell.lesson_number, f"{bell.starts_at:%H:%M}", f"{bell.ends_at:%H:%M}")
        for bell in Bell.objects.filter(academic_year=world.year).order_by(
            "lesson_number"
        )
    ]


WORLD_BELLS = [(1, "08:30", "09:15"), (2, "09:25", "10:10"), (3, "10:30", "11:15")]


# ----- bells -----


def test_bells_page_lists_the_year_bells(client, world, head_of_studies) -> None:
    client.force_login(head_of_studies)

    page = client.get(reverse("journal:bells"))

    assert page.status_code == 200
    assert 'value="09:25"' in page.text
    assert page.context["formset"].initial_form_count() == 3


def test_head_of_studies_edits_adds_and_deletes_bells(
    client, world, head_of_studies
) -> None:
    client.force_login(head_of_studies)
    data = bell_rows(
        ("1", "08:00", "08:45"),
        ("2", "08:55", "09:40"),
        ("3", "10:30", "11:15"),
        ("4", "11:25", "12:10"),
        extra=1,
    )
    data["bell-2-DELETE"] = "on"

    response = client.post(reverse("journal:bells"), data)

    assert response.status_code == 302
    assert saved_bells(world) == [
        (1, "08:00", "08:45"),
        (2, "08:55", "09:40"),
        (4, "11:25", "12:10"),
    ]


def test_bells_swap_numbers_in_one_save(client, world, head_of_studies) -> None:
    client.force_login(head_of_studies)
    data = bell_rows(("2", "08:30", "09:15"), ("1", "07:40", "08:20"))

    response = client.post(reverse("journal:bells"), data)

    assert response.status_code == 302
    assert saved_bells(world) == [(1, "07:40", "08:20"), (2, "08:30", "09:15")]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [("1", "09:00", "08:45")],
            "Урок должен закончиться позже, чем начался",
        ),
        (
            [("1", "08:30", "09:15"), ("1", "09:25", "10:10")],
            "Номер урока повторяется: 1",
        ),
        (
            [("1", "08:30", "09:15"), ("2", "09:10", "09:55")],
            "Урок 2 начинается в 09:10, раньше окончания урока 1 (09:15)",
        ),
        (
            [("1", "08:30", "09:15"), ("2", "07:30", "08:15")],
            "Урок 2 начинается в 07:30, раньше окончания урока 1 (09:15)",
        ),
        ([("1", "полдевятого", "09:15")], "Начало: укажите время в виде ЧЧ:ММ."),
        ([("13", "08:30", "09:15")], "Номер урока не может быть больше 12."),
        ([("1", "", "09:15")], "Укажите время начала урока."),
    ],
)
def test_invalid_bells_are_explained_and_not_saved(
    client, world, head_of_studies, rows, message
) -> None:
    client.force_login(head_of_studies)

    response = client.post(reverse("journal:bells"), bell_rows(*rows))

    assert response.status_code == 400
    assert message in response.text
    assert saved_bells(world) == WORLD_BELLS


@pytest.mark.parametrize("persona", STRANGERS)
def test_others_cannot_edit_the_school_bells(client, world, persona) -> None:
    client.force_login(getattr(world, persona))

    page = client.get(reverse("journal:bells"))
    response = client.post(reverse("journal:bells"), bell_rows(("1", "07:00", "07:45")))

    # The other school has no academic year yet, so nothing to edit there.
    assert page.status_code == 404
    assert response.status_code == 404
    assert saved_bells(world) == WORLD_BELLS


def test_other_school_admin_edits_only_their_own_bells(client, world) -> None:
    other_year = f.AcademicYearFactory.create(school=world.other_school)
    client.force_login(world.other_school_admin_user)

    response = client.post(reverse("journal:bells"), bell_rows(("1", "07:00", "07:45")))

    assert response.status_code == 302
    assert Bell.objects.filter(academic_year=other_year).count() == 1
    assert saved_bells(world) == WORLD_BELLS


# ----- timetable -----


@pytest.fixture
def tuesday_slot(world):
    return f.TimetableEntryFactory.create(
        assignment=world.assignment,
        weekday=2,
        lesson_number=3,
        room="12",
        valid_from=datetime.date(2026, 9, 1),
    )


@pytest.fixture
def english(world):
    """A second subject of 5А taught by other_teacher."""
    subject = f.SubjectFactory.create(school=world.school, name="Английский язык")
    return f.TeachingAssignmentFactory.create(
        school_class=world.school_class, subject=subject, teacher=world.other_teacher
    )


def timetable_url(world, day: str = "2026-12-02") -> str:
    return f"{reverse('journal:timetable')}?class={world.school_class.pk}&date={day}"


def entry_url(entry: TimetableEntry) -> str:
    return reverse("journal:timetable_entry", args=[entry.pk])


def test_timetable_shows_entries_in_force_on_the_date(
    client, world, head_of_studies, tuesday_slot, english
) -> None:
    later = f.TimetableEntryFactory.create(
        assignment=english,
        weekday=1,
        lesson_number=1,
        room="7",
        valid_from=datetime.date(2026, 12, 7),
    )
    client.force_login(head_of_studies)

    before = client.get(timetable_url(world, "2026-12-02"))
    after = client.get(timetable_url(world, "2026-12-07"))

    assert before.status_code == 200
    assert "<strong>Английский язык</strong>" not in before.text
    assert "каб. 12" in before.text
    assert "<strong>Английский язык</strong>" in after.text
    assert entry_url(later) in after.text
    tuesday = [row.cells[1] for row in before.context["rows"] if row.number == 3]
    assert tuesday == [[tuesday_slot]]


@pytest.mark.parametrize(("classes", "entries"), [(1, 2), (4, 20)])
def test_timetable_query_count_is_fixed(
    client, world, head_of_studies, django_assert_num_queries, classes, entries
) -> None:
    for _ in range(classes):
        school_class = f.SchoolClassFactory.create(academic_year=world.year, grade=7)
        f.TeachingAssignmentFactory.create(school_class=school_class)
    for index in range(entries):
        assignment = f.TeachingAssignmentFactory.create(school_class=world.school_class)
        f.TimetableEntryFactory.create(
            assignment=assignment, weekday=1 + index % 5, lesson_number=index // 5
        )
    client.force_login(head_of_studies)

    # Session and user, the role, the year, the class, the class list,
    # entries, bells, the header's navigation and the add form's subjects
    # (Django's select reads them twice: once for the required attribute).
    with django_assert_num_queries(12):
        page = client.get(timetable_url(world))

    assert page.status_code == 200


def test_bad_timetable_date_is_explained(client, world, head_of_studies) -> None:
    client.force_login(head_of_studies)

    unknown = client.get(timetable_url(world, "завтра"), follow=True)
    outside = client.get(timetable_url(world, "2027-07-01"), follow=True)

    assert "ГГГГ-ММ-ДД" in unknown.text
    assert "вне учебного года" in outside.text
    assert outside.context["day"] == datetime.date(2026, 12, 2)


def test_change_moves_the_slot_and_keeps_held_lessons(
    client, world, head_of_studies, tuesday_slot
) -> None:
    generate_lessons(
        world.year, datetime.date(2026, 11, 16), datetime.date(2026, 12, 20)
    )
    held = Lesson.objects.get(date=datetime.date(2026, 12, 8))
    jf.MarkFactory.create(lesson=held, student=world.child)
    past = Lesson.objects.get(date=datetime.date(2026, 11, 17))
    client.force_login(head_of_studies)

    response = client.post(
        entry_url(tuesday_slot),
        {
            "valid_from": "2026-12-07",
            "assignment": world.assignment.pk,
            "weekday": "4",
            "lesson_number": "2",
            "room": "15",
        },
        follow=True,
    )

    assert response.status_code == 200
    text = response.text
    assert "Расписание изменено с 07.12.2026" in text
    assert "сохранены как были: 1" in text
    assert "Удалено незаполненных уроков: 1" in text
    held.refresh_from_db()
    assert (held.date, held.number, held.room) == (datetime.date(2026, 12, 8), 3, "12")
    past.refresh_from_db()
    assert (past.number, past.room, past.timetable_entry_id) == (
        3,
        "12",
        tuesday_slot.pk,
    )
    dates = sorted(
        Lesson.objects.filter(date__gte=datetime.date(2026, 12, 7)).values_list(
            "date", "number", "room"
        )
    )
    # The unheld lesson of 15 December is gone and Thursdays up to that
    # date took its place; the held lesson of 8 December stays.
    assert dates == [
        (datetime.date(2026, 12, 8), 3, "12"),
        (datetime.date(2026, 12, 10), 2, "15"),
    ]


def test_change_gives_the_slot_to_another_subject(
    client, world, head_of_studies, tuesday_slot, english
) -> None:
    client.force_login(head_of_studies)

    response = client.post(
        entry_url(tuesday_slot),
        {
            "valid_from": "2026-12-07",
            "assignment": english.pk,
            "weekday": "2",
            "lesson_number": "3",
            "room": "12",
        },
    )

    assert response.status_code == 302
    new = TimetableEntry.objects.get(valid_from=datetime.date(2026, 12, 7))
    assert new.assignment == english
    tuesday_slot.refresh_from_db()
    assert tuesday_slot.valid_to == datetime.date(2026, 12, 6)


def test_remove_ends_the_slot_from_the_date(
    client, world, head_of_studies, tuesday_slot
) -> None:
    client.force_login(head_of_studies)

    response = client.post(
        entry_url(tuesday_slot), {"valid_from": "2026-12-07", "remove": "on"}
    )

    assert response.status_code == 302
    tuesday_slot.refresh_from_db()
    assert tuesday_slot.valid_to == datetime.date(2026, 12, 6)
    assert TimetableEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"valid_from": "2027-06-15"}, "вне учебного года"),
        ({"valid_from": "2026-08-20"}, "вне учебного года"),
        ({"valid_from": "в декабре"}, "укажите дату в виде ГГГГ-ММ-ДД"),
        ({"lesson_number": "20"}, "Номер урока не может быть больше 12."),
        ({"weekday": "6"}, "Школа работает пять дней в неделю"),
        ({"assignment": "0"}, "Выберите предмет и учителя из нагрузки этого класса."),
        ({"lesson_number": "1", "weekday": "1"}, "Кабинет 12 в это время занят"),
        ({"lesson_number": "2", "weekday": "1"}, "ведёт другой урок"),
        ({}, "Изменений нет"),
    ],
)
def test_invalid_timetable_change_is_explained(
    client, world, head_of_studies, tuesday_slot, change, message
) -> None:
    # other_teacher teaches 6Б on Monday, lesson 1, in room 12, and this
    # class's teacher has 6Б's second Monday lesson too.
    f.TimetableEntryFactory.create(
        assignment=world.other_assignment, weekday=1, lesson_number=1, room="12"
    )
    busy = f.TeachingAssignmentFactory.create(
        school_class=world.other_class, teacher=world.teacher
    )
    f.TimetableEntryFactory.create(
        assignment=busy, weekday=1, lesson_number=2, room="30"
    )
    client.force_login(head_of_studies)
    data = {
        "valid_from": "2026-12-07",
        "assignment": str(world.assignment.pk),
        "weekday": "2",
        "lesson_number": "3",
        "room": "12",
        **change,
    }

    response = client.post(entry_url(tuesday_slot), data)

    assert response.status_code == 400
    assert message in response.text
    tuesday_slot.refresh_from_db()
    assert tuesday_slot.valid_to is None
    assert TimetableEntry.objects.count() == 3


def test_change_before_the_slot_began_is_rejected(
    client, world, head_of_studies
) -> None:
    entry = f.TimetableEntryFactory.create(
        assignment=world.assignment, valid_from=datetime.date(2026, 11, 2)
    )
    client.force_login(head_of_studies)

    response = client.post(
        entry_url(entry),
        {
            "valid_from": "2026-10-05",
            "assignment": world.assignment.pk,
            "weekday": "3",
            "lesson_number": "1",
            "room": "",
        },
    )

    assert response.status_code == 400
    assert "раньше начала действия урока в расписании (02.11.2026)" in response.text
    assert TimetableEntry.objects.get().valid_to is None


def test_head_of_studies_adds_a_slot(client, world, head_of_studies, english) -> None:
    jf.LessonFactory.create(
        assignment=world.assignment, date=datetime.date(2026, 12, 18)
    )
    client.force_login(head_of_studies)
    add_url = f"{reverse('journal:timetable_add')}?class={world.school_class.pk}"

    response = client.post(
        add_url,
        {
            "add-valid_from": "2026-12-07",
            "add-assignment": english.pk,
            "add-weekday": "5",
            "add-lesson_number": "4",
            "add-room": "7",
        },
        follow=True,
    )

    assert "Создано уроков по новому расписанию: 2" in response.text
    entry = TimetableEntry.objects.get(assignment=english)
    assert (entry.weekday, entry.lesson_number, entry.room) == (5, 4, "7")
    assert entry.valid_from == datetime.date(2026, 12, 7)
    assert sorted(
        Lesson.objects.filter(assignment=english).values_list("date", flat=True)
    ) == [datetime.date(2026, 12, 11), datetime.date(2026, 12, 18)]


def test_adding_into_a_busy_class_slot_is_rejected(
    client, world, head_of_studies, tuesday_slot, english
) -> None:
    client.force_login(head_of_studies)
    add_url = f"{reverse('journal:timetable_add')}?class={world.school_class.pk}"

    response = client.post(
        add_url,
        {
            "add-valid_from": "2026-12-07",
            "add-assignment": english.pk,
            "add-weekday": "2",
            "add-lesson_number": "3",
            "add-room": "7",
        },
    )

    assert response.status_code == 400
    assert "У класса в это время уже стоит урок" in response.text
    assert not TimetableEntry.objects.filter(assignment=english).exists()


@pytest.mark.parametrize("persona", STRANGERS)
def test_others_cannot_open_or_change_the_timetable(
    client, world, persona, tuesday_slot, english
) -> None:
    client.force_login(getattr(world, persona))
    if persona == "other_school_admin_user":
        f.AcademicYearFactory.create(school=world.other_school)

    page = client.get(timetable_url(world))
    change = client.post(
        entry_url(tuesday_slot), {"valid_from": "2026-12-07", "remove": "on"}
    )
    added = client.post(
        f"{reverse('journal:timetable_add')}?class={world.school_class.pk}",
        {
            "add-valid_from": "2026-12-07",
            "add-assignment": english.pk,
            "add-weekday": "5",
            "add-lesson_number": "4",
        },
    )

    assert page.status_code == 404
    assert change.status_code == 404
    assert added.status_code == 404
    tuesday_slot.refresh_from_db()
    assert tuesday_slot.valid_to is None
    assert TimetableEntry.objects.count() == 1
