"""Bulk import of students, guardians and staff through the admin."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from school import models as sm
from school.snils import format_snils, make_snils
from school.tests.admin_world import make_school_b

SNILS_1 = format_snils(make_snils(400_000_001))
SNILS_2 = format_snils(make_snils(400_000_002))
HEADER = "Фамилия;Имя;Отчество;Дата рождения;СНИЛС;Пол;Класс;Дата зачисления\n"


def _rows(*lines: str) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


GOOD = _rows(
    f"Ёжикова;Алёна;Юрьевна;15.03.2015;{SNILS_1};F;5А;01.09.2026",
    f"Щукин;Эдуард;;02.02.2015;{SNILS_2};м;5а;01.09.2026",
)


@pytest.fixture
def client_a(world) -> Client:
    client = Client()
    client.force_login(world.school_admin_user)
    return client


def _upload(client: Client, model: str, content: bytes, name: str, fmt: str = "0"):
    return client.post(
        reverse(f"admin:school_{model}_import"),
        {
            "import_file": SimpleUploadedFile(name, content),
            "format": fmt,
            "resource": "0",
        },
    )


def _confirm(client: Client, model: str, preview) -> None:
    form = preview.context["confirm_form"]
    response = client.post(
        reverse(f"admin:school_{model}_process_import"),
        {name: form.initial[name] for name in form.initial},
    )
    assert response.status_code == 302


def _import(client: Client, model: str, content: bytes, name: str, fmt: str = "0"):
    preview = _upload(client, model, content, name, fmt)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors(), [
        row.errors[0].error for row in result.rows if row.errors
    ]
    assert not result.has_validation_errors(), [
        row.error_dict for row in result.invalid_rows
    ]
    _confirm(client, model, preview)
    return result


def _row_errors(preview) -> str:
    result = preview.context["result"]
    return " ".join(
        str(message)
        for row in result.invalid_rows
        for messages in row.error_dict.values()
        for message in messages
    )


def test_preview_writes_nothing(world, client_a):
    before = sm.Student.objects.count()
    preview = _upload(client_a, "student", GOOD.encode(), "pupils.csv")
    assert preview.status_code == 200
    assert "confirm_form" in preview.context
    assert sm.Student.objects.count() == before


def test_utf8_import_enrolls(world, client_a):
    _import(client_a, "student", GOOD.encode(), "pupils.csv")
    alena = sm.Student.objects.get(last_name="Ёжикова")
    assert alena.first_name == "Алёна"
    assert alena.enrollments.get().school_class == world.school_class
    shchukin = sm.Student.objects.get(last_name="Щукин")
    assert shchukin.gender == "M"
    assert shchukin.enrollments.count() == 1


def test_windows_1251_import(world, client_a):
    _import(client_a, "student", GOOD.encode("cp1251"), "pupils.csv")
    assert sm.Student.objects.filter(last_name="Ёжикова", first_name="Алёна").exists()
    assert sm.Student.objects.filter(last_name="Щукин", first_name="Эдуард").exists()


def test_xlsx_import(world, client_a):
    book = openpyxl.Workbook()
    sheet = book.active
    for line in GOOD.strip().split("\n"):
        sheet.append(line.split(";"))
    buffer = io.BytesIO()
    book.save(buffer)
    _import(client_a, "student", buffer.getvalue(), "pupils.xlsx", fmt="1")
    assert sm.Student.objects.filter(last_name="Ёжикова").exists()


def test_reimport_changes_nothing(world, client_a):
    _import(client_a, "student", GOOD.encode(), "pupils.csv")
    students = list(sm.Student.objects.order_by("pk").values())
    enrollments = list(sm.Enrollment.objects.order_by("pk").values())
    history = sm.Student.history.count()

    result = _import(client_a, "student", GOOD.encode(), "pupils.csv")

    assert result.totals["skip"] == 2
    assert list(sm.Student.objects.order_by("pk").values()) == students
    assert list(sm.Enrollment.objects.order_by("pk").values()) == enrollments
    assert sm.Student.history.count() == history


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("Плохов;Иван;;01.01.2015;123-456-789 00;M;5А;01.09.2026", "недействителен"),
        (f"Двойнов;Иван;;01.01.2015;{SNILS_1};M;5А;01.09.2026", "несколько раз"),
        ("Классов;Иван;;01.01.2015;;M;9Я;01.09.2026", "не найден"),
        ("Датов;Иван;;01.01.2015;;M;5А;01.09.2030", "не найден"),
        ("Рождёнов;Иван;;01.01.2099;;M;5А;01.09.2026", "Дата рождения"),
        ("Форматов;Иван;;32.13.2015;;M;5А;01.09.2026", "не распознана"),
        ("Полов;Иван;;01.01.2015;;X;5А;01.09.2026", "Пол «X» не распознан"),
    ],
)
def test_bad_row_writes_nothing(world, client_a, bad_line, message):
    before = (sm.Student.objects.count(), sm.Enrollment.objects.count())
    content = _rows(
        f"Ёжикова;Алёна;Юрьевна;15.03.2015;{SNILS_1};F;5А;01.09.2026", bad_line
    )
    preview = _upload(client_a, "student", content.encode(), "pupils.csv")
    assert preview.status_code == 200
    assert message in _row_errors(preview)
    assert "confirm_form" not in preview.context
    assert (sm.Student.objects.count(), sm.Enrollment.objects.count()) == before


def test_snils_of_other_school_student_rejected(world, client_a):
    school_b = make_school_b(world)
    snils = format_snils(school_b.student.snils or "")
    content = _rows(f"Чужаков;Бенедикт;;01.01.2015;{snils};M;5А;01.09.2026")
    preview = _upload(client_a, "student", content.encode(), "pupils.csv")
    assert "не числится в вашей школе" in _row_errors(preview)
    school_b.student.refresh_from_db()
    assert not school_b.student.enrollments.filter(
        school_class=world.school_class
    ).exists()


def test_class_of_other_school_unknown(world, client_a):
    make_school_b(world)  # has class 7Ж
    content = _rows(f"Ёжикова;Алёна;;15.03.2015;{SNILS_1};F;7Ж;01.09.2026")
    preview = _upload(client_a, "student", content.encode(), "pupils.csv")
    assert "не найден" in _row_errors(preview)


def test_guardians_import_with_links(world, client_a):
    content = (
        "Фамилия;Имя;Отчество;СНИЛС;Телефон;СНИЛС обучающегося;Кем приходится\n"
        f"Новикова;Ольга;;{SNILS_1};+79000000000;{format_snils(world.child.snils)};мать\n"
    )
    _import(client_a, "guardian", content.encode("cp1251"), "parents.csv")
    guardian = sm.Guardian.objects.get(last_name="Новикова")
    link = guardian.links.get()
    assert link.student == world.child
    assert link.relation == "mother"
    _import(client_a, "guardian", content.encode("cp1251"), "parents.csv")
    assert sm.GuardianLink.objects.filter(guardian=guardian).count() == 1


def test_guardian_of_unknown_student_rejected(world, client_a):
    content = (
        "Фамилия;Имя;Отчество;СНИЛС;Телефон;СНИЛС обучающегося;Кем приходится\n"
        f"Новикова;Ольга;;{SNILS_1};;{SNILS_2};мать\n"
    )
    preview = _upload(client_a, "guardian", content.encode(), "parents.csv")
    assert "не найден" in _row_errors(preview)
    assert not sm.Guardian.objects.filter(last_name="Новикова").exists()


def test_staff_import_with_role(world, client_a):
    content = (
        "Фамилия,Имя,Отчество,СНИЛС,Должность,Роль\n"
        f"Завучева,Нина,,{SNILS_1},заместитель директора,завуч\n"
    )
    _import(client_a, "staffmember", content.encode(), "staff.csv")
    member = sm.StaffMember.objects.get(last_name="Завучева")
    assert member.roles.get().school == world.school
    assert member.roles.get().role == "head_of_studies"


def test_import_rejected_for_teacher(world):
    client = Client()
    client.force_login(world.teacher_user)
    response = _upload(client, "student", GOOD.encode(), "pupils.csv")
    assert response.status_code == 302
    assert not sm.Student.objects.filter(last_name="Ёжикова").exists()
