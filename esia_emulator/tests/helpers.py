"""A minimal ESIA client for the emulator's own tests (no Django)."""

from __future__ import annotations

import base64
import datetime
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests

from accounts.esia import gost

CLIENT_ID = "TESTIS"
REDIRECT_URI = "http://127.0.0.1:9/callback"
SCOPE = "openid fullname birthdate gender snils email contacts kid_fullname"

MOTHER: dict[str, Any] = {
    "oid": "1000300001",
    "snils": "112-233-445 95",
    "last_name": "Иванова",
    "first_name": "Мария",
    "middle_name": "Ивановна",
    "birth_date": "01.06.1985",
    "gender": "F",
    "trusted": True,
    "level": "PR",
    "email": "maria@example.ru",
    "email_verified": True,
    "mobile": "+7(900)0000001",
    "role": "guardian",
    "label": "Иванова Мария Ивановна — мама Пети Иванова, 5А",
    "kids": ["1000300002"],
}
SON: dict[str, Any] = {
    "oid": "1000300002",
    "snils": None,
    "last_name": "Иванов",
    "first_name": "Пётр",
    "middle_name": "Сергеевич",
    "birth_date": "15.03.2015",
    "gender": "M",
    "trusted": False,
    "level": "KD",
    "email": None,
    "email_verified": False,
    "mobile": None,
    "role": "student",
    "label": "Иванов Пётр — ученик 5А",
    "kids": [],
}


def timestamp(moment: datetime.datetime | None = None) -> str:
    moment = moment or datetime.datetime.now(datetime.UTC)
    return moment.strftime("%Y.%m.%d %H:%M:%S +0000")


@dataclass
class RegisteredSystem:
    """An information system with its own GOST key, registered in the emulator."""

    base_url: str
    private_key: bytes
    certificate_pem: str

    @property
    def certificate_hash(self) -> str:
        return gost.certificate_hash(gost.load_certificate(self.certificate_pem).der)

    def secret(self, text: str) -> str:
        signature = gost.sign(self.private_key, text.encode("utf-8"))
        return base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")

    def authorization_params(self, **overrides: str) -> dict[str, str]:
        params = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": SCOPE,
            "response_type": "code",
            "state": str(uuid.uuid4()),
            "timestamp": timestamp(),
            "access_type": "online",
            "client_certificate_hash": self.certificate_hash,
        }
        params.update(overrides)
        signed = (
            params["client_id"]
            + params["scope"]
            + params["timestamp"]
            + params["state"]
            + params["redirect_uri"]
        )
        params.setdefault("client_secret", self.secret(signed))
        return params

    def authorize(self, **overrides: str) -> requests.Response:
        params = self.authorization_params(**overrides)
        query = urlencode(params, quote_via=quote)
        return requests.get(
            f"{self.base_url}/aas/oauth2/v2/ac?{query}",
            allow_redirects=False,
            timeout=10,
        )

    def choose(self, page: requests.Response, **form: str) -> requests.Response:
        ticket = page.text.split("name='ticket' value='", 1)[1].split("'", 1)[0]
        return requests.post(
            f"{self.base_url}/aas/oauth2/v2/ac",
            data={"ticket": ticket, **form},
            allow_redirects=False,
            timeout=10,
        )

    def sign_in(self, oid: str) -> dict[str, str]:
        """Go through /ac and return the callback's query parameters."""
        page = self.authorize()
        assert page.status_code == 200, page.text
        answer = self.choose(page, oid=oid)
        assert answer.status_code == 302
        return callback_params(answer)

    def token_form(self, code: str, **overrides: str) -> dict[str, str]:
        form = {
            "client_id": CLIENT_ID,
            "code": code,
            "grant_type": "authorization_code",
            "client_certificate_hash": self.certificate_hash,
            "state": str(uuid.uuid4()),
            "redirect_uri": REDIRECT_URI,
            "scope": SCOPE,
            "timestamp": timestamp(),
            "token_type": "Bearer",
        }
        form.update(overrides)
        signed = "".join(
            form[name]
            for name in ("client_id", "scope", "timestamp", "state", "redirect_uri")
        )
        form.setdefault("client_secret", self.secret(signed + form["code"]))
        return form

    def exchange(self, code: str, **overrides: str) -> requests.Response:
        return requests.post(
            f"{self.base_url}/aas/oauth2/v3/te",
            data=self.token_form(code, **overrides),
            timeout=10,
        )

    def get(self, path: str, token: str) -> requests.Response:
        return requests.get(
            f"{self.base_url}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )


def callback_params(response: requests.Response) -> dict[str, str]:
    location = response.headers["Location"]
    return {
        key: values[0] for key, values in parse_qs(urlsplit(location).query).items()
    }


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    import json

    header_b64, claims_b64, _ = token.split(".")

    def decode(part: str) -> dict[str, Any]:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    return decode(header_b64), decode(claims_b64)
