"""The base of every admin page: records limited to the user's schools.

:class:`SchoolScopedMixin` filters the change list, the change and delete
pages, search, autocomplete (Django's autocomplete view reads the target
admin's ``get_queryset``), exports, and the choices of every foreign key and
many-to-many field by :func:`school.scoping.scope_to_schools`. A record of
another school is therefore "not found" on every page, and a posted id of
another school's record fails form validation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import ForeignKey, ManyToManyField, Model, QuerySet
from django.forms import Field
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from school.admin_site import admin_school_ids
from school.scoping import is_scoped, scope_to_schools, writable_in_schools


class SchoolScopedMixin:
    """Scope querysets, permissions and form choices to the user's schools.

    Use it first among the bases of every ModelAdmin and inline of the portal.
    """

    # Superuser-only pages (such as adding a school) set this to False.
    school_staff_may_add: bool = True
    school_staff_may_delete: bool = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        ids = admin_school_ids(request)
        if ids is None:
            return queryset
        return scope_to_schools(queryset, ids)

    def _is_manager(self, request: HttpRequest) -> bool:
        ids = admin_school_ids(request)
        return ids is None or bool(ids)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_manager(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_manager(request)

    def _may_write(self, request: HttpRequest, obj: Any) -> bool:
        """Tell whether the user's schools may change ``obj`` (None: any row)."""
        ids = admin_school_ids(request)
        if ids is None or obj is None or not isinstance(obj, Model):
            return True
        rows = type(obj)._default_manager.filter(pk=obj.pk)
        return writable_in_schools(rows, ids).exists()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_manager(request) and self._may_write(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        if request.user.is_superuser:
            return True
        return self.school_staff_may_add and self._is_manager(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return True
        return (
            self.school_staff_may_delete
            and self._is_manager(request)
            and self._may_write(request, obj)
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ids = admin_school_ids(request)
        if ids is not None:
            queryset = writable_in_schools(queryset, ids)
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    def _scoped_choices(
        self, request: HttpRequest, model: type[Model], queryset: QuerySet[Any] | None
    ) -> QuerySet[Any] | None:
        ids = admin_school_ids(request)
        if ids is None:
            return queryset
        if queryset is None:
            queryset = model._default_manager.all()
        if is_scoped(model):
            return scope_to_schools(queryset, ids)
        # A model the scoping rules do not cover (a portal user account, for
        # instance) offers no choices to a school administrator.
        return queryset.none()

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Field | None:
        choices = self._scoped_choices(
            request, db_field.remote_field.model, kwargs.get("queryset")
        )
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Field | None:
        choices = self._scoped_choices(
            request, db_field.remote_field.model, kwargs.get("queryset")
        )
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedModelAdmin(SchoolScopedMixin, admin.ModelAdmin):  # type: ignore[misc,type-arg]
    """A scoped ModelAdmin; its FK list filters list only related rows in use."""


class ScopedHistoryAdmin(SchoolScopedMixin, SimpleHistoryAdmin):  # type: ignore[misc,type-arg]
    """A scoped admin with the change history page of django-simple-history.

    The history page of a record the user may not see is a 404: the stock
    view falls back to the last historical copy of a missing record, which
    would show another school's deleted or hidden data. Reverting to an old
    version is off, because it would bypass the enrollment and consent
    services and bring erased personal data back.
    """

    def _check_visible(self, request: HttpRequest, object_id: str) -> None:
        if request.user.is_superuser:
            return
        if self.get_object(request, unquote(object_id)) is None:  # type: ignore[attr-defined]
            raise Http404("Запись не найдена.")

    def history_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._check_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)  # type: ignore[no-any-return]

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._check_visible(request, object_id)
        return super().history_form_view(  # type: ignore[no-any-return]
            request, object_id, version_id, extra_context
        )

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


class ScopedTabularInline(SchoolScopedMixin, admin.TabularInline):  # type: ignore[misc,type-arg]
    pass
