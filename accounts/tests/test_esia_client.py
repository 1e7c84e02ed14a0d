"""The authorization URL and the token request the portal sends to ESIA."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import RequestFactory

from accounts.esia import dev, gost
from accounts.esia.client import EsiaOAuth2Client, esia_timestamp, logout_url
from accounts.esia.errors import EsiaError
from accounts.esia.signers import clear_signer_cache

CALLBACK = "http://testserver/accounts/esia/login/callback/"


@pytest.fixture
def signer_settings(settings: Any, tmp_path: Path) -> Any:
    key_file, cert_file = dev.ensure_dev_credentials(
        tmp_path / "key.pem", tmp_path / "cert.pem", "ESCHOOL"
    )
    settings.ESIA_PORTAL_KEY_FILE = str(key_file)
    settings.ESIA_PORTAL_CERT_FILE = str(cert_file)
    settings.ESIA_BASE_URL = "http://127.0.0.1:9"
    settings.ESIA_SCOPES = ["openid", "fullname", "snils"]
    clear_signer_cache()
    yield settings
    clear_signer_cache()


def _client() -> EsiaOAuth2Client:
    request = RequestFactory().get("/")
    return EsiaOAuth2Client(
        request, "ESCHOOL", "", "POST", "http://127.0.0.1:9/aas/oauth2/v3/te", CALLBACK
    )


def _verify(settings: Any, text: str, secret: str) -> bool:
    certificate = gost.load_certificate(
        Path(settings.ESIA_PORTAL_CERT_FILE).read_text()
    )
    signature = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    return gost.verify(certificate.public_key, text.encode(), signature)


def test_timestamp_format() -> None:
    assert re.fullmatch(
        r"\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2} \+0000", esia_timestamp()
    )


def test_authorization_url_has_every_parameter(signer_settings: Any) -> None:
    client = _client()
    client.state = str(uuid.uuid4())

    url = client.get_redirect_url(
        "http://127.0.0.1:9/aas/oauth2/v2/ac", ["ignored"], {}
    )

    parts = urlsplit(url)
    assert parts.path == "/aas/oauth2/v2/ac"
    assert "+0000" not in parts.query  # the plus sign must be percent-encoded
    params = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert params["client_id"] == "ESCHOOL"
    assert params["redirect_uri"] == CALLBACK
    assert params["scope"] == "openid fullname snils"
    assert params["response_type"] == "code"
    assert params["state"] == client.state
    assert params["access_type"] == "online"
    assert re.fullmatch(r"[0-9A-F]{64}", params["client_certificate_hash"])
    signed = "ESCHOOL" + params["scope"] + params["timestamp"] + client.state + CALLBACK
    assert _verify(signer_settings, signed, params["client_secret"])


class _FakeResponse:
    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self._body = body

    def json(self) -> Any:
        if isinstance(self._body, Exception):
            raise self._body
        return self._body


def _fake_post(answer: Any, sent: dict[str, Any]) -> Any:
    def post(url: str, data: dict[str, str], timeout: float) -> _FakeResponse:
        sent.update(data)
        body = answer(data) if callable(answer) else answer
        return _FakeResponse(200 if "access_token" in body else 400, body)

    return post


def test_token_request_fields_and_secret(
    signer_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: dict[str, Any] = {}
    answer = lambda data: {  # noqa: E731
        "state": data["state"],
        "access_token": "a",
        "id_token": "i",
    }
    monkeypatch.setattr("accounts.esia.client.requests.post", _fake_post(answer, sent))

    body = _client().get_access_token("the-code")

    assert body["access_token"] == "a"
    assert sent["grant_type"] == "authorization_code"
    assert sent["token_type"] == "Bearer"
    assert sent["redirect_uri"] == CALLBACK
    uuid.UUID(sent["state"], version=4)
    signed = "".join(
        sent[name]
        for name in ("client_id", "scope", "timestamp", "state", "redirect_uri")
    )
    assert _verify(signer_settings, signed + "the-code", sent["client_secret"])


def test_token_response_with_other_state(
    signer_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = {"state": str(uuid.uuid4()), "access_token": "a", "id_token": "i"}
    monkeypatch.setattr("accounts.esia.client.requests.post", _fake_post(answer, {}))

    with pytest.raises(EsiaError, match="state differs"):
        _client().get_access_token("the-code")


def test_token_error_response(
    signer_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = {"error": "invalid_grant", "error_description": "ESIA-007011: expired"}
    monkeypatch.setattr("accounts.esia.client.requests.post", _fake_post(answer, {}))

    with pytest.raises(EsiaError, match="ESIA-007011"):
        _client().get_access_token("the-code")


def test_logout_url(settings: Any) -> None:
    settings.ESIA_BASE_URL = "http://127.0.0.1:9/"
    settings.ESIA_CLIENT_ID = "ESCHOOL"

    url = logout_url("http://portal.example/")

    assert url == (
        "http://127.0.0.1:9/idp/ext/Logout?client_id=ESCHOOL"
        "&redirect_url=http%3A%2F%2Fportal.example%2F"
    )
