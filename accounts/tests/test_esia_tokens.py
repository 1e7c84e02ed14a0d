"""Token checks: algorithms, keys, issuer, audience and times."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.esia.tokens import TokenError, verify_access_token, verify_id_token
from esia_emulator.signing import (
    GOST_2012_256,
    GostTokenKey,
    RsaTokenKey,
    encode_jwt,
    load_or_create_token_key,
)

ISSUER = "http://esia.gosuslugi.ru/"


@pytest.fixture(scope="module")
def esia_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def key_settings(settings: Any, tmp_path: Path, esia_key: rsa.RSAPrivateKey) -> Any:
    public_file = tmp_path / "esia_public.pem"
    public_file.write_bytes(_public_pem(esia_key))
    settings.ESIA_PUBLIC_KEY_FILES = [str(public_file)]
    settings.ESIA_ISSUER = ISSUER
    settings.ESIA_CLIENT_ID = "ESCHOOL"
    settings.ESIA_LEEWAY_SECONDS = 60
    return settings


def _public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _access_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "nbf": now,
        "scope": "openid fullname?oid=1000300001",
        "iss": ISSUER,
        "urn:esia:sbj_id": 1000300001,
        "exp": now + 3600,
        "iat": now,
        "client_id": "ESCHOOL",
    }
    claims.update(overrides)
    return claims


def _id_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "aud": "ESCHOOL",
        "sub": 1000300001,
        "nbf": now,
        "iss": ISSUER,
        "exp": now + 3600,
        "iat": now,
        "urn:esia:sbj": {"urn:esia:sbj:oid": 1000300001},
    }
    claims.update(overrides)
    return claims


def _access(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    header = {"ver": 1, "typ": "JWT", "sbt": "access"}
    return encode_jwt(RsaTokenKey(key), header, _access_claims(**overrides))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_valid_access_token(key_settings: Any, esia_key: rsa.RSAPrivateKey) -> None:
    claims = verify_access_token(_access(esia_key))

    assert claims["urn:esia:sbj_id"] == 1000300001


def test_valid_id_token(key_settings: Any, esia_key: rsa.RSAPrivateKey) -> None:
    token = encode_jwt(
        RsaTokenKey(esia_key), {"ver": 0, "typ": "JWT", "sbt": "id"}, _id_claims()
    )

    assert verify_id_token(token)["sub"] == 1000300001


def test_id_token_for_other_client(
    key_settings: Any, esia_key: rsa.RSAPrivateKey
) -> None:
    token = encode_jwt(RsaTokenKey(esia_key), {"sbt": "id"}, _id_claims(aud="OTHER"))

    with pytest.raises(TokenError, match="id token is invalid"):
        verify_id_token(token)


def test_access_token_for_other_client(
    key_settings: Any, esia_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(TokenError, match="another client_id"):
        verify_access_token(_access(esia_key, client_id="OTHER"))


def test_wrong_issuer(key_settings: Any, esia_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(TokenError):
        verify_access_token(_access(esia_key, iss="http://evil.example/"))


def test_expired_beyond_leeway(key_settings: Any, esia_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(TokenError):
        verify_access_token(_access(esia_key, exp=int(time.time()) - 61))


def test_expired_within_leeway(key_settings: Any, esia_key: rsa.RSAPrivateKey) -> None:
    assert verify_access_token(_access(esia_key, exp=int(time.time()) - 30))


def test_not_yet_valid(key_settings: Any, esia_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(TokenError):
        verify_access_token(_access(esia_key, nbf=int(time.time()) + 600))


def test_issued_in_future(key_settings: Any, esia_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(TokenError, match="future"):
        verify_access_token(_access(esia_key, iat=int(time.time()) + 600))


def test_id_token_as_access_token(
    key_settings: Any, esia_key: rsa.RSAPrivateKey
) -> None:
    token = encode_jwt(RsaTokenKey(esia_key), {"sbt": "id"}, _access_claims())

    with pytest.raises(TokenError, match="type 'access'"):
        verify_access_token(token)


def test_unknown_key(key_settings: Any) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    with pytest.raises(TokenError, match="none of the ESIA public keys"):
        verify_access_token(_access(stranger))


def test_alg_none_rejected(key_settings: Any) -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_access_claims()).encode())

    with pytest.raises(TokenError, match="not allowed"):
        verify_access_token(f"{header}.{payload}.")


def test_hmac_with_public_key_rejected(
    key_settings: Any, esia_key: rsa.RSAPrivateKey
) -> None:
    # The classic confusion attack: HS256 keyed with the public key's PEM.
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_access_claims()).encode())
    mac = hmac.new(
        _public_pem(esia_key), f"{header}.{payload}".encode(), hashlib.sha256
    )

    with pytest.raises(TokenError, match="not allowed"):
        verify_access_token(f"{header}.{payload}.{_b64(mac.digest())}")


def test_not_a_jwt(key_settings: Any) -> None:
    with pytest.raises(TokenError, match="not a JWT"):
        verify_access_token("garbage")


def test_missing_key_file_logged(
    key_settings: Any, esia_key: rsa.RSAPrivateKey, tmp_path: Path, caplog: Any
) -> None:
    key_settings.ESIA_PUBLIC_KEY_FILES = [
        str(tmp_path / "absent.pem"),
        *key_settings.ESIA_PUBLIC_KEY_FILES,
    ]

    assert verify_access_token(_access(esia_key))
    assert "absent.pem" in caplog.text


@pytest.fixture(scope="module")
def gost_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[GostTokenKey, Path]:
    folder = tmp_path_factory.mktemp("esia-gost")
    key = load_or_create_token_key(folder, GOST_2012_256)
    assert isinstance(key, GostTokenKey)
    return key, folder / "esia_gost_cert.pem"


def _gost_access(key: GostTokenKey, **overrides: Any) -> str:
    header = {"ver": 1, "typ": "JWT", "sbt": "access"}
    return encode_jwt(key, header, _access_claims(**overrides))


def test_gost_access_token(
    key_settings: Any, gost_key: tuple[GostTokenKey, Path]
) -> None:
    key, certificate_file = gost_key
    key_settings.ESIA_PUBLIC_KEY_FILES = [
        *key_settings.ESIA_PUBLIC_KEY_FILES,
        str(certificate_file),
    ]

    claims = verify_access_token(_gost_access(key))

    assert claims["urn:esia:sbj_id"] == 1000300001


def test_gost_token_claims_checked(
    key_settings: Any, gost_key: tuple[GostTokenKey, Path]
) -> None:
    key, certificate_file = gost_key
    key_settings.ESIA_PUBLIC_KEY_FILES = [str(certificate_file)]

    with pytest.raises(TokenError, match="invalid"):
        verify_access_token(_gost_access(key, exp=int(time.time()) - 600))


def test_gost_token_tampered(
    key_settings: Any, gost_key: tuple[GostTokenKey, Path]
) -> None:
    key, certificate_file = gost_key
    key_settings.ESIA_PUBLIC_KEY_FILES = [str(certificate_file)]
    header, _, signature = _gost_access(key).split(".")
    forged = _b64(json.dumps(_access_claims(client_id="ESCHOOL", scope="x")).encode())

    with pytest.raises(TokenError, match="none of the ESIA public keys"):
        verify_access_token(f"{header}.{forged}.{signature}")


def test_gost_token_without_gost_key(
    key_settings: Any, gost_key: tuple[GostTokenKey, Path]
) -> None:
    key, _ = gost_key

    with pytest.raises(TokenError, match="GOST3410_2012_256"):
        verify_access_token(_gost_access(key))


def test_gost_signed_token_claiming_rs256(
    key_settings: Any, gost_key: tuple[GostTokenKey, Path]
) -> None:
    key, certificate_file = gost_key
    key_settings.ESIA_PUBLIC_KEY_FILES = [str(certificate_file)]
    token = _gost_access(key)
    _, payload, signature = token.split(".")
    rs256_header = _b64(json.dumps({"sbt": "access", "alg": "RS256"}).encode())

    with pytest.raises(TokenError):
        verify_access_token(f"{rs256_header}.{payload}.{signature}")
