"""The django-allauth provider "esia" (Госуслуги).

The app entry comes from ``settings.SOCIALACCOUNT_PROVIDERS["esia"]["APP"]``,
so no SocialApp row is needed. Scopes are always ``settings.ESIA_SCOPES``:
the ``scope`` and ``auth_params`` query parameters of the login URL are
ignored, because the token request must repeat the exact scope string.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider
from django.conf import settings
from django.http import HttpRequest

from accounts.esia.views import EsiaOAuth2Adapter


class EsiaAccount(ProviderAccount):
    def to_str(self) -> str:
        data = self.account.extra_data
        name = " ".join(
            part for part in (data.get("last_name"), data.get("first_name")) if part
        )
        return name or f"ЕСИА {self.account.uid}"


class EsiaProvider(OAuth2Provider):
    id = "esia"
    name = "Госуслуги"
    account_class = EsiaAccount
    oauth2_adapter_class = EsiaOAuth2Adapter

    def get_default_scope(self) -> list[str]:
        return list(settings.ESIA_SCOPES)

    def get_scope(self) -> list[str]:
        return list(settings.ESIA_SCOPES)

    def get_scope_from_request(self, request: HttpRequest) -> list[str]:
        return self.get_scope()

    def get_auth_params_from_request(
        self, request: HttpRequest, action: Any
    ) -> dict[str, str]:
        return {}

    def extract_uid(self, data: dict[str, Any]) -> str:
        return str(data["oid"])

    def extract_common_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        # Only an e-mail that ESIA marks verified pre-fills the sign-up form.
        return {
            "email": data.get("email") or "",
            "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""),
        }

    def extract_email_addresses(self, data: dict[str, Any]) -> list[EmailAddress]:
        # The address typed in the sign-up form becomes the user's address;
        # offering ESIA's as a second one would bypass that form's checks.
        return []


provider_classes = [EsiaProvider]
