"""A NUL character anywhere in a request gets a page in Russian, not a 500."""

import pytest
from django.urls import reverse

from journal.models import Mark
from journal.tests.factories import LessonFactory


def test_nul_in_path_rejected(client, db):
    response = client.get("/diary/calendar/%00.ics")
    assert response.status_code == 400
    assert "недопустимый символ" in response.content.decode()


def test_nul_in_query_rejected(client, world):
    client.force_login(world.guardian_user)
    response = client.get(reverse("diary:week"), {"date": "2026-12-01\x00"})
    assert response.status_code == 400


@pytest.mark.parametrize("field", ["reason", "value", "work_type"])
def test_nul_in_form_field_rejected(client, world, field):
    lesson = LessonFactory.create(assignment=world.assignment)
    client.force_login(world.teacher_user)
    data = {"value": "5", "state": "a;", "work_type": str(world.work_type.pk)}
    data[field] = data.get(field, "") + "\x00"

    response = client.post(
        reverse("journal:grid_cell", args=[lesson.pk, world.child.pk]),
        data,
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 400
    assert Mark.objects.count() == 0


def test_ordinary_request_passes(client, world):
    client.force_login(world.guardian_user)
    response = client.get(reverse("diary:week"), {"date": "2026-12-01"})
    assert response.status_code == 200
