"""ESIA sign-in views: django-allauth's OAuth2 login and callback for ESIA."""

from __future__ import annotations

import logging
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialLogin, SocialToken
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2Adapter,
    OAuth2CallbackView,
    OAuth2LoginView,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.esia import client, tokens
from accounts.esia.client import EsiaOAuth2Client
from accounts.esia.matching import (
    Refusal,
    SignInRefused,
    compare_children,
    match_person,
    person_from_esia,
)

logger = logging.getLogger(__name__)

PORTAL_RECORDS_KEY = "portal_records"
REFUSAL_SESSION_KEY = "esia_refusal"


def refusal_response(
    request: HttpRequest, refusal: SignInRefused, oid: str
) -> HttpResponse:
    """Log a refused sign-in and redirect to the page that explains it.

    The redirect takes the one-time code out of the address bar, so reloading
    the explanation does not repeat the failed callback.
    """
    from accounts.services import record_sign_in_failure

    record_sign_in_failure(refusal.reason.value, oid, refusal.detail)
    request.session[REFUSAL_SESSION_KEY] = refusal.reason.value
    return redirect("esia_refused")


def refused(request: HttpRequest) -> HttpResponse:
    """Explain the last refused sign-in of this browser, once."""
    reason = request.session.pop(REFUSAL_SESSION_KEY, None)
    if reason not in Refusal._value2member_map_:
        return redirect("home")
    return render(request, f"accounts/esia_{reason}.html", status=403)


class EsiaOAuth2Adapter(OAuth2Adapter):
    provider_id = "esia"
    client_class = EsiaOAuth2Client
    supports_state = True

    @property
    def authorize_url(self) -> str:  # type: ignore[override]
        return client.esia_url(client.AUTHORIZE_PATH)

    @property
    def access_token_url(self) -> str:  # type: ignore[override]
        return client.esia_url(client.TOKEN_PATH)

    def parse_token(self, data: dict[str, Any]) -> SocialToken:
        # Tokens are used once, during the callback, and never stored.
        return SocialToken(token=data["access_token"])

    def complete_login(
        self, request: HttpRequest, app: Any, token: SocialToken, **kwargs: Any
    ) -> SocialLogin:
        """Verify the tokens, read the person from ESIA and match the SNILS.

        A refused match ends the flow here with an explanation page.
        """
        response = kwargs["response"]
        access_claims = tokens.verify_access_token(response["access_token"])
        id_claims = tokens.verify_id_token(response["id_token"])
        oid = str(access_claims["urn:esia:sbj_id"])
        if str(id_claims.get("sub")) != oid:
            raise tokens.TokenError(
                "The id token and the access token name different users."
            )

        body = client.fetch_person(token.token, oid)
        contacts = client.fetch_contacts(token.token, oid)
        person = person_from_esia(oid, id_claims, body, contacts)
        try:
            records = match_person(person, timezone.localdate())
        except SignInRefused as refusal:
            raise ImmediateHttpResponse(
                refusal_response(request, refusal, oid)
            ) from refusal

        if "guardian" in records.records:
            children = client.fetch_children(token.token, oid)
            if children is not None:
                compare_children(oid, records.records["guardian"], children)

        extra_data = person.public_data()
        extra_data[PORTAL_RECORDS_KEY] = records.ids()
        logger.info("ESIA oid %s matched %s", oid, sorted(records.records))
        return self.get_provider().sociallogin_from_response(request, extra_data)


oauth2_login = OAuth2LoginView.adapter_view(EsiaOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(EsiaOAuth2Adapter)
