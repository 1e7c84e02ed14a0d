"""The JWTs the emulator issues, shaped like ESIA's: codes, access and id tokens.

The signing key comes from :mod:`esia_emulator.signing`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from esia_emulator.people import Person
from esia_emulator.signing import TokenKey, decode_own_jwt, encode_jwt

logger = logging.getLogger(__name__)

DEFAULT_ISSUER = "http://esia.gosuslugi.ru/"
CODE_LIFETIME_SECONDS = 240
ACCESS_LIFETIME_SECONDS = 3600
ID_LIFETIME_SECONDS = 3 * 3600


def subject_claim(person: Person) -> dict[str, Any]:
    """Build ``urn:esia:sbj``; ``is_tru`` is present only for confirmed accounts."""
    subject: dict[str, Any] = {
        "urn:esia:sbj:typ": "P",
        "urn:esia:sbj:oid": int(person.oid),
        "urn:esia:sbj:nam": f"OID.{person.oid}",
        "urn:esia:sbj:lvl": person.level,
    }
    if person.trusted:
        subject["urn:esia:sbj:is_tru"] = True
    return subject


def scope_with_oid(scopes: list[str], oid: str) -> str:
    """Write granted scopes as ESIA does: ``fullname?oid=1000300001 openid``."""
    return " ".join(
        scope if scope == "openid" else f"{scope}?oid={oid}" for scope in scopes
    )


@dataclass
class AuthorizationCode:
    """A code issued by ``/ac``, kept until it is exchanged or expires."""

    client_id: str
    redirect_uri: str
    scopes: list[str]
    oid: str
    session_id: str
    expires_at: float
    used: bool = False


class TokenIssuer:
    """Issues codes and tokens and remembers the codes until they are used."""

    def __init__(self, key: TokenKey, issuer: str = DEFAULT_ISSUER) -> None:
        self.key = key
        self.issuer = issuer
        # Seconds a code stays valid; tests shorten it to exchange a code late.
        self.code_lifetime_seconds = CODE_LIFETIME_SECONDS
        self._retired_keys: list[TokenKey] = []
        self._codes: dict[str, AuthorizationCode] = {}
        self._lock = threading.Lock()

    def rotate_key(self, key: TokenKey) -> None:
        """Sign new codes and tokens with ``key`` and keep reading the old ones."""
        with self._lock:
            self._retired_keys.append(self.key)
            self.key = key

    def _read(self, token: str) -> dict[str, Any] | None:
        for key in (self.key, *self._retired_keys):
            claims = decode_own_jwt(key, token)
            if claims is not None:
                return claims
        return None

    def issue_code(
        self, person: Person, client_id: str, redirect_uri: str, scopes: list[str]
    ) -> str:
        now = int(time.time())
        lifetime = self.code_lifetime_seconds
        session_id = str(uuid.uuid4())
        claims = {
            "nbf": now,
            "scope": scope_with_oid(scopes, person.oid),
            "auth_time": now,
            "iss": self.issuer,
            "urn:esia:sid": session_id,
            "urn:esia:sbj": subject_claim(person),
            "exp": now + lifetime,
            "iat": now,
            "client_id": client_id,
            # ESIA codes carry no unique id, but two codes issued in the same
            # second for the same person must differ.
            "jti": str(uuid.uuid4()),
        }
        header = {"ver": 1, "typ": "JWT", "sbt": "authorization_code"}
        code = encode_jwt(self.key, header, claims)
        with self._lock:
            self._drop_expired(now)
            self._codes[code] = AuthorizationCode(
                client_id=client_id,
                redirect_uri=redirect_uri,
                scopes=scopes,
                oid=person.oid,
                session_id=session_id,
                expires_at=now + lifetime,
            )
        return code

    def redeem_code(self, code: str) -> AuthorizationCode | None:
        """Mark a code used and return it; None when unknown, used or expired."""
        if self._read(code) is None:
            return None
        with self._lock:
            record = self._codes.get(code)
            # A code is spent when its lifetime is over: one of 0 s never works.
            if record is None or record.used or record.expires_at <= time.time():
                return None
            record.used = True
            return record

    def issue_tokens(self, person: Person, record: AuthorizationCode) -> dict[str, str]:
        now = int(time.time())
        access_claims = {
            "nbf": now,
            "scope": scope_with_oid(record.scopes, person.oid),
            "iss": self.issuer,
            "urn:esia:sid": record.session_id,
            "urn:esia:sbj_id": int(person.oid),
            "exp": now + ACCESS_LIFETIME_SECONDS,
            "iat": now,
            "client_id": record.client_id,
        }
        id_claims = {
            "aud": record.client_id,
            "sub": int(person.oid),
            "nbf": now,
            "amr": "PWD",
            "urn:esia:amd": "PWD",
            "auth_time": now,
            "iss": self.issuer,
            "urn:esia:sid": record.session_id,
            "urn:esia:sbj": subject_claim(person),
            "exp": now + ID_LIFETIME_SECONDS,
            "iat": now,
        }
        # ESIA writes ver 1 in access tokens and codes, and ver 0 in id tokens.
        access_header = {"ver": 1, "typ": "JWT", "sbt": "access"}
        id_header = {"ver": 0, "typ": "JWT", "sbt": "id"}
        return {
            "access_token": encode_jwt(self.key, access_header, access_claims),
            "id_token": encode_jwt(self.key, id_header, id_claims),
            "refresh_token": str(uuid.uuid4()),
        }

    def read_access_token(self, token: str) -> dict[str, Any] | None:
        """Return the claims of a valid, unexpired access token, or None."""
        claims = self._read(token)
        if claims is None or "urn:esia:sbj_id" not in claims:
            return None
        if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            return None
        return claims

    def _drop_expired(self, now: float) -> None:
        expired = [code for code, item in self._codes.items() if item.expires_at < now]
        for code in expired:
            del self._codes[code]
