"""Admin list pages load in a fixed number of queries whatever the row count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from school.tests.admin_world import add_students

LIST_PAGES = [
    "student",
    "guardian",
    "staffmember",
    "guardianlink",
    "staffrole",
    "enrollment",
    "diaryapplication",
    "consent",
    "historicalenrollment",
    "historicalstudent",
    "historicalconsent",
    "schoolclass",
]


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.slow
@pytest.mark.parametrize("as_superuser", [False, True])
def test_list_pages_fixed_queries(world, as_superuser):
    client = Client()
    if as_superuser:
        client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
    else:
        client.force_login(world.school_admin_user)

    add_students(world.school_class, world.school, 10, first_number=300_000_000)
    small = {
        name: _count_queries(client, reverse(f"admin:school_{name}_changelist"))
        for name in LIST_PAGES
    }
    add_students(world.school_class, world.school, 1000, first_number=310_000_000)
    for name in LIST_PAGES:
        url = reverse(f"admin:school_{name}_changelist")
        large = _count_queries(client, url)
        assert large == small[name], f"{name}: {small[name]} queries, then {large}"
        assert large <= 12, f"{name}: {large} queries"
