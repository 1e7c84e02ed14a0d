"""Admin pages of the accounts app."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import SignInFailure


@admin.register(SignInFailure)
class SignInFailureAdmin(admin.ModelAdmin):
    """A read-only log of refused ESIA sign-ins, searchable by ESIA oid."""

    list_display = ["created_at", "reason", "esia_oid", "detail"]
    list_filter = ["reason"]
    search_fields = ["esia_oid"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
