"""A school administrator gets nothing of another school through the admin."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from school import models as sm
from school.admin_scoping import SchoolScopedMixin
from school.admin_site import PortalAdminSite, SuperuserOnlyMixin
from school.scoping import is_scoped
from school.tests.admin_world import SchoolB, make_school_b


@pytest.fixture
def school_b(world) -> SchoolB:
    return make_school_b(world)


@pytest.fixture
def admin_client_a(world, school_b) -> Client:
    client = Client()
    client.force_login(world.school_admin_user)
    return client


def _b_objects(school_b: SchoolB) -> dict[type[Any], Any]:
    return {
        sm.School: school_b.school,
        sm.AcademicYear: school_b.year,
        sm.Period: school_b.period,
        sm.Subject: school_b.subject,
        sm.WorkType: school_b.work_type,
        sm.Student: school_b.student,
        sm.Guardian: school_b.guardian,
        sm.GuardianLink: school_b.link,
        sm.StaffMember: school_b.teacher,
        sm.StaffRole: school_b.role,
        sm.SchoolClass: school_b.school_class,
        sm.Enrollment: school_b.enrollment,
        sm.DiaryApplication: school_b.application,
        sm.Consent: school_b.consent,
    }


def _url(model: type[Any], name: str, *args: object) -> str:
    return reverse(f"admin:school_{model._meta.model_name}_{name}", args=args)


def test_site_is_portal_site():
    assert isinstance(admin.site, PortalAdminSite)


def test_every_admin_scoped_or_superuser_only():
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SchoolScopedMixin):
            assert is_scoped(model), model
        else:
            assert isinstance(model_admin, SuperuserOnlyMixin), model


def test_school_admin_admitted_without_is_staff(world, admin_client_a):
    assert not world.school_admin_user.is_staff
    response = admin_client_a.get(reverse("admin:index"))
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["teacher_user", "guardian_user", "child_user"])
def test_non_admin_personas_rejected(world, persona):
    client = Client()
    client.force_login(getattr(world, persona))
    response = client.get(reverse("admin:school_student_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_anonymous_rejected(db):
    response = Client().get(reverse("admin:school_student_changelist"))
    assert response.status_code == 302


def test_superuser_only_admins_hidden_from_school_admin(admin_client_a):
    response = admin_client_a.get(reverse("admin:index"))
    app_labels = {app["app_label"] for app in response.context["app_list"]}
    assert app_labels == {"school"}


def test_change_lists_show_no_other_school(world, school_b, admin_client_a):
    for model, obj in _b_objects(school_b).items():
        response = admin_client_a.get(_url(model, "changelist"))
        assert response.status_code == 200, model
        listed_ids = {row.pk for row in response.context["cl"].result_list}
        assert obj.pk not in listed_ids, model


def test_change_lists_show_own_school(world, school_b, admin_client_a):
    own = {
        sm.Student: world.child,
        sm.Guardian: world.guardian,
        sm.StaffMember: world.teacher,
        sm.SchoolClass: world.school_class,
        sm.School: world.school,
    }
    for model, obj in own.items():
        response = admin_client_a.get(_url(model, "changelist"))
        listed_ids = {row.pk for row in response.context["cl"].result_list}
        assert obj.pk in listed_ids, model


def test_guessed_change_urls_find_nothing(school_b, admin_client_a):
    for model, obj in _b_objects(school_b).items():
        response = admin_client_a.get(_url(model, "change", obj.pk))
        assert response.status_code == 302, model
        assert response["Location"] == reverse("admin:index"), model
        response = admin_client_a.post(_url(model, "delete", obj.pk), {"post": "yes"})
        assert response.status_code in (302, 403), model
        assert model.objects.filter(pk=obj.pk).exists(), model


def test_history_pages_of_other_school_not_found(school_b, admin_client_a):
    for model, obj in _b_objects(school_b).items():
        name = f"admin:school_{model._meta.model_name}_history"
        response = admin_client_a.get(reverse(name, args=[obj.pk]))
        assert response.status_code in (302, 404), model
        if response.status_code == 302:
            assert response["Location"] == reverse("admin:index"), model


def test_search_finds_nothing_of_other_school(school_b, admin_client_a):
    cases = [
        (sm.Student, "Чужаков"),
        (sm.Guardian, "Чужакова"),
        (sm.StaffMember, "Чужеучителев"),
        (sm.Student, school_b.student.snils),
    ]
    for model, term in cases:
        response = admin_client_a.get(_url(model, "changelist"), {"q": term})
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [], (model, term)


def test_filter_params_cannot_reach_other_school(school_b, admin_client_a):
    response = admin_client_a.get(
        _url(sm.Enrollment, "changelist"),
        {"school_class__school__id__exact": school_b.school.pk},
    )
    assert response.status_code == 200
    listed_ids = {row.pk for row in response.context["cl"].result_list}
    assert school_b.enrollment.pk not in listed_ids


def test_filter_choices_list_own_school_only(world, school_b, admin_client_a):
    response = admin_client_a.get(_url(sm.SchoolClass, "changelist"))
    content = response.content.decode()
    assert str(world.school) in content
    assert f"school__id__exact={school_b.school.pk}" not in content


@pytest.mark.parametrize(
    ("model_name", "field_name", "term"),
    [
        ("enrollment", "student", "Чужаков"),
        ("guardianlink", "guardian", "Чужакова"),
        ("enrollment", "school_class", "Ж"),
        ("schoolclass", "class_teacher", "Чужеучителев"),
        ("diaryapplication", "student", ""),
    ],
)
def test_autocomplete_finds_nothing_of_other_school(
    school_b, admin_client_a, model_name, field_name, term
):
    response = admin_client_a.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "school",
            "model_name": model_name,
            "field_name": field_name,
            "term": term,
        },
    )
    assert response.status_code == 200
    ids = {int(item["id"]) for item in json.loads(response.content)["results"]}
    b_ids = {
        school_b.student.pk,
        school_b.guardian.pk,
        school_b.school_class.pk,
        school_b.teacher.pk,
    }
    assert not ids & b_ids or term == ""
    if term == "":
        assert school_b.student.pk not in ids


EXPORT_FIELDS = {
    f"studentresource_{name}": "on"
    for name in (
        "last_name",
        "first_name",
        "middle_name",
        "birth_date",
        "snils",
        "class_name",
    )
}


def test_export_contains_own_school_only(world, school_b, admin_client_a):
    response = admin_client_a.post(
        reverse("admin:school_student_export"),
        {"format": "0", "resource": "0", **EXPORT_FIELDS},
    )
    assert response.status_code == 200
    content = response.content.decode("utf-8-sig")
    assert world.child.last_name in content
    assert "5А" in content
    assert "Чужаков" not in content
    assert "7Ж" not in content


def test_export_action_ignores_posted_other_school_ids(world, school_b, admin_client_a):
    response = admin_client_a.post(
        reverse("admin:school_student_export"),
        {
            "format": "0",
            "resource": "0",
            **EXPORT_FIELDS,
            "export_items": [str(world.child.pk), str(school_b.student.pk)],
        },
    )
    content = response.content.decode("utf-8-sig")
    assert world.child.last_name in content
    assert "Чужаков" not in content


def test_action_on_other_school_ids_does_nothing(school_b, admin_client_a):
    response = admin_client_a.post(
        _url(sm.Student, "changelist"),
        {
            "action": "expel",
            "_selected_action": [str(school_b.student.pk)],
            "apply": "1",
            "day": "2026-10-01",
            "reason": "transfer",
            "order_number": "1",
            "order_date": "2026-10-01",
        },
    )
    assert response.status_code == 302
    school_b.enrollment.refresh_from_db()
    assert school_b.enrollment.end_date is None


def test_form_rejects_posted_other_school_student(world, school_b, admin_client_a):
    response = admin_client_a.post(
        _url(sm.GuardianLink, "add"),
        {
            "guardian": world.guardian.pk,
            "student": school_b.student.pk,
            "relation": "mother",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["student"]
    assert not sm.GuardianLink.objects.filter(
        guardian=world.guardian, student=school_b.student
    ).exists()


def test_form_school_choices_are_own_schools(world, school_b, admin_client_a):
    response = admin_client_a.get(_url(sm.Subject, "add"))
    choices = response.context["adminform"].form.fields["school"].queryset
    assert list(choices) == [world.school]


def test_school_admin_cannot_add_school(admin_client_a):
    response = admin_client_a.get(_url(sm.School, "add"))
    assert response.status_code == 403


def test_superuser_sees_every_school(world, school_b):
    client = Client()
    client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
    response = client.get(_url(sm.Student, "changelist"))
    listed_ids = {row.pk for row in response.context["cl"].result_list}
    assert {world.child.pk, school_b.student.pk} <= listed_ids


def test_history_page_bad_id_not_found(admin_client_a):
    response = admin_client_a.get(reverse("admin:school_student_history", args=["abc"]))
    assert response.status_code == 404


def test_change_logs_show_no_other_school(world, school_b, admin_client_a):
    for model, obj in _b_objects(school_b).items():
        history = getattr(model, "history", None)
        if history is None:
            continue
        url = reverse(f"admin:school_{history.model._meta.model_name}_changelist")
        response = admin_client_a.get(url)
        assert response.status_code == 200, model
        listed_ids = {row.id for row in response.context["cl"].result_list}
        assert obj.pk not in listed_ids, model
        assert history.filter(id=obj.pk).exists(), model


def test_change_log_lists_own_changes(world, admin_client_a):
    url = reverse("admin:school_historicalstudent_changelist")
    response = admin_client_a.get(url)
    listed_ids = {row.id for row in response.context["cl"].result_list}
    assert world.child.pk in listed_ids


@pytest.mark.parametrize("as_superuser", [False, True])
def test_every_page_renders(world, school_b, as_superuser):
    """Each registered admin's list, add and change pages render for both roles."""
    client = Client()
    if as_superuser:
        client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
    else:
        client.force_login(world.school_admin_user)
    own = {
        sm.School: world.school,
        sm.AcademicYear: world.year,
        sm.Period: world.quarter,
        sm.Student: world.child,
        sm.Guardian: world.guardian,
        sm.StaffMember: world.teacher,
        sm.SchoolClass: world.school_class,
        sm.GuardianLink: sm.GuardianLink.objects.filter(student=world.child).first(),
        sm.Enrollment: sm.Enrollment.objects.filter(student=world.child).first(),
        sm.Consent: sm.Consent.objects.filter(student=world.child).first(),
        sm.DiaryApplication: sm.DiaryApplication.objects.filter(
            student=world.child
        ).first(),
        sm.TeachingAssignment: world.assignment,
        sm.Subject: world.subject,
        sm.WorkType: world.work_type,
    }
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        response = client.get(reverse(f"{prefix}_changelist"))
        assert response.status_code in (200, 302, 403), model
        response = client.get(reverse(f"{prefix}_add"))
        assert response.status_code in (200, 302, 403), model
        obj = own.get(model)
        if obj is not None:
            response = client.get(reverse(f"{prefix}_change", args=[obj.pk]))
            assert response.status_code == 200, model
            response = client.get(reverse(f"{prefix}_history", args=[obj.pk]))
            assert response.status_code == 200, model


def test_class_filter_lists_own_classes(world, school_b, admin_client_a):
    response = admin_client_a.get(_url(sm.Student, "changelist"))
    content = response.content.decode()
    assert f"current_class={world.school_class.pk}" in content
    assert f"current_class={school_b.school_class.pk}" not in content


def test_class_filter_other_school_class_empty(world, school_b, admin_client_a):
    response = admin_client_a.get(
        _url(sm.Student, "changelist"), {"current_class": school_b.school_class.pk}
    )
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_class_filter_own_class(world, school_b, admin_client_a):
    response = admin_client_a.get(
        _url(sm.Student, "changelist"), {"current_class": world.school_class.pk}
    )
    listed_ids = {row.pk for row in response.context["cl"].result_list}
    assert listed_ids == {world.child.pk, world.other_child.pk}
