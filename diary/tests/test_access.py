"""Who may open whose diary, and what a closed diary explains."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from diary.access import DiaryAccess, diary_children
from school.models import DiaryApplication, Enrollment
from school.tests import factories as f

pytestmark = pytest.mark.usefixtures("frozen_now")


def week_url(student_id: int) -> str:
    return reverse("diary:week", args=[student_id])


def test_guardian_opens_own_child(client, world):
    client.force_login(world.guardian_user)

    response = client.get(week_url(world.child.pk))

    assert response.status_code == 200
    assert world.child.last_name in response.content.decode()
    assert response.context["child"].access is DiaryAccess.OPEN


def test_guardian_cannot_open_other_child(client, world):
    client.force_login(world.guardian_user)

    response = client.get(week_url(world.other_child.pk))

    assert response.status_code == 404
    assert world.other_child.last_name not in response.content.decode()


def test_guardian_cannot_open_unknown_id(client, world):
    client.force_login(world.guardian_user)

    assert client.get(week_url(999_999)).status_code == 404


def test_student_opens_own_diary(client, world):
    client.force_login(world.child_user)

    response = client.get(reverse("diary:week"))

    assert response.status_code == 200
    assert response.context["child"].student == world.child
    assert response.context["child"].is_self


def test_student_cannot_open_classmate(client, world):
    client.force_login(world.child_user)

    assert client.get(week_url(world.other_child.pk)).status_code == 404


@pytest.mark.parametrize(
    "persona",
    [
        "teacher_user",
        "other_teacher_user",
        "school_admin_user",
        "other_school_admin_user",
    ],
)
def test_staff_cannot_open_child_diary(client, world, persona):
    client.force_login(getattr(world, persona))

    assert client.get(week_url(world.child.pk)).status_code == 404


def test_anonymous_redirected_to_sign_in(client, world):
    response = client.get(week_url(world.child.pk))

    assert response.status_code == 302
    assert response.url.startswith(reverse("home"))


def test_user_without_children_sees_explanation(client, world):
    client.force_login(world.teacher_user)

    response = client.get(reverse("diary:week"))

    assert response.status_code == 200
    assert "не связан ни один ученик" in response.content.decode()


def _file(world, status, filed_on=datetime.date(2026, 11, 20)):
    f.DiaryApplicationFactory.create(
        student=world.child,
        guardian=world.guardian,
        school=world.school,
        status=status,
        filed_on=filed_on,
    )


def _closed_page(client, world, user=None):
    client.force_login(user or world.guardian_user)
    response = client.get(week_url(world.child.pk))
    assert response.status_code == 200
    return response, response.content.decode()


def test_refused_application_explained(client, world):
    _file(world, DiaryApplication.Status.REFUSED)

    response, page = _closed_page(client, world)

    assert response.context["child"].access is DiaryAccess.REFUSED
    assert "отказался от электронного дневника" in page
    assert "на бумаге" in page
    assert "week" not in response.context


def test_stopped_application_explained(client, world):
    _file(world, DiaryApplication.Status.STOPPED)

    response, page = _closed_page(client, world)

    assert response.context["child"].access is DiaryAccess.STOPPED
    assert "прекращён по заявлению" in page


def test_refusal_closes_student_own_diary(client, world):
    _file(world, DiaryApplication.Status.REFUSED)

    response, _ = _closed_page(client, world, world.child_user)

    assert response.context["child"].access is DiaryAccess.REFUSED


def test_new_application_reopens_diary(client, world):
    _file(world, DiaryApplication.Status.STOPPED, datetime.date(2026, 10, 1))
    _file(world, DiaryApplication.Status.FILED, datetime.date(2026, 11, 1))

    response, _ = _closed_page(client, world)

    assert response.context["child"].access is DiaryAccess.OPEN


def test_missing_application_explained(client, world):
    DiaryApplication.objects.filter(student=world.child).delete()

    response, page = _closed_page(client, world)

    assert response.context["child"].access is DiaryAccess.NO_APPLICATION
    assert "ещё не получила заявление" in page


def _end_enrollment(world, reason):
    Enrollment.objects.filter(student=world.child).update(
        end_date=datetime.date(2026, 11, 27), end_reason=reason
    )


def test_transfer_out_explained(client, world):
    _end_enrollment(world, Enrollment.EndReason.TRANSFER)

    response, page = _closed_page(client, world)

    assert response.context["child"].access is DiaryAccess.TRANSFERRED
    assert "переводом в другую" in page
    assert "последний день обучения — 27 ноября 2026 г." in page
    # The school the pupil left no longer reports on paper either.
    assert "на бумаге" not in page


def test_graduation_explained(client, world):
    _end_enrollment(world, Enrollment.EndReason.GRADUATION)

    response, page = _closed_page(client, world)

    assert response.context["child"].access is DiaryAccess.GRADUATED
    assert "завершил обучение в школе 27 ноября 2026 г." in page
    assert "на бумаге" not in page


def test_withdrawn_consent_explained(client, world):
    world.guardian.consents.update(withdrawn_on=datetime.date(2026, 11, 1))

    response, page = _closed_page(client, world)

    assert response.context["child"].access is DiaryAccess.NO_CONSENT
    assert "согласия на автоматизированную обработку" in page


def test_consent_of_other_guardian_not_enough(client, world):
    father = f.GuardianFactory.create()
    f.GuardianLinkFactory.create(guardian=father, student=world.child)
    f.ConsentFactory.create(guardian=father, student=world.child)
    world.guardian.consents.all().delete()

    response, _ = _closed_page(client, world)

    assert response.context["child"].access is DiaryAccess.NO_CONSENT


def test_guardian_with_two_children_gets_switcher(client, world):
    second = f.StudentFactory.create(last_name="Аверина")
    f.GuardianLinkFactory.create(guardian=world.guardian, student=second)
    f.EnrollmentFactory.create(student=second, school_class=world.other_class)
    f.DiaryApplicationFactory.create(
        student=second, guardian=world.guardian, school=world.school
    )
    f.ConsentFactory.create(guardian=world.guardian, student=second)
    client.force_login(world.guardian_user)

    response = client.get(week_url(world.child.pk))
    page = response.content.decode()

    assert response.status_code == 200
    assert 'aria-label="Выбор ребёнка"' in page
    assert week_url(second.pk) in page
    children = [child.student for child in response.context["children"]]
    assert children == [second, world.child]


def test_default_child_is_first_open_one(client, world):
    closed = f.StudentFactory.create(last_name="Аверина")
    f.GuardianLinkFactory.create(guardian=world.guardian, student=closed)
    f.EnrollmentFactory.create(student=closed, school_class=world.school_class)
    client.force_login(world.guardian_user)

    response = client.get(reverse("diary:week"))

    assert response.context["child"].student == world.child


def test_children_access_runs_fixed_queries(world, django_assert_num_queries):
    with django_assert_num_queries(4):
        children = diary_children(world.guardian_user)

    assert [child.student for child in children] == [world.child]
