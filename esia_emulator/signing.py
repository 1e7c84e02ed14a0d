"""The emulator's token signing keys and its JWS encoding.

ESIA signs tokens with RS256 or with GOST3410_2012_256, as each information
system chooses on the technology portal. The emulator generates its key on
first start:

- RS256: ``DATA_DIR/esia_key.pem``, public half in ``DATA_DIR/esia_public.pem``;
- GOST3410_2012_256: ``DATA_DIR/esia_gost_key.pem`` and a self-signed
  certificate ``DATA_DIR/esia_gost_cert.pem``.

The public file is what the portal's ``ESIA_PUBLIC_KEY_FILES`` points at.
Tokens carry no ``kid``, because ESIA sends none.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from accounts.esia import gost

logger = logging.getLogger(__name__)

RS256 = "RS256"
GOST_2012_256 = "GOST3410_2012_256"
ALGORITHMS = (RS256, GOST_2012_256)
PRIVATE_KEY_FILE_NAMES = {RS256: "esia_key.pem", GOST_2012_256: "esia_gost_key.pem"}
PUBLIC_KEY_FILE_NAMES = {RS256: "esia_public.pem", GOST_2012_256: "esia_gost_cert.pem"}
GOST_CERTIFICATE_LIFETIME = datetime.timedelta(days=3 * 365)


class TokenKey(Protocol):
    """A private key that signs and checks the emulator's tokens."""

    @property
    def algorithm(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...

    def verify(self, data: bytes, signature: bytes) -> bool: ...


@dataclass(frozen=True)
class RsaTokenKey:
    private_key: rsa.RSAPrivateKey
    algorithm: str = RS256

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def verify(self, data: bytes, signature: bytes) -> bool:
        try:
            self.private_key.public_key().verify(
                signature, data, padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class GostTokenKey:
    """GOST R 34.10-2012 256-bit key; signatures are ``s || r`` as ESIA's."""

    private_key: bytes
    algorithm: str = GOST_2012_256

    def sign(self, data: bytes) -> bytes:
        return gost.sign(self.private_key, data)

    def verify(self, data: bytes, signature: bytes) -> bool:
        return gost.verify(gost.public_key_of(self.private_key), data, signature)


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    logger.info("Generated the token signing key %s", path)


def _load_or_create_rsa(private_path: Path, public_path: Path) -> RsaTokenKey:
    if private_path.exists():
        loaded = serialization.load_pem_private_key(private_path.read_bytes(), None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{private_path} does not contain an RSA private key.")
        key = loaded
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(private_path, pem)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if not public_path.exists() or public_path.read_bytes() != public_pem:
        public_path.write_bytes(public_pem)
    return RsaTokenKey(key)


def _load_or_create_gost(private_path: Path, certificate_path: Path) -> GostTokenKey:
    if private_path.exists():
        private_key = gost.private_key_from_pem(
            private_path.read_text(encoding="ascii")
        )
    else:
        private_key = gost.generate_private_key()
        _write_private(private_path, gost.private_key_to_pem(private_key).encode())
    if certificate_path.exists():
        certificate = gost.load_certificate(
            certificate_path.read_text(encoding="ascii")
        )
        if certificate.public_key == gost.public_key_of(private_key):
            return GostTokenKey(private_key)
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    der = gost.build_self_signed_certificate(
        private_key,
        common_name="ESIA emulator",
        organization="Эмулятор ЕСИА",
        not_before=now - datetime.timedelta(days=1),
        not_after=now + GOST_CERTIFICATE_LIFETIME,
    )
    certificate_path.write_text(gost.certificate_to_pem(der), encoding="ascii")
    return GostTokenKey(private_key)


def load_or_create_token_key(data_dir: Path, algorithm: str = RS256) -> TokenKey:
    """Read the signing key for ``algorithm``, generating it when missing."""
    if algorithm not in ALGORITHMS:
        raise ValueError(
            f"Token algorithm must be one of {ALGORITHMS}, got {algorithm!r}."
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    private_path = data_dir / PRIVATE_KEY_FILE_NAMES[algorithm]
    public_path = data_dir / PUBLIC_KEY_FILE_NAMES[algorithm]
    if algorithm == RS256:
        return _load_or_create_rsa(private_path, public_path)
    return _load_or_create_gost(private_path, public_path)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_jwt(key: TokenKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """Sign ``claims``. ``header`` keeps its key order, as ESIA's does."""
    header = {**header, "alg": key.algorithm}
    signing_input = ".".join(
        b64url(json.dumps(part, ensure_ascii=False).encode("utf-8"))
        for part in (header, claims)
    )
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def decode_own_jwt(key: TokenKey, token: str) -> dict[str, Any] | None:
    """Return the claims of a token signed with ``key``, or None."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        signed = key.verify(
            f"{header_b64}.{claims_b64}".encode("ascii"), b64url_decode(signature_b64)
        )
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
    except (ValueError, UnicodeError):
        return None
    if not signed or header.get("alg") != key.algorithm:
        return None
    return claims if isinstance(claims, dict) else None
