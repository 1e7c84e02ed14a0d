"""Holes found by attacking the portal, each pinned by a test."""

from __future__ import annotations

import datetime

from django.test import Client
from django.urls import reverse

from conftest import World
from journal.models import Mark
from journal.tests.factories import LessonFactory
from school import models as sm
from school.tests import factories as f


def _transfer_child_to_other_school(world: World) -> None:
    enrollment = sm.Enrollment.objects.get(student=world.child)
    enrollment.end_date = datetime.date(2026, 10, 31)
    enrollment.end_reason = sm.Enrollment.EndReason.TRANSFER
    enrollment.save()
    year = f.AcademicYearFactory.create(school=world.other_school)
    new_class = f.SchoolClassFactory.create(academic_year=year, grade=5, letter="В")
    f.EnrollmentFactory.create(
        student=world.child,
        school_class=new_class,
        start_date=datetime.date(2026, 11, 1),
    )
    f.DiaryApplicationFactory.create(
        student=world.child, guardian=world.guardian, school=world.other_school
    )


def test_former_school_cannot_delete_guardian_link(world: World) -> None:
    _transfer_child_to_other_school(world)
    link = sm.GuardianLink.objects.get(student=world.child, guardian=world.guardian)
    admin = Client()
    admin.force_login(world.school_admin_user)

    response = admin.post(
        reverse("admin:school_guardianlink_delete", args=[link.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert sm.GuardianLink.objects.filter(pk=link.pk).exists()


def test_former_school_reads_student_read_only(world: World) -> None:
    _transfer_child_to_other_school(world)
    admin = Client()
    admin.force_login(world.school_admin_user)
    url = reverse("admin:school_student_change", args=[world.child.pk])

    page = admin.get(url)
    posted = admin.post(url, {"last_name": "Чужая"})

    assert page.status_code == 200
    assert posted.status_code == 403
    world.child.refresh_from_db()
    assert world.child.last_name != "Чужая"


def test_former_school_cannot_withdraw_consent(world: World) -> None:
    _transfer_child_to_other_school(world)
    consent = sm.Consent.objects.get(student=world.child, guardian=world.guardian)
    admin = Client()
    admin.force_login(world.school_admin_user)

    admin.post(
        reverse("admin:school_consent_changelist"),
        {
            "action": "withdraw",
            "_selected_action": [str(consent.pk)],
            "apply": "1",
            "day": "2026-12-01",
            "statement": "Заявление",
        },
    )

    consent.refresh_from_db()
    assert consent.withdrawn_on is None


def test_current_school_still_deletes_guardian_link(world: World) -> None:
    link = sm.GuardianLink.objects.get(student=world.child, guardian=world.guardian)
    admin = Client()
    admin.force_login(world.school_admin_user)

    response = admin.post(
        reverse("admin:school_guardianlink_delete", args=[link.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not sm.GuardianLink.objects.filter(pk=link.pk).exists()


def test_teacher_without_school_role_loses_journal(world: World) -> None:
    sm.StaffRole.objects.filter(staff=world.teacher).delete()
    lesson = LessonFactory.create(assignment=world.assignment)
    teacher = Client()
    teacher.force_login(world.teacher_user)

    page = teacher.get(reverse("journal:lesson", args=[lesson.pk]))
    saved = teacher.post(
        reverse("journal:grid_cell", args=[lesson.pk, world.child.pk]),
        {"value": "2", "state": "a;", "work_type": str(world.work_type.pk)},
        HTTP_HX_REQUEST="true",
    )

    assert page.status_code == 404
    assert saved.status_code == 404
    assert Mark.objects.count() == 0


def test_unreadable_work_type_rejected(world: World) -> None:
    lesson = LessonFactory.create(assignment=world.assignment)
    teacher = Client()
    teacher.force_login(world.teacher_user)

    response = teacher.post(
        reverse("journal:grid_cell", args=[lesson.pk, world.child.pk]),
        {"value": "5", "state": "a;", "work_type": "1" * 12},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 400
    assert Mark.objects.count() == 0


def test_posted_final_mark_kind_escaped(world: World) -> None:
    payload = '"><img src=x onerror=alert(1)>'
    teacher = Client()
    teacher.force_login(world.teacher_user)

    response = teacher.post(
        reverse("journal:final_mark", args=[world.assignment.pk, world.child.pk]),
        {"kind": payload, "value": "5", "version": "0"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 400
    assert b"<img src=x onerror=alert(1)>" not in response.content
