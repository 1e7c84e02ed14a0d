"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from school.models import Guardian, StaffMember, StaffRole, Student

MANAGER_ROLES = (StaffRole.Role.HEAD_OF_STUDIES, StaffRole.Role.SCHOOL_ADMIN)
NAVIGATION_TIMEOUT_SECONDS = 3600


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


def _cached_navigation(request: HttpRequest, user_pk: int) -> dict[str, Any]:
    from django.core.cache import cache

    from diary.caching import GLOBAL_KEY, Scope, read_stamps

    # The user's stamp moves with every change to their names and roles. It
    # is read before the values, and a diary page has already read it.
    keys = [(Scope.USER, user_pk), GLOBAL_KEY]
    stamps = getattr(request, "cache_stamps", None)
    if stamps is None or not all(stamps.covers(key) for key in keys):
        stamps = read_stamps(keys)
    values_key = ":".join(str(value) for *_key, value in stamps.of(keys))
    cache_key = f"navigation:{user_pk}:{values_key}"
    values = cache.get(cache_key)
    if values is None:
        values = _navigation(user_pk)
        cache.set(cache_key, values, NAVIGATION_TIMEOUT_SECONDS)
    return values


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Add the signed-in user's name and the sections they may open.

    The values load on first use in a template, from the cache under the
    user's stamp, else in one more query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "navigation": SimpleLazyObject(lambda: _cached_navigation(request, user.pk))
    }


# The version for visually impaired users (larger type, high contrast, no
# images) is a per-browser choice kept in this cookie for a year.
LOW_VISION_COOKIE = "diary_low_vision"


def low_vision(request: HttpRequest) -> dict[str, Any]:
    """Tell every page whether to show the version for visually impaired users."""
    return {"low_vision": request.COOKIES.get(LOW_VISION_COOKIE) == "1"}
