"""HTTP calls to ESIA: the v2 authorization URL, the v3 token exchange and
the person data REST API (``/rs/prns``)."""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import requests
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from accounts.esia.errors import EsiaError, esia_code_in
from accounts.esia.signers import Signer, SigningError, get_signer

logger = logging.getLogger(__name__)

AUTHORIZE_PATH = "/aas/oauth2/v2/ac"
TOKEN_PATH = "/aas/oauth2/v3/te"  # noqa: S105
PERSON_PATH = "/rs/prns/{oid}"
CONTACTS_PATH = "/rs/prns/{oid}/ctts"
KIDS_PATH = "/rs/prns/{oid}/kids"
LOGOUT_PATH = "/idp/ext/Logout"


def esia_url(path: str) -> str:
    return settings.ESIA_BASE_URL.rstrip("/") + path


def esia_timestamp(moment: datetime.datetime | None = None) -> str:
    """Format a time as ESIA wants it: ``2025.09.02 13:00:29 +0000``."""
    moment = moment or datetime.datetime.now(datetime.UTC)
    return moment.astimezone(datetime.UTC).strftime("%Y.%m.%d %H:%M:%S +0000")


def scope_text() -> str:
    """Return the space-joined scopes; /ac and /te must send the same string."""
    return " ".join(settings.ESIA_SCOPES)


def _signer_or_error(error_class: type[Exception]) -> Signer:
    """Return the signer, turning a configuration error into a sign-in error.

    allauth shows its authentication error page for ``OAuth2Error`` (while
    redirecting to ESIA) and for ``EsiaError`` (in the callback), so the user
    sees a Russian explanation instead of a server error.
    """
    try:
        return get_signer()
    except ImproperlyConfigured as error:
        logger.error("ESIA signer is not configured: %s", error)
        raise error_class("The ESIA signer is not configured.") from error


def _sign_or_error(signer: Signer, text: str, error_class: type[Exception]) -> str:
    """Sign ``text``, turning a failed signature into a sign-in error."""
    try:
        return signer.sign(text)
    except SigningError as error:
        raise error_class(f"The client_secret could not be signed: {error}") from error


class EsiaOAuth2Client(OAuth2Client):
    """OAuth2 client for ESIA's v2 ``/ac`` and v3 ``/te`` endpoints.

    Both requests carry ``client_secret``, a signature of the concatenated
    parameters, and ``client_certificate_hash``, made by the configured signer.
    """

    def get_redirect_url(
        self, authorization_url: str, scope: list[str], extra_params: dict[str, str]
    ) -> str:
        if not self.state:
            raise OAuth2Error("The authorization request has no state.")
        signer = _signer_or_error(OAuth2Error)
        scope_value = scope_text()
        timestamp = esia_timestamp()
        signed = (
            self.consumer_key + scope_value + timestamp + self.state + self.callback_url
        )
        params = {
            "client_id": self.consumer_key,
            "client_secret": _sign_or_error(signer, signed, OAuth2Error),
            "client_certificate_hash": signer.certificate_hash(),
            "redirect_uri": self.callback_url,
            "scope": scope_value,
            "response_type": "code",
            "state": self.state,
            "timestamp": timestamp,
            "access_type": "online",
        }
        return f"{authorization_url}?{urlencode(params, quote_via=quote)}"

    def get_access_token(
        self,
        code: str,
        pkce_code_verifier: str | None = None,
        extra_data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        signer = _signer_or_error(EsiaError)
        scope_value = scope_text()
        timestamp = esia_timestamp()

        # A fresh state for the token request. ESIA returns it in the response.
        state = str(uuid.uuid4())
        signed = (
            self.consumer_key
            + scope_value
            + timestamp
            + state
            + self.callback_url
            + code
        )
        data = {
            "client_id": self.consumer_key,
            "code": code,
            "grant_type": "authorization_code",
            "client_secret": _sign_or_error(signer, signed, EsiaError),
            "client_certificate_hash": signer.certificate_hash(),
            "state": state,
            "redirect_uri": self.callback_url,
            "scope": scope_value,
            "timestamp": timestamp,
            "token_type": "Bearer",
        }

        response = requests.post(
            self.access_token_url, data=data, timeout=settings.ESIA_TIMEOUT_SECONDS
        )
        try:
            body = response.json()
        except ValueError as error:
            raise EsiaError(
                f"The token endpoint returned HTTP {response.status_code}, not JSON."
            ) from error
        if response.status_code != 200 or not isinstance(body, dict):
            description = (
                body.get("error_description") if isinstance(body, dict) else ""
            )
            status = response.status_code
            raise EsiaError(
                f"Token request failed with HTTP {status}: {description}",
                esia_code=esia_code_in(description),
            )

        if body.get("state") != state:
            raise EsiaError("The token response state differs from the request state.")
        for field in ("access_token", "id_token"):
            if not isinstance(body.get(field), str):
                raise EsiaError(f"The token response has no {field}.")
        return body


def _get_json(url: str, access_token: str, params: dict[str, str] | None = None) -> Any:
    response = requests.get(
        url,
        params=params,
        headers={
            "Authorization": f"Bearer {access_token}",
            "Accept": "application/json",
        },
        timeout=settings.ESIA_TIMEOUT_SECONDS,
    )
    if response.status_code != 200:
        try:
            code = esia_code_in(response.json().get("code"))
        except (ValueError, AttributeError):
            code = ""
        path = url.split("/rs/", 1)[-1]
        raise EsiaError(
            f"GET /rs/{path} returned HTTP {response.status_code} {code}".rstrip(),
            esia_code=code,
            forbidden=response.status_code == 403,
        )
    try:
        return response.json()
    except ValueError as error:
        raise EsiaError(f"GET {url} did not return JSON.") from error


def fetch_person(access_token: str, oid: str) -> dict[str, Any]:
    """Return ``/rs/prns/{oid}``: names, birthDate, snils, trusted and more."""
    body = _get_json(esia_url(PERSON_PATH.format(oid=oid)), access_token)
    if not isinstance(body, dict):
        raise EsiaError("The person data is not a JSON object.")
    return body


def fetch_contacts(access_token: str, oid: str) -> list[dict[str, Any]]:
    """Return the contacts (``EML``, ``MBT``...), or [] when ESIA refuses them.

    Contacts only pre-fill the e-mail field, so an error here is logged and
    does not stop the sign-in.
    """
    try:
        body = _get_json(
            esia_url(CONTACTS_PATH.format(oid=oid)),
            access_token,
            params={"embed": "(elements)"},
        )
    except (EsiaError, requests.RequestException) as error:
        logger.warning("ESIA contacts of oid %s are unavailable: %s", oid, error)
        return []
    elements = body.get("elements", []) if isinstance(body, dict) else []
    return [element for element in elements if isinstance(element, dict)]


def fetch_children(access_token: str, oid: str) -> list[dict[str, Any]] | None:
    """Return the children ESIA lists for a parent, or None when ESIA refuses.

    The list only cross-checks the school's guardian links, so an error is
    logged and does not stop the sign-in.
    """
    try:
        body = _get_json(
            esia_url(KIDS_PATH.format(oid=oid)),
            access_token,
            params={"embed": "(elements)"},
        )
    except (EsiaError, requests.RequestException) as error:
        logger.warning("ESIA children of oid %s are unavailable: %s", oid, error)
        return None
    elements = body.get("elements", []) if isinstance(body, dict) else []
    return [element for element in elements if isinstance(element, dict)]


def logout_url(redirect_url: str) -> str:
    """Build the ESIA sign-out address that returns the browser to ``redirect_url``."""
    params = {"client_id": settings.ESIA_CLIENT_ID, "redirect_url": redirect_url}
    return f"{esia_url(LOGOUT_PATH)}?{urlencode(params, quote_via=quote)}"
