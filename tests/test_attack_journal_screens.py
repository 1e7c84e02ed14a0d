"""Attacks on the завуч's bells, timetable and lesson change pages and the topic page.

Every request comes from a person who must be rejected or from the завуч
with bad input. A rejection is a 404 (or the sign-in redirect) with no row
changed. Bad input gets a Russian message with status 400 or 409, never a
500 and never a lost saved value.
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from conftest import World
from journal.models import Lesson
from journal.tests import factories as jf
from journal.tests.conftest import frozen_now as frozen_now
from school import models as sm
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")

TUESDAY = datetime.date(2026, 12, 1)
STRANGERS = ["teacher_user", "guardian_user", "child_user", "other_school_admin_user"]
# "²" passes str.isdigit() but int() rejects it.
SUPERSCRIPT_TWO = "\u00b2"


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def head_of_studies(world: World) -> Client:
    user = UserFactory.create()
    staff = f.StaffMemberFactory.create(user=user)
    f.StaffRoleFactory.create(
        staff=staff, school=world.school, role=sm.StaffRole.Role.HEAD_OF_STUDIES
    )
    return signed_in(user)


@pytest.fixture
def other_school_world(world: World) -> dict[str, object]:
    """A second school with its own year, class, assignment and timetable slot."""
    year = f.AcademicYearFactory.create(school=world.other_school)
    school_class = f.SchoolClassFactory.create(academic_year=year, grade=7)
    subject = f.SubjectFactory.create(school=world.other_school, name="Физика")
    teacher = f.StaffMemberFactory.create(user=UserFactory.create())
    f.StaffRoleFactory.create(staff=teacher, school=world.other_school)
    assignment = f.TeachingAssignmentFactory.create(
        school_class=school_class, subject=subject, teacher=teacher
    )
    entry = f.TimetableEntryFactory.create(assignment=assignment, weekday=2)
    lesson = jf.LessonFactory.create(assignment=assignment, date=TUESDAY, topic="")
    return {
        "class": school_class,
        "assignment": assignment,
        "entry": entry,
        "lesson": lesson,
        "teacher": teacher,
    }


@pytest.fixture
def slot(world: World) -> sm.TimetableEntry:
    return f.TimetableEntryFactory.create(
        assignment=world.assignment, weekday=2, lesson_number=2, room="12"
    )


@pytest.fixture
def lesson(world: World, slot: sm.TimetableEntry) -> Lesson:
    return jf.LessonFactory.create(
        assignment=world.assignment,
        timetable_entry=slot,
        date=TUESDAY,
        number=2,
        topic="Дроби",
        homework="",
    )


def bell_data(*rows: tuple[str, str, str], total: str | None = None) -> dict:
    data = {
        "bell-TOTAL_FORMS": total if total is not None else str(len(rows)),
        "bell-INITIAL_FORMS": "0",
        "bell-MIN_NUM_FORMS": "0",
        "bell-MAX_NUM_FORMS": "1000",
    }
    for index, (number, starts, ends) in enumerate(rows):
        data[f"bell-{index}-lesson_number"] = number
        data[f"bell-{index}-starts_at"] = starts
        data[f"bell-{index}-ends_at"] = ends
    return data


def bells_of(world: World) -> list[tuple[int, datetime.time, datetime.time]]:
    return list(
        sm.Bell.objects.filter(academic_year=world.year)
        .order_by("lesson_number")
        .values_list("lesson_number", "starts_at", "ends_at")
    )


def slot_data(world: World, **overrides: str) -> dict[str, str]:
    data = {
        "valid_from": "2026-12-07",
        "assignment": str(world.assignment.pk),
        "weekday": "4",
        "lesson_number": "3",
        "room": "15",
    }
    data.update(overrides)
    return data


def add_data(world: World, **overrides: str) -> dict[str, str]:
    return {
        f"add-{name}": value for name, value in slot_data(world, **overrides).items()
    }


def add_url(class_id: object) -> str:
    return f"{reverse('journal:timetable_add')}?class={class_id}"


def entry_url(entry: sm.TimetableEntry) -> str:
    return reverse("journal:timetable_entry", args=[entry.pk])


def topic_url(lesson: Lesson) -> str:
    return reverse("journal:lesson_topic", args=[lesson.pk])


def entries_snapshot() -> list[tuple]:
    return list(
        sm.TimetableEntry.objects.order_by("pk").values_list(
            "pk",
            "assignment_id",
            "weekday",
            "lesson_number",
            "room",
            "valid_from",
            "valid_to",
        )
    )


def lesson_snapshot() -> list[tuple]:
    return list(
        Lesson.objects.order_by("pk").values_list(
            "pk",
            "topic",
            "homework",
            "substitute_teacher_id",
            "is_cancelled",
            "version",
            "school_class_id",
            "date",
            "number",
        )
    )


# ----- wrong users ----------------------------------------------------------


@pytest.mark.parametrize("persona", STRANGERS)
def test_strangers_get_404_everywhere(world, persona, slot, lesson):
    if persona == "other_school_admin_user":
        f.AcademicYearFactory.create(school=world.other_school)
    client = signed_in(getattr(world, persona))
    bells_before, entries_before = bells_of(world), entries_snapshot()
    lessons_before = lesson_snapshot()

    responses = {
        "bells get": client.get(reverse("journal:bells")),
        "bells post": client.post(
            reverse("journal:bells"), bell_data(("1", "07:00", "07:45"))
        ),
        "timetable": client.get(
            f"{reverse('journal:timetable')}?class={world.school_class.pk}"
        ),
        "add get": client.get(add_url(world.school_class.pk)),
        "add post": client.post(add_url(world.school_class.pk), add_data(world)),
        "entry get": client.get(entry_url(slot)),
        "entry post": client.post(entry_url(slot), slot_data(world)),
        "entry remove": client.post(
            entry_url(slot), {"valid_from": "2026-12-07", "remove": "on"}
        ),
        "change get": client.get(reverse("journal:lesson_change", args=[lesson.pk])),
        "change post": client.post(
            reverse("journal:lesson_change", args=[lesson.pk]), {"cancelled": "on"}
        ),
    }

    if persona == "other_school_admin_user":
        # The bells page edits the manager's own school, never this one.
        assert responses.pop("bells get").status_code == 200
        assert responses.pop("bells post").status_code == 302
    for name, response in responses.items():
        assert response.status_code == 404, name
    assert bells_of(world) == bells_before
    assert entries_snapshot() == entries_before
    assert lesson_snapshot() == lessons_before


@pytest.mark.parametrize(
    "persona", ["other_teacher_user", "guardian_user", "school_admin_user"]
)
def test_topic_page_rejects_non_teachers(world, persona, lesson):
    client = signed_in(getattr(world, persona))
    before = lesson_snapshot()

    page = client.get(topic_url(lesson))
    saved = client.post(topic_url(lesson), {"topic": "Чужая тема", "version": "1"})

    assert page.status_code == 404
    assert saved.status_code == 404
    assert lesson_snapshot() == before


def test_anonymous_sent_to_sign_in(world, slot, lesson):
    client = Client()
    before = lesson_snapshot(), entries_snapshot(), bells_of(world)
    urls = [
        reverse("journal:bells"),
        reverse("journal:timetable"),
        add_url(world.school_class.pk),
        entry_url(slot),
        reverse("journal:lesson_change", args=[lesson.pk]),
        topic_url(lesson),
    ]

    for url in urls:
        for response in (client.get(url), client.post(url, {"topic": "x"})):
            assert response.status_code == 302, url
            assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
            assert "?next=" in response["Location"]
    assert (lesson_snapshot(), entries_snapshot(), bells_of(world)) == before


def test_other_school_manager_guesses_ids(world, other_school_world, slot, lesson):
    client = signed_in(world.other_school_admin_user)
    before = lesson_snapshot(), entries_snapshot()

    responses = {
        "timetable class": client.get(
            f"{reverse('journal:timetable')}?class={world.school_class.pk}"
        ),
        "add class": client.post(add_url(world.school_class.pk), add_data(world)),
        "entry": client.post(entry_url(slot), slot_data(world)),
        "lesson change": client.post(
            reverse("journal:lesson_change", args=[lesson.pk]), {"cancelled": "on"}
        ),
    }

    for name, response in responses.items():
        assert response.status_code == 404, name
    assert (lesson_snapshot(), entries_snapshot()) == before


def test_foreign_assignment_into_own_class(world, head_of_studies, other_school_world):
    before = entries_snapshot()
    foreign = other_school_world["assignment"]

    response = head_of_studies.post(
        add_url(world.school_class.pk), add_data(world, assignment=str(foreign.pk))
    )

    assert response.status_code == 400
    assert "Выберите предмет и учителя" in response.text
    assert entries_snapshot() == before


def test_other_class_assignment_in_change(world, head_of_studies, slot):
    before = entries_snapshot()

    response = head_of_studies.post(
        entry_url(slot), slot_data(world, assignment=str(world.other_assignment.pk))
    )

    assert response.status_code == 400
    assert entries_snapshot() == before


def test_foreign_substitute_rejected(
    world, head_of_studies, lesson, other_school_world
):
    before = lesson_snapshot()
    url = reverse("journal:lesson_change", args=[lesson.pk])

    response = head_of_studies.post(
        url, {"substitute": str(other_school_world["teacher"].pk)}
    )

    assert response.status_code == 400
    assert "Учитель не найден" in response.text
    assert lesson_snapshot() == before


# ----- bad input -------------------------------------------------------------


BAD_BELLS = {
    "overlap": bell_data(("1", "08:00", "08:45"), ("2", "08:40", "09:25")),
    "duplicate": bell_data(("1", "08:00", "08:45"), ("1", "09:00", "09:45")),
    "ends first": bell_data(("1", "09:00", "08:00")),
    "zero length": bell_data(("1", "09:00", "09:00")),
    "negative number": bell_data(("-1", "08:00", "08:45")),
    "huge number": bell_data(("99999999999999999999", "08:00", "08:45")),
    "text number": bell_data(("первый", "08:00", "08:45")),
    "bad time": bell_data(("1", "25:61", "26:00")),
    "missing end": bell_data(("1", "08:00", "")),
    "no management form": {"bell-0-lesson_number": "1"},
    "text total": bell_data(("1", "08:00", "08:45"), total="много"),
    "huge total": bell_data(("1", "08:00", "08:45"), total="100000000"),
    "nul byte": bell_data(("1\x00", "08:00", "08:45")),
}


@pytest.mark.parametrize("name", sorted(BAD_BELLS))
def test_bad_bells_rejected(world, head_of_studies, name):
    before = bells_of(world)

    response = head_of_studies.post(reverse("journal:bells"), BAD_BELLS[name])

    assert response.status_code == 400
    assert bells_of(world) == before


def test_bells_double_submit(world, head_of_studies):
    data = bell_data(("1", "08:00", "08:45"), ("2", "08:55", "09:40"))

    first = head_of_studies.post(reverse("journal:bells"), data)
    second = head_of_studies.post(reverse("journal:bells"), data)

    assert first.status_code == 302
    assert second.status_code == 302
    assert bells_of(world) == [
        (1, datetime.time(8, 0), datetime.time(8, 45)),
        (2, datetime.time(8, 55), datetime.time(9, 40)),
    ]


BAD_SLOTS = {
    "empty date": {"valid_from": ""},
    "text date": {"valid_from": "завтра"},
    "year one": {"valid_from": "0001-01-01"},
    "year 9999": {"valid_from": "9999-12-31"},
    "no such day": {"valid_from": "2026-02-30"},
    "text number": {"lesson_number": "третий"},
    "huge number": {"lesson_number": "99999999999999999999"},
    "negative number": {"lesson_number": "-1"},
    "weekday zero": {"weekday": "0"},
    "weekday text": {"weekday": "пн"},
    "saturday at five-day school": {"weekday": "6"},
    "huge room": {"room": "к" * 5000},
    "nul room": {"room": "1\x00"},
    "text assignment": {"assignment": "математика"},
    "huge assignment": {"assignment": "99999999999999999999"},
}


@pytest.mark.parametrize("name", sorted(BAD_SLOTS))
def test_bad_slot_add_rejected(world, head_of_studies, slot, name):
    sm.School.objects.filter(pk=world.school.pk).update(works_saturday=False)
    before = entries_snapshot()

    response = head_of_studies.post(
        add_url(world.school_class.pk), add_data(world, **BAD_SLOTS[name])
    )

    assert response.status_code == 400
    assert entries_snapshot() == before


@pytest.mark.parametrize("name", sorted(BAD_SLOTS))
def test_bad_slot_change_rejected(world, head_of_studies, slot, lesson, name):
    sm.School.objects.filter(pk=world.school.pk).update(works_saturday=False)
    before = entries_snapshot(), lesson_snapshot()

    response = head_of_studies.post(
        entry_url(slot), slot_data(world, **BAD_SLOTS[name])
    )

    assert response.status_code == 400
    assert (entries_snapshot(), lesson_snapshot()) == before


def test_change_before_held_lesson_keeps_it(world, head_of_studies, slot, lesson):
    jf.MarkFactory.create(lesson=lesson, student=world.child, score=4)

    response = head_of_studies.post(
        entry_url(slot), slot_data(world, valid_from="2026-11-02")
    )

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.topic == "Дроби"
    assert lesson.marks.count() == 1


def test_change_before_slot_start_rejected(world, head_of_studies, slot):
    before = entries_snapshot()

    response = head_of_studies.post(
        entry_url(slot), slot_data(world, valid_from="2026-08-31")
    )

    assert response.status_code == 400
    assert entries_snapshot() == before


def test_slot_change_double_submit(world, head_of_studies, slot):
    data = slot_data(world)

    first = head_of_studies.post(entry_url(slot), data)
    after_first = entries_snapshot()
    second = head_of_studies.post(entry_url(slot), data)

    assert first.status_code == 302
    assert second.status_code in {400, 404}
    assert entries_snapshot() == after_first


def test_slot_remove_double_submit(world, head_of_studies, slot):
    data = {"valid_from": "2026-12-07", "remove": "on"}

    first = head_of_studies.post(entry_url(slot), data)
    after_first = entries_snapshot()
    second = head_of_studies.post(entry_url(slot), data)

    assert first.status_code == 302
    assert second.status_code in {400, 404}
    assert entries_snapshot() == after_first


def test_slot_add_double_submit(world, head_of_studies, slot):
    data = add_data(world)

    first = head_of_studies.post(add_url(world.school_class.pk), data)
    after_first = entries_snapshot()
    second = head_of_studies.post(add_url(world.school_class.pk), data)

    assert first.status_code == 302
    assert second.status_code == 400
    assert entries_snapshot() == after_first


@pytest.mark.parametrize("raw", ["", "abc", "-1", "999999999999", "0"])
def test_add_page_bad_class_id(world, head_of_studies, raw):
    response = head_of_studies.get(add_url(raw))

    assert response.status_code == 404


@pytest.mark.parametrize("substitute", ["abc", "-5", "99999999999999999999", "0", " 1"])
def test_lesson_change_bad_substitute(world, head_of_studies, lesson, substitute):
    before = lesson_snapshot()

    response = head_of_studies.post(
        reverse("journal:lesson_change", args=[lesson.pk]),
        {"substitute": substitute, "cancelled": "on"},
    )

    assert response.status_code == 400
    assert lesson_snapshot() == before


def test_cancel_lesson_with_marks_rejected(world, head_of_studies, lesson):
    jf.MarkFactory.create(lesson=lesson, student=world.child, score=4)
    before = lesson_snapshot()

    response = head_of_studies.post(
        reverse("journal:lesson_change", args=[lesson.pk]),
        {"substitute": str(world.other_teacher.pk), "cancelled": "on"},
    )

    assert response.status_code == 400
    assert "отменить его нельзя" in response.text
    # The substitute and the cancellation are saved together or not at all.
    assert lesson_snapshot() == before


def test_lesson_change_double_submit(world, head_of_studies, lesson):
    url = reverse("journal:lesson_change", args=[lesson.pk])
    data = {"substitute": str(world.other_teacher.pk)}

    first = head_of_studies.post(url, data)
    second = head_of_studies.post(url, data)

    assert first.status_code == 302
    assert second.status_code == 302
    lesson.refresh_from_db()
    assert lesson.substitute_teacher_id == world.other_teacher.pk


# ----- the topic page --------------------------------------------------------


def test_topic_two_tabs_same_version(world, lesson):
    teacher = signed_in(world.teacher_user)
    version = str(lesson.version)

    first = teacher.post(topic_url(lesson), {"topic": "Первая", "version": version})
    second = teacher.post(topic_url(lesson), {"topic": "Вторая", "version": version})

    assert first.status_code == 302
    assert second.status_code == 409
    lesson.refresh_from_db()
    assert lesson.topic == "Первая"
    assert "Первая" in second.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"topic": "т" * 501}, "длиннее 500"),
        ({"version": ""}, ""),
        ({"version": "abc"}, ""),
        ({"version": "0"}, ""),
        ({"homework_due": "2026-11-01", "homework": "Задача"}, "раньше даты урока"),
        ({"homework_due": "0001-01-01", "homework": "Задача"}, ""),
        ({"homework_due": "когда-нибудь", "homework": "Задача"}, "ГГГГ-ММ-ДД"),
        ({"topic": "a\x00b"}, ""),
    ],
)
def test_topic_bad_input_rejected(world, lesson, data, message):
    teacher = signed_in(world.teacher_user)
    posted = {"topic": "Новая", "homework": "", "version": str(lesson.version)}
    posted.update(data)
    before = lesson_snapshot()

    response = teacher.post(topic_url(lesson), posted)

    assert response.status_code == 400
    assert message in response.text
    assert lesson_snapshot() == before


def test_topic_version_far_ahead_rejected(world, lesson):
    teacher = signed_in(world.teacher_user)
    before = lesson_snapshot()

    response = teacher.post(
        topic_url(lesson), {"topic": "Новая", "version": "99999999999999999999"}
    )

    assert response.status_code in {400, 409}
    assert lesson_snapshot() == before


def test_topic_period_param_not_injected(world, lesson):
    teacher = signed_in(world.teacher_user)

    response = teacher.get(topic_url(lesson), {"period": '1"><script>'})

    assert response.status_code == 200
    assert "<script>" not in response.text


# ----- digits that str.isdigit() accepts and int() rejects ------------------


def test_timetable_superscript_class_id(world, head_of_studies):
    response = head_of_studies.get(
        reverse("journal:timetable"), {"class": SUPERSCRIPT_TWO}
    )

    assert response.status_code == 404


def test_timetable_add_superscript_class_id(world, head_of_studies):
    response = head_of_studies.get(add_url(SUPERSCRIPT_TWO))

    assert response.status_code == 404


def test_lesson_change_superscript_substitute(world, head_of_studies, lesson):
    before = lesson_snapshot()

    response = head_of_studies.post(
        reverse("journal:lesson_change", args=[lesson.pk]),
        {"substitute": SUPERSCRIPT_TWO},
    )

    assert response.status_code == 400
    assert lesson_snapshot() == before


def test_generate_superscript_class(world, head_of_studies):
    before = lesson_snapshot()

    response = head_of_studies.post(
        reverse("journal:generate"),
        {
            "first": "2026-12-07",
            "last": "2026-12-11",
            "school_class": SUPERSCRIPT_TWO,
        },
    )

    assert response.status_code == 302
    assert lesson_snapshot() == before


def test_grid_superscript_period(world, lesson):
    teacher = signed_in(world.teacher_user)

    response = teacher.get(
        reverse("journal:grid", args=[world.assignment.pk]),
        {"period": SUPERSCRIPT_TWO},
    )

    assert response.status_code == 200


def test_class_page_superscript_period(world):
    teacher = signed_in(world.teacher_user)

    response = teacher.get(
        reverse("journal:class", args=[world.school_class.pk]),
        {"period": SUPERSCRIPT_TWO},
    )

    assert response.status_code == 200


def test_diary_subject_superscript_period(world):
    guardian = signed_in(world.guardian_user)

    response = guardian.get(
        reverse("diary:subject_marks", args=[world.child.pk, world.subject.pk]),
        {"period": SUPERSCRIPT_TWO},
    )

    assert response.status_code == 200


# ----- two managers saving the bells at once ---------------------------------


@pytest.mark.django_db(transaction=True)
def test_bells_concurrent_saves(world, head_of_studies):
    """Hold one save open in a thread while the page saves the same numbers."""
    import threading

    from django.db import connection, transaction

    from journal.bells import BellTimes, replace_bells

    first_done = threading.Event()
    release = threading.Event()

    def first_save() -> None:
        try:
            with transaction.atomic():
                replace_bells(
                    world.year,
                    [BellTimes(1, datetime.time(8, 0), datetime.time(8, 45))],
                )
                first_done.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=first_save)
    holder.start()
    assert first_done.wait(timeout=10)
    # The page's DELETE waits for the thread's row locks; release them soon.
    threading.Timer(0.5, release.set).start()

    response = head_of_studies.post(
        reverse("journal:bells"), bell_data(("1", "09:00", "09:45"))
    )
    holder.join(timeout=10)

    assert response.status_code in {302, 409}
    assert len(bells_of(world)) == 1


@pytest.mark.django_db(transaction=True)
def test_slot_add_concurrent_double_submit(world, head_of_studies):
    """Hold one add open in a thread while the page adds the same slot."""
    import threading

    from django.db import connection, transaction

    from journal.timetable import add_timetable_entry

    first_done = threading.Event()
    release = threading.Event()

    def first_add() -> None:
        try:
            with transaction.atomic():
                add_timetable_entry(
                    world.assignment,
                    datetime.date(2026, 12, 7),
                    weekday=4,
                    lesson_number=3,
                    room="15",
                )
                first_done.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=first_add)
    holder.start()
    assert first_done.wait(timeout=10)
    threading.Timer(0.5, release.set).start()

    response = head_of_studies.post(add_url(world.school_class.pk), add_data(world))
    holder.join(timeout=10)

    assert response.status_code in {302, 400, 409}
    slot_entries = sm.TimetableEntry.objects.filter(weekday=4, lesson_number=3)
    assert slot_entries.count() == 1
