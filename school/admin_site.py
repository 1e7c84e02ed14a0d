"""The admin site of the portal: who gets in, and which schools they manage.

The regional administrator is a superuser and manages every school. A school
administrator or a завуч is admitted by their StaffRole (``school_admin`` or
``head_of_studies``) and manages only the schools of those roles. Such users
need neither ``is_staff`` nor Django model permissions, because the roles
decide.

Every ModelAdmin registered here is scoped: an admin that does not derive from
:class:`school.admin_scoping.SchoolScopedMixin` is made superuser-only at
registration, so a model added by any app can never show one school's records
to another school's administrator.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, path

ADMIN_ROLES = ("school_admin", "head_of_studies")


def admin_school_ids(request: HttpRequest) -> frozenset[int] | None:
    """Return the ids of the schools the request's user manages.

    ``None`` means every school (a superuser). The result is cached on the
    request, so a page queries the database once.
    """
    cached: frozenset[int] | bool | None = getattr(request, "_admin_school_ids", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    ids = school_ids_for_user(request.user)
    request._admin_school_ids = ids  # type: ignore[attr-defined]
    return ids


def school_ids_for_user(
    user: AbstractBaseUser | AnonymousUser,
) -> frozenset[int] | None:
    from school.models import StaffRole

    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if getattr(user, "is_superuser", False):
        return None
    return frozenset(
        StaffRole.objects.filter(
            staff__user_id=user.pk, role__in=ADMIN_ROLES
        ).values_list("school_id", flat=True)
    )


class SuperuserOnlyMixin:
    """Deny every admin permission to anyone but a superuser."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


class PortalAdminSite(admin.AdminSite):
    site_header = "Электронная школа: администрирование"
    site_title = "Администрирование"
    index_title = "Контингент, заявления и настройки школы"

    def has_permission(self, request: HttpRequest) -> bool:
        ids = admin_school_ids(request)
        return ids is None or bool(ids)

    def register(  # type: ignore[override]
        self,
        model_or_iterable: type[Model] | list[type[Model]],
        admin_class: type[admin.ModelAdmin[Any]] | None = None,
        **options: Any,
    ) -> None:
        from school.admin_scoping import SchoolScopedMixin

        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SchoolScopedMixin):
            admin_class = type(
                f"SuperuserOnly{admin_class.__name__}",
                (SuperuserOnlyMixin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        from school.admin_views import data_conflicts_view

        extra = [
            path(
                "data-conflicts/",
                self.admin_view(data_conflicts_view),
                name="data_conflicts",
            ),
        ]
        return extra + super().get_urls()
