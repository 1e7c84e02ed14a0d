"""Admin pages and actions: people, enrollment workflows, applications, consent."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from school import models as sm
from school.snils import format_snils, make_snils
from school.tests import factories as f
from school.tests.admin_world import make_school_b

D = datetime.date
VALID_SNILS = make_snils(123_456_789)  # 12345678964
FORMATTED_SNILS = (
    f"{VALID_SNILS[:3]}-{VALID_SNILS[3:6]}-{VALID_SNILS[6:9]} {VALID_SNILS[9:]}"
)


@pytest.fixture
def client_a(world) -> Client:
    client = Client()
    client.force_login(world.school_admin_user)
    return client


def _student_post(**overrides: str) -> dict[str, str]:
    data = {
        "last_name": "Новикова",
        "first_name": "Ольга",
        "middle_name": "",
        "birth_date": "2015-04-01",
        "gender": "F",
        "snils": FORMATTED_SNILS,
        "enrollments-TOTAL_FORMS": "0",
        "enrollments-INITIAL_FORMS": "0",
        "guardian_links-TOTAL_FORMS": "0",
        "guardian_links-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def _add_student_post(world, **overrides: str) -> dict[str, str]:
    link = {
        "school_class": str(world.school_class.pk),
        "enrollment_date": "2026-10-01",
        "order_number": "31-у",
        "order_date": "2026-09-30",
    }
    return _student_post(**{**link, **overrides})


def test_add_student_enrolls_into_class(world, client_a):
    response = client_a.post(
        reverse("admin:school_student_add"), _add_student_post(world)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    student = sm.Student.objects.get(last_name="Новикова")
    assert student.snils == VALID_SNILS
    enrollment = student.enrollments.get()
    assert enrollment.school_class == world.school_class
    assert enrollment.order_number == "31-у"


def test_add_student_requires_class_for_school_admin(world, client_a):
    response = client_a.post(reverse("admin:school_student_add"), _student_post())
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["school_class"]
    assert not sm.Student.objects.filter(last_name="Новикова").exists()


def test_add_student_class_of_other_school_rejected(world, client_a):
    school_b = make_school_b(world)
    response = client_a.post(
        reverse("admin:school_student_add"),
        _add_student_post(world, school_class=str(school_b.school_class.pk)),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["school_class"]


@pytest.mark.parametrize(
    ("snils", "message"),
    [
        ("123-456-789 65", "контрольное число"),
        ("123-456", "11 цифр"),
        ("абв", "11 цифр"),
    ],
)
def test_student_snils_errors_in_russian(world, client_a, snils, message):
    url = reverse("admin:school_student_change", args=[world.child.pk])
    before = world.child.snils
    response = client_a.post(url, _student_post(snils=snils))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["snils"]
    assert message in errors[0]
    world.child.refresh_from_db()
    assert world.child.snils == before


def test_duplicate_snils_rejected(world, client_a):
    url = reverse("admin:school_student_change", args=[world.child.pk])
    response = client_a.post(url, _student_post(snils=world.other_child.snils))
    assert response.status_code == 200
    assert "уже есть" in response.context["adminform"].form.errors["snils"][0]


def test_student_change_keeps_snils_digits(world, client_a):
    url = reverse("admin:school_student_change", args=[world.child.pk])
    response = client_a.post(url, _student_post(snils=FORMATTED_SNILS))
    assert response.status_code == 302
    world.child.refresh_from_db()
    assert world.child.snils == VALID_SNILS


def test_add_guardian_links_student(world, client_a):
    response = client_a.post(
        reverse("admin:school_guardian_add"),
        {
            "last_name": "Новиков",
            "first_name": "Пётр",
            "snils": FORMATTED_SNILS,
            "student": str(world.child.pk),
            "relation": "father",
            "links-TOTAL_FORMS": "0",
            "links-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    guardian = sm.Guardian.objects.get(last_name="Новиков")
    assert guardian.links.get().student == world.child


def test_add_staff_with_role(world, client_a):
    response = client_a.post(
        reverse("admin:school_staffmember_add"),
        {
            "last_name": "Завучева",
            "first_name": "Нина",
            "snils": "",
            "position": "заместитель директора",
            "school": str(world.school.pk),
            "role": "head_of_studies",
            "roles-TOTAL_FORMS": "0",
            "roles-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    member = sm.StaffMember.objects.get(last_name="Завучева")
    assert member.roles.get().role == "head_of_studies"


def test_head_of_studies_admitted(world):
    f.StaffRoleFactory.create(
        staff=world.other_teacher, school=world.school, role="head_of_studies"
    )
    client = Client()
    client.force_login(world.other_teacher_user)
    response = client.get(reverse("admin:school_student_changelist"))
    assert response.status_code == 200


def _action(client: Client, name: str, ids: list[int], **data: str):
    return client.post(
        reverse("admin:school_student_changelist"),
        {"action": name, "_selected_action": [str(pk) for pk in ids], **data},
    )


def test_expel_action_shows_form_first(world, client_a):
    response = _action(client_a, "expel", [world.child.pk])
    assert response.status_code == 200
    assert "Отчислить с" in response.content.decode()
    assert sm.Enrollment.objects.get(student=world.child).end_date is None


def test_expel_action_applies(world, client_a):
    response = _action(
        client_a,
        "expel",
        [world.child.pk],
        apply="1",
        day="2027-01-15",
        reason="transfer",
        order_number="2-о",
        order_date="2027-01-14",
        note="",
    )
    assert response.status_code == 302
    enrollment = sm.Enrollment.objects.get(student=world.child)
    assert enrollment.end_date == D(2027, 1, 14)
    assert enrollment.end_reason == "transfer"


def test_enroll_action_error_rolls_back_all(world, client_a):
    new_student = f.StudentFactory.create()
    f.DiaryApplicationFactory.create(
        student=new_student, guardian=world.guardian, school=world.school
    )
    response = _action(
        client_a,
        "enroll",
        [new_student.pk, world.child.pk],
        apply="1",
        school_class=str(world.other_class.pk),
        day="2026-10-01",
        order_number="3-у",
        order_date="2026-10-01",
    )
    assert response.status_code == 200
    assert "пересекаться" in response.content.decode()
    assert not sm.Enrollment.objects.filter(student=new_student).exists()


def test_move_action_applies(world, client_a):
    response = _action(
        client_a,
        "move",
        [world.child.pk],
        apply="1",
        school_class=str(world.other_class.pk),
        day="2026-11-02",
        order_number="4-у",
        order_date="2026-11-01",
    )
    assert response.status_code == 302
    current = sm.Enrollment.objects.get(student=world.child, end_date=None)
    assert current.school_class == world.other_class


def test_enrollment_register_read_only_for_school_admin(world, client_a):
    enrollment = sm.Enrollment.objects.get(student=world.child)
    url = reverse("admin:school_enrollment_change", args=[enrollment.pk])
    response = client_a.post(url, {"start_date": "2026-08-01"})
    assert response.status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.start_date == D(2026, 9, 1)


def test_student_page_shows_diary_status(world, client_a):
    url = reverse("admin:school_student_change", args=[world.child.pk])
    response = client_a.get(url)
    content = response.content.decode()
    assert "Электронный дневник" in content
    assert "Открыт на" in content or "Закрыт на" in content


def test_diary_status_explains_refusal(world, monkeypatch):
    from school import diary_status

    monkeypatch.setattr(diary_status, "local_today", lambda _zone: D(2026, 12, 1))
    f.DiaryApplicationFactory.create(
        student=world.child,
        guardian=world.guardian,
        school=world.school,
        status="refused",
        filed_on=D(2026, 10, 1),
    )
    line = diary_status.diary_status_line(world.child)
    assert line == (
        "Закрыт на 01.12.2026: законный представитель отказался от "
        "электронного дневника."
    )


def test_diary_status_open_names_guardian(world, monkeypatch):
    from school import diary_status

    monkeypatch.setattr(diary_status, "local_today", lambda _zone: D(2026, 12, 1))
    line = diary_status.diary_status_line(world.child)
    assert line.startswith("Открыт на 01.12.2026. Согласие дали: Родителева")


def test_application_requires_linked_guardian(world, client_a):
    response = client_a.post(
        reverse("admin:school_diaryapplication_add"),
        {
            "student": str(world.child.pk),
            "guardian": str(world.other_guardian.pk),
            "school": str(world.school.pk),
            "status": "stopped",
            "filed_on": "2026-11-01",
            "reason": "",
        },
    )
    assert response.status_code == 200
    assert "законным представителем" in str(
        response.context["adminform"].form.errors["guardian"]
    )


def test_stop_application_recorded(world, client_a):
    response = client_a.post(
        reverse("admin:school_diaryapplication_add"),
        {
            "student": str(world.child.pk),
            "guardian": str(world.guardian.pk),
            "school": str(world.school.pk),
            "status": "stopped",
            "filed_on": "2026-11-01",
            "reason": "заявление от 01.11.2026",
        },
    )
    assert response.status_code == 302
    latest = world.child.diary_applications.order_by("-filed_on").first()
    assert latest.status == "stopped"
    assert latest.history.latest().history_user == world.school_admin_user


def test_consent_withdraw_action(world, client_a):
    consent = sm.Consent.objects.get(guardian=world.guardian)
    response = client_a.post(
        reverse("admin:school_consent_changelist"),
        {
            "action": "withdraw",
            "_selected_action": [str(consent.pk)],
            "apply": "1",
            "day": "2026-12-01",
            "statement": "заявление № 9",
        },
    )
    assert response.status_code == 302
    world.guardian.refresh_from_db()
    assert world.guardian.snils is None
    act = sm.ConsentWithdrawal.objects.get()
    assert act.recorded_by == world.school_admin_user
    assert act.school == world.school


def test_consent_withdrawn_on_not_editable(world, client_a):
    consent = sm.Consent.objects.get(guardian=world.guardian)
    url = reverse("admin:school_consent_change", args=[consent.pk])
    response = client_a.post(url, {"withdrawn_on": "2026-12-01"})
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
    assert response.status_code in (200, 302)


def test_history_page_shows_who_changed(world, client_a):
    url = reverse("admin:school_student_change", args=[world.child.pk])
    client_a.post(url, _student_post(snils=FORMATTED_SNILS))
    history = reverse("admin:school_student_history", args=[world.child.pk])
    response = client_a.get(history)
    assert response.status_code == 200
    assert world.school_admin_user.email in response.content.decode()


def test_rollover_preview_then_run(world, client_a):
    next_year = f.AcademicYearFactory.create(
        school=world.school,
        name="2027/2028",
        start_date=D(2027, 9, 1),
        end_date=D(2028, 5, 31),
    )
    data = {
        "action": "rollover",
        "_selected_action": [str(world.year.pk)],
        "new_year": str(next_year.pk),
        "graduation_date": "2027-06-25",
        "top_grade": "11",
        "order_number": "50-у",
        "order_date": "2027-06-25",
    }
    url = reverse("admin:school_academicyear_changelist")
    response = client_a.post(url, {**data, "preview": "1"})
    assert response.status_code == 200
    assert "перевод в 6А" in response.content.decode()
    assert not sm.SchoolClass.objects.filter(academic_year=next_year).exists()

    previewed = response.context["previewed"]
    response = client_a.post(url, {**data, "apply": "1", "previewed": previewed})
    assert response.status_code == 302
    assert sm.Enrollment.objects.filter(
        student=world.child, school_class__academic_year=next_year
    ).exists()


def test_data_conflicts_lists_shared_snils(world, client_a):
    world.other_guardian.snils = world.child.snils
    world.child.snils = world.child.snils  # the student keeps it
    world.other_guardian.save(update_fields=["snils"])
    response = client_a.get(reverse("admin:data_conflicts"))
    assert response.status_code == 200
    content = response.content.decode()
    assert world.child.last_name in content
    assert world.other_guardian.last_name in content


def test_data_conflicts_hides_other_school_names(world, client_a):
    school_b = make_school_b(world)
    school_b.guardian.snils = world.child.snils
    school_b.guardian.save(update_fields=["snils"])
    response = client_a.get(reverse("admin:data_conflicts"))
    content = response.content.decode()
    assert world.child.last_name in content
    assert "Чужакова" not in content
    assert "запись другой школы" in content


def test_data_conflicts_rejects_teacher(world):
    client = Client()
    client.force_login(world.teacher_user)
    response = client.get(reverse("admin:data_conflicts"))
    assert response.status_code == 302


def _enroll_by_snils(
    client: Client, student: sm.Student, last_name: str, class_pk: int
):
    return client.post(
        reverse("admin:school_student_enroll_by_snils"),
        {
            "snils": student.snils or "",
            "last_name": last_name,
            "school_class": str(class_pk),
            "day": "2027-01-15",
            "order_number": "7-у",
            "order_date": "2027-01-15",
        },
    )


def test_transfer_in_by_snils(world, client_a):
    from school import services

    school_b = make_school_b(world)
    order = services.Order(number="1-о", date=D(2027, 1, 14))
    services.expel(school_b.student, D(2027, 1, 15), "transfer", order)

    response = _enroll_by_snils(
        client_a, school_b.student, "чужаков", world.school_class.pk
    )

    assert response.status_code == 302
    current = sm.Enrollment.objects.get(student=school_b.student, end_date=None)
    assert current.school_class == world.school_class
    assert current.start_date == D(2027, 1, 15)


def test_transfer_in_while_enrolled_elsewhere_rejected(world, client_a):
    school_b = make_school_b(world)
    response = _enroll_by_snils(
        client_a, school_b.student, "Чужаков", world.school_class.pk
    )
    assert response.status_code == 200
    assert "пересекаться" in response.content.decode()
    assert not sm.Enrollment.objects.filter(
        student=school_b.student, school_class=world.school_class
    ).exists()


def test_enroll_by_snils_needs_matching_name(world, client_a):
    school_b = make_school_b(world)
    response = _enroll_by_snils(
        client_a, school_b.student, "Иванов", world.school_class.pk
    )
    assert response.status_code == 200
    assert "не найден" in response.content.decode()


def test_enroll_by_snils_rejects_teacher(world):
    client = Client()
    client.force_login(world.teacher_user)
    response = _enroll_by_snils(client, world.child, "x", world.school_class.pk)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_student_list_links_enroll_by_snils(world, client_a):
    response = client_a.get(reverse("admin:school_student_changelist"))
    assert reverse("admin:school_student_enroll_by_snils") in response.content.decode()


def test_index_links_data_conflicts(world, client_a):
    response = client_a.get(reverse("admin:index"))
    assert reverse("admin:data_conflicts") in response.content.decode()


def test_sign_in_failures_of_own_people_listed(world, client_a):
    from accounts.models import SignInFailure
    from accounts.tests.factories import UserFactory

    SignInFailure.objects.create(
        esia_oid=world.guardian_user.esia_oid, reason="conflict", detail="guardian 1"
    )
    school_b = make_school_b(world)
    school_b.guardian.user = UserFactory.create()
    school_b.guardian.save(update_fields=["user"])
    SignInFailure.objects.create(
        esia_oid=school_b.guardian.user.esia_oid or "", reason="conflict", detail="b"
    )
    SignInFailure.objects.create(esia_oid="999", reason="unknown_snils")

    response = client_a.get(reverse("admin:data_conflicts"))
    rows = response.context["failures"]
    assert [row.failure.reason for row in rows] == ["conflict"]
    assert rows[0].people[0].name == world.guardian.full_name


def test_sign_in_failures_all_for_superuser(world):
    from accounts.models import SignInFailure
    from accounts.tests.factories import UserFactory

    SignInFailure.objects.create(esia_oid="999", reason="unknown_snils")
    SignInFailure.objects.create(esia_oid="998", reason="cancelled")
    client = Client()
    client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
    response = client.get(reverse("admin:data_conflicts"))
    assert [row.failure.esia_oid for row in response.context["failures"]] == ["999"]


def test_link_guardian_of_other_school_by_snils(world, client_a):
    school_b = make_school_b(world)
    response = client_a.post(
        reverse("admin:school_guardian_link_by_snils"),
        {
            "snils": school_b.guardian.snils or "",
            "last_name": "ЧУЖАКОВА",
            "student": str(world.child.pk),
            "relation": "mother",
        },
    )
    assert response.status_code == 302
    assert sm.GuardianLink.objects.filter(
        guardian=school_b.guardian, student=world.child
    ).exists()


def test_link_guardian_to_other_school_student_rejected(world, client_a):
    school_b = make_school_b(world)
    response = client_a.post(
        reverse("admin:school_guardian_link_by_snils"),
        {
            "snils": world.guardian.snils or "",
            "last_name": world.guardian.last_name,
            "student": str(school_b.student.pk),
            "relation": "mother",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["student"]
    assert not sm.GuardianLink.objects.filter(
        guardian=world.guardian, student=school_b.student
    ).exists()


def test_link_guardian_by_snils_needs_matching_name(world, client_a):
    response = client_a.post(
        reverse("admin:school_guardian_link_by_snils"),
        {
            "snils": world.other_guardian.snils or "",
            "last_name": "Иванова",
            "student": str(world.child.pk),
            "relation": "mother",
        },
    )
    assert response.status_code == 200
    assert "не найден" in response.content.decode()


def test_period_outside_year_rejected(world, client_a):
    response = client_a.post(
        reverse("admin:school_period_add"),
        {
            "academic_year": str(world.year.pk),
            "kind": "quarter",
            "number": "4",
            "grade_from": "1",
            "grade_to": "9",
            "start_date": "2027-04-01",
            "end_date": "2027-06-30",
        },
    )
    assert response.status_code == 200
    assert "внутри учебного года" in response.content.decode()
    assert not sm.Period.objects.filter(number=4).exists()


def test_thresholds_out_of_order_rejected(world, client_a):
    url = reverse("admin:school_school_change", args=[world.school.pk])
    response = client_a.post(
        url,
        {
            "address": "",
            "time_zone": "Europe/Moscow",
            "threshold_five": "3.00",
            "threshold_four": "4.00",
            "threshold_three": "2.50",
        },
    )
    assert response.status_code == 200
    world.school.refresh_from_db()
    assert str(world.school.threshold_five) == "4.50"


def test_thresholds_changed_by_school_admin(world, client_a):
    url = reverse("admin:school_school_change", args=[world.school.pk])
    response = client_a.post(
        url,
        {
            "address": "",
            "time_zone": "Europe/Moscow",
            "threshold_five": "4.65",
            "threshold_four": "3.65",
            "threshold_three": "2.65",
        },
    )
    assert response.status_code == 302
    world.school.refresh_from_db()
    assert str(world.school.threshold_five) == "4.65"


def test_school_admin_cannot_delete_person(world, client_a):
    url = reverse("admin:school_guardian_delete", args=[world.guardian.pk])
    response = client_a.post(url, {"post": "yes"})
    assert response.status_code == 403
    assert sm.Guardian.objects.filter(pk=world.guardian.pk).exists()


def test_period_close_date_set_from_list(world, client_a):
    url = reverse("admin:school_period_changelist")
    response = client_a.post(
        url,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(world.quarter.pk),
            "form-0-closed_on": "2026-12-29",
            "_save": "Сохранить",
        },
    )
    assert response.status_code == 302
    world.quarter.refresh_from_db()
    assert str(world.quarter.closed_on) == "2026-12-29"


def _move_child_to_school_b(world) -> None:
    from school import services

    school_b = make_school_b(world)
    order = services.Order(number="1-о", date=D(2026, 11, 1))
    services.expel(world.child, D(2026, 11, 2), "transfer", order)
    services.enroll(world.child, school_b.school_class, D(2026, 11, 2), order)


def test_expel_student_now_in_other_school_rejected(world, client_a):
    _move_child_to_school_b(world)
    response = _action(
        client_a,
        "expel",
        [world.child.pk],
        apply="1",
        day="2027-01-15",
        reason="other",
        order_number="2-о",
        order_date="2027-01-14",
        note="",
    )
    assert response.status_code == 200
    assert "в другой школе" in response.content.decode()
    current = sm.Enrollment.objects.get(student=world.child, end_date=None)
    assert current.school_class.school == world.other_school


def test_withdraw_consent_of_moved_student_rejected(world, client_a):
    _move_child_to_school_b(world)
    consent = sm.Consent.objects.get(guardian=world.guardian)
    response = client_a.post(
        reverse("admin:school_consent_changelist"),
        {
            "action": "withdraw",
            "_selected_action": [str(consent.pk)],
            "apply": "1",
            "day": "2026-12-01",
            "statement": "",
        },
    )
    assert response.status_code == 200
    assert "в другой школе" in response.content.decode()
    world.guardian.refresh_from_db()
    assert world.guardian.snils is not None


def test_rollover_without_preview_not_run(world, client_a):
    next_year = f.AcademicYearFactory.create(
        school=world.school,
        name="2027/2028",
        start_date=D(2027, 9, 1),
        end_date=D(2028, 5, 31),
    )
    response = client_a.post(
        reverse("admin:school_academicyear_changelist"),
        {
            "action": "rollover",
            "_selected_action": [str(world.year.pk)],
            "new_year": str(next_year.pk),
            "graduation_date": "2027-06-25",
            "top_grade": "11",
            "order_number": "50-у",
            "order_date": "2027-06-25",
            "apply": "1",
            "previewed": f"{next_year.pk}|2027-06-20|11",
        },
    )
    assert response.status_code == 200
    assert "Параметры изменены после предпросмотра" in response.content.decode()
    assert not sm.SchoolClass.objects.filter(academic_year=next_year).exists()


def test_withdraw_form_warns_about_erasure(world, client_a):
    consent = sm.Consent.objects.get(guardian=world.guardian)
    response = client_a.post(
        reverse("admin:school_consent_changelist"),
        {"action": "withdraw", "_selected_action": [str(consent.pk)]},
    )
    assert response.status_code == 200
    assert "Отменить это нельзя" in response.content.decode()
    world.guardian.refresh_from_db()
    assert world.guardian.snils is not None


def test_teacher_parent_not_a_conflict(world, client_a):
    teacher = world.teacher
    world.guardian.snils = None
    world.guardian.save(update_fields=["snils"])
    f.GuardianFactory.create(
        last_name=teacher.last_name,
        first_name=teacher.first_name,
        birth_date=teacher.birth_date,
        snils=teacher.snils,
    )
    other = f.GuardianFactory.create(last_name="Несовпадающая")
    f.GuardianLinkFactory.create(guardian=other, student=world.child)
    other.snils = world.other_teacher.snils
    other.save(update_fields=["snils"])

    response = client_a.get(reverse("admin:data_conflicts"))

    snils_listed = {conflict.snils for conflict in response.context["conflicts"]}
    assert format_snils(teacher.snils or "") not in snils_listed
    assert format_snils(world.other_teacher.snils or "") in snils_listed
