"""Checks of ``/ac`` and ``/te`` parameters, with ESIA's error codes."""

from __future__ import annotations

import base64
import binascii
import datetime
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from accounts.esia import gost
from esia_emulator.clients import Client

# Scopes the emulator supports. A request for any other scope is rejected.
KNOWN_SCOPES = frozenset(
    {
        "openid",
        "fullname",
        "birthdate",
        "gender",
        "snils",
        "inn",
        "id_doc",
        "birthplace",
        "email",
        "mobile",
        "contacts",
        "addresses",
        "kid_fullname",
        "kid_birthdate",
        "kid_gender",
        "kid_snils",
        "kid_inn",
    }
)
TIMESTAMP_PATTERN = re.compile(r"^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
TIMESTAMP_WINDOW_SECONDS = 300


@dataclass(frozen=True)
class ProtocolError(Exception):
    """An ESIA error: the OAuth ``error`` and the ``ESIA-0070xx`` description."""

    error: str
    code: str
    message: str

    @property
    def description(self) -> str:
        return f"{self.code}: {self.message}"


def missing(name: str) -> ProtocolError:
    return ProtocolError(
        "invalid_request",
        "ESIA-007014",
        f"Запрос не содержит обязательного параметра [{name}]",
    )


def malformed(name: str) -> ProtocolError:
    return ProtocolError(
        "invalid_request", "ESIA-007014", f"Неверный формат параметра [{name}]"
    )


class Params(dict[str, str]):
    """Request parameters with the first value of each name.

    ``duplicated`` lists the names sent more than once, which ESIA rejects.
    """

    duplicated: frozenset[str] = frozenset()


def parse_params(raw: str) -> Params:
    """Parse a query string or a form-encoded body."""
    pairs = parse_qs(raw)
    params = Params({name: values[0] for name, values in pairs.items()})
    params.duplicated = frozenset(
        name for name, values in pairs.items() if len(values) > 1
    )
    return params


def require(params: Mapping[str, str], name: str) -> str:
    """Return a required parameter or raise ESIA-007014 naming it."""
    if name in getattr(params, "duplicated", frozenset()):
        raise ProtocolError(
            "invalid_request",
            "ESIA-007014",
            f"Параметр [{name}] передан несколько раз",
        )
    value = params.get(name, "")
    if not value:
        raise missing(name)
    return value


def is_uuid4(value: str) -> bool:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == value.lower() and len(value) == 36


def parse_timestamp(value: str) -> datetime.datetime:
    if not TIMESTAMP_PATTERN.match(value):
        raise malformed("timestamp")
    try:
        return datetime.datetime.strptime(value, "%Y.%m.%d %H:%M:%S %z")
    except ValueError as error:
        raise malformed("timestamp") from error


def check_timestamp(value: str, now: datetime.datetime) -> None:
    moment = parse_timestamp(value)
    if abs((now - moment).total_seconds()) > TIMESTAMP_WINDOW_SECONDS:
        raise ProtocolError("invalid_request", "ESIA-007015", "Неверное время запроса")


def check_scopes(value: str) -> list[str]:
    scopes = value.split(" ")
    if "openid" not in scopes:
        raise ProtocolError(
            "invalid_scope",
            "ESIA-007006",
            "Запрошенная область доступа не содержит openid",
        )
    unknown = [scope for scope in scopes if scope not in KNOWN_SCOPES]
    if unknown:
        raise ProtocolError(
            "invalid_scope",
            "ESIA-007006",
            f"Запрошена неизвестная область доступа [{' '.join(unknown)}]",
        )
    return scopes


def check_client_signature(
    client: Client,
    certificate_hash: str,
    client_secret: str,
    signed_text: str,
    now: datetime.datetime,
) -> None:
    """Check ``client_certificate_hash`` and the raw GOST ``client_secret``."""
    try:
        certificate = gost.load_certificate(client.certificate_pem)
    except gost.GostError as error:
        raise ProtocolError(
            "unauthorized_client",
            "ESIA-007002",
            "Сертификат системы не зарегистрирован",
        ) from error
    if certificate_hash != gost.certificate_hash(certificate.der):
        raise ProtocolError(
            "unauthorized_client",
            "ESIA-007002",
            "Сертификат не соответствует мнемонике информационной системы",
        )
    if not certificate.is_valid_at(now):
        raise ProtocolError(
            "unauthorized_client", "ESIA-007053", "Сертификат системы недействителен"
        )
    try:
        signature = base64.urlsafe_b64decode(
            client_secret + "=" * (-len(client_secret) % 4)
        )
    except (binascii.Error, ValueError) as error:
        raise malformed("client_secret") from error
    if not gost.verify(certificate.public_key, signed_text.encode("utf-8"), signature):
        raise ProtocolError(
            "unauthorized_client",
            "ESIA-007053",
            "Подпись запроса не соответствует сертификату системы",
        )
