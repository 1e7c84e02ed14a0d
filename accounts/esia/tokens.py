"""Verification of ESIA's access and id tokens.

ESIA signs tokens with RS256 or GOST3410_2012_256, whichever the portal chose
on ESIA's technology portal. ``settings.ESIA_PUBLIC_KEY_FILES`` lists PEM
files: RSA public keys or certificates, and GOST R 34.10-2012 certificates.
Tokens carry no ``kid``, so every key of the token's algorithm is tried in
turn. Several files let an expiring ESIA key and its successor work side by
side.

Only the algorithms in ``ALLOWED_ALGORITHMS`` are accepted, never ``none`` or
an HMAC one, whatever the token's header claims. python-jose checks RS256
signatures and the claims of every token. It has no GOST support, so GOST
signatures are checked with :mod:`accounts.esia.gost`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from jose import jws, jwt
from jose.exceptions import JOSEError

from accounts.esia import gost
from accounts.esia.errors import EsiaError

logger = logging.getLogger(__name__)

RS256 = "RS256"
GOST_2012_256 = "GOST3410_2012_256"
ALLOWED_ALGORITHMS = [RS256, GOST_2012_256]


class TokenError(EsiaError):
    """A token that is malformed, wrongly signed or has wrong claims."""


@dataclass(frozen=True)
class EsiaPublicKey:
    """One configured ESIA key: its algorithm and its material."""

    algorithm: str
    pem: str
    gost_public_key: bytes = b""


@lru_cache(maxsize=16)
def _read_key(path: str, modified_ns: int) -> EsiaPublicKey:
    pem = Path(path).read_text(encoding="ascii")
    if "BEGIN CERTIFICATE" in pem:
        try:
            certificate = gost.load_certificate(pem)
        except gost.GostError:
            # Not a GOST certificate: python-jose reads RSA certificates.
            return EsiaPublicKey(RS256, pem)
        return EsiaPublicKey(GOST_2012_256, pem, certificate.public_key)
    return EsiaPublicKey(RS256, pem)


def load_public_keys() -> list[EsiaPublicKey]:
    """Read every configured ESIA key; unreadable files are logged and skipped."""
    keys = []
    for path in settings.ESIA_PUBLIC_KEY_FILES:
        try:
            keys.append(_read_key(str(path), Path(path).stat().st_mtime_ns))
        except (OSError, ValueError) as error:
            logger.error("Cannot read the ESIA public key %s: %s", path, error)
    return keys


def _gost_signature_valid(token: str, public_key: bytes) -> bool:
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        signature = base64.urlsafe_b64decode(
            signature_b64 + "=" * (-len(signature_b64) % 4)
        )
    except (ValueError, binascii.Error):
        return False
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    return gost.verify(public_key, signing_input, signature)


def _signature_valid(token: str, key: EsiaPublicKey) -> bool:
    if key.algorithm == GOST_2012_256:
        return _gost_signature_valid(token, key.gost_public_key)
    try:
        jws.verify(token, key.pem, algorithms=[RS256])
    except JOSEError:
        return False
    return True


def _verified_key(token: str) -> EsiaPublicKey:
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError as error:
        raise TokenError("The token is not a JWT.") from error
    algorithm = header.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise TokenError(f"The token algorithm {algorithm!r} is not allowed.")
    for key in load_public_keys():
        if key.algorithm == algorithm and _signature_valid(token, key):
            return key
    raise TokenError(
        f"The token signature matches none of the ESIA public keys for {algorithm}."
    )


def _decode(
    token: str, expected_subject_type: str, audience: str | None
) -> dict[str, Any]:
    key = _verified_key(token)
    header = jwt.get_unverified_header(token)
    if header.get("sbt", expected_subject_type) != expected_subject_type:
        raise TokenError(f"Expected a token of type {expected_subject_type!r}.")

    leeway = settings.ESIA_LEEWAY_SECONDS
    options = {
        "verify_aud": audience is not None,
        # ESIA writes sub as a number, which python-jose rejects. The caller
        # compares it with the access token's subject instead.
        "verify_sub": False,
        "require_exp": True,
        "require_iat": True,
        "leeway": leeway,
        # _verified_key has checked a GOST signature already; python-jose
        # checks the RS256 one again here.
        "verify_signature": key.algorithm == RS256,
    }
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.pem,
            algorithms=[RS256],
            audience=audience,
            issuer=settings.ESIA_ISSUER,
            options=options,
        )
    except JOSEError as error:
        raise TokenError(
            f"The {expected_subject_type} token is invalid: {error}"
        ) from error

    if not isinstance(claims.get("iat"), int) or claims["iat"] > time.time() + leeway:
        raise TokenError(f"The {expected_subject_type} token was issued in the future.")
    return claims


def verify_access_token(token: str) -> dict[str, Any]:
    """Return the claims of a valid access token issued to this portal.

    Access tokens have no ``aud``: ``client_id`` names the portal instead.
    """
    claims = _decode(token, "access", audience=None)
    if claims.get("client_id") != settings.ESIA_CLIENT_ID:
        raise TokenError("The access token was issued to another client_id.")
    if not str(claims.get("urn:esia:sbj_id", "")).isdigit():
        raise TokenError("The access token has no urn:esia:sbj_id.")
    return claims


def verify_id_token(token: str) -> dict[str, Any]:
    """Return the claims of a valid id token whose ``aud`` is this portal."""
    return _decode(token, "id", audience=settings.ESIA_CLIENT_ID)
