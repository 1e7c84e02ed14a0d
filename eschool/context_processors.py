"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from school.models import Guardian, StaffMember, StaffRole, Student

MANAGER_ROLES = (StaffRole.Role.HEAD_OF_STUDIES, StaffRole.Role.SCHOOL_ADMIN)


def _full_name(model: type[Guardian | Student | StaffMember]) -> Subquery:
    people = model.objects.filter(user_id=OuterRef("pk")).annotate(
        name=Concat("last_name", Value(" "), "first_name")
    )
    return Subquery(people.values("name")[:1])


def _navigation(user_pk: int) -> dict[str, Any]:
    from accounts.models import User

    row = (
        User.objects.filter(pk=user_pk)
        .annotate(
            person_name=Coalesce(
                _full_name(StaffMember), _full_name(Guardian), _full_name(Student)
            ),
            has_diary=Exists(Guardian.objects.filter(user_id=OuterRef("pk")))
            | Exists(Student.objects.filter(user_id=OuterRef("pk"))),
            has_journal=Exists(StaffRole.objects.filter(staff__user_id=OuterRef("pk"))),
            is_manager=Exists(
                StaffRole.objects.filter(
                    Q(role__in=MANAGER_ROLES), staff__user_id=OuterRef("pk")
                )
            ),
        )
        .values("person_name", "has_diary", "has_journal", "is_manager", "is_superuser")
        .first()
    )
    if row is None:
        return {}
    row["may_admin"] = row["is_manager"] or row["is_superuser"]
    return row


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Add the signed-in user's name and the sections they may open.

    The values load on first use in a template, in one query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"navigation": SimpleLazyObject(lambda: _navigation(user.pk))}
