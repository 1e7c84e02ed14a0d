"""GOST primitives and the client_secret signer."""

from __future__ import annotations

import base64
import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.esia import dev, gost
from accounts.esia.signers import GostSigner, clear_signer_cache, get_signer

# GOST R 34.11-2012, appendix A, example 1: a 63-byte ASCII message.
MESSAGE_1 = b"012345678901234567890123456789012345678901234567890123456789012"
# Example 2: a 72-byte message in windows-1251.
MESSAGE_2 = "Се ветри, Стрибожи внуци, веютъ с моря стрелами на храбрыя плъкы Игоревы"


def test_streebog256_standard_example_1() -> None:
    digest = gost.streebog256(MESSAGE_1)

    # The standard prints vectors most significant byte first, that is, in
    # the reverse of the output byte order.
    assert digest[::-1].hex() == (
        "00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"
    )


def test_streebog256_standard_example_2() -> None:
    digest = gost.streebog256(MESSAGE_2.encode("cp1251"))

    assert digest[::-1].hex() == (
        "508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"
    )


def test_certificate_hash_is_uppercase_streebog_of_der() -> None:
    value = gost.certificate_hash(MESSAGE_1)

    assert value == gost.streebog256(MESSAGE_1).hex().upper()
    assert len(value) == 64


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("gost")
    return dev.ensure_dev_credentials(
        folder / "key.pem", folder / "cert.pem", "ESCHOOL"
    )


def test_sign_then_verify(credentials: tuple[Path, Path]) -> None:
    key_file, cert_file = credentials
    signer = GostSigner(key_file, cert_file)
    certificate = gost.load_certificate(cert_file.read_text())
    text = "ESCHOOLopenid fullname2026.12.04 13:00:29 +0000state-uuidhttp://x/"

    secret = signer.sign(text)

    assert "=" not in secret
    signature = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    assert len(signature) == 64
    assert gost.verify(certificate.public_key, text.encode(), signature)
    assert not gost.verify(certificate.public_key, (text + "x").encode(), signature)


def test_tampered_signature_fails(credentials: tuple[Path, Path]) -> None:
    key_file, cert_file = credentials
    certificate = gost.load_certificate(cert_file.read_text())
    private_key = gost.private_key_from_pem(key_file.read_text())
    signature = bytearray(gost.sign(private_key, b"message"))
    signature[10] ^= 0x01

    assert not gost.verify(certificate.public_key, b"message", bytes(signature))


def test_signature_is_s_then_r() -> None:
    private_key = gost.generate_private_key()
    public_key = gost.public_key_of(private_key)
    signature = gost.sign(private_key, b"order")
    swapped = signature[32:] + signature[:32]

    assert gost.verify(public_key, b"order", signature)
    assert not gost.verify(public_key, b"order", swapped)


def test_signer_certificate_hash(credentials: tuple[Path, Path]) -> None:
    key_file, cert_file = credentials
    der = gost.pem_to_der(cert_file.read_text(), "CERTIFICATE")

    assert GostSigner(key_file, cert_file).certificate_hash() == (
        gost.streebog256(der).hex().upper()
    )


def test_dev_certificate_is_self_signed_gost(credentials: tuple[Path, Path]) -> None:
    key_file, cert_file = credentials
    certificate = gost.load_certificate(cert_file.read_text())
    private_key = gost.private_key_from_pem(key_file.read_text())
    now = datetime.datetime.now(datetime.UTC)

    assert certificate.verifies_itself()
    assert certificate.public_key == gost.public_key_of(private_key)
    assert certificate.is_valid_at(now)
    assert not certificate.is_valid_at(now + datetime.timedelta(days=4 * 365))
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_dev_credentials_kept_on_second_call(credentials: tuple[Path, Path]) -> None:
    key_file, cert_file = credentials
    before = cert_file.read_bytes()

    dev.ensure_dev_credentials(key_file, cert_file, "ESCHOOL")

    assert cert_file.read_bytes() == before


def test_signer_rejects_foreign_certificate(
    credentials: tuple[Path, Path], tmp_path: Path
) -> None:
    _, cert_file = credentials
    other_key, _ = dev.ensure_dev_credentials(
        tmp_path / "other_key.pem", tmp_path / "other_cert.pem", "OTHER"
    )

    with pytest.raises(ImproperlyConfigured, match="does not belong"):
        GostSigner(other_key, cert_file)


def test_signer_reports_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="esia_dev_setup"):
        GostSigner(tmp_path / "absent_key.pem", tmp_path / "absent_cert.pem")


def test_get_signer_uses_settings(
    credentials: tuple[Path, Path], settings: object
) -> None:
    key_file, cert_file = credentials
    settings.ESIA_PORTAL_KEY_FILE = str(key_file)  # type: ignore[attr-defined]
    settings.ESIA_PORTAL_CERT_FILE = str(cert_file)  # type: ignore[attr-defined]
    clear_signer_cache()

    signer = get_signer()

    assert isinstance(signer, GostSigner)
    assert get_signer() is signer
    clear_signer_cache()


def test_private_key_pem_round_trip() -> None:
    private_key = gost.generate_private_key()

    pem = gost.private_key_to_pem(private_key)

    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert gost.private_key_from_pem(pem) == private_key


def test_garbage_certificate_rejected() -> None:
    pem = gost.certificate_to_pem(b"\x30\x03\x02\x01\x01")

    with pytest.raises(gost.GostError):
        gost.load_certificate(pem)


# GOST R 34.10-2012, appendix A.1: the 256-bit example, with the standard's
# test curve (not a curve used in practice) and every intermediate value.
EXAMPLE_CURVE = {
    "p": 0x8000000000000000000000000000000000000000000000000000000000000431,
    "a": 0x7,
    "b": 0x5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E,
    "m": 0x8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3,
    "q": 0x8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3,
    "x": 0x2,
    "y": 0x8E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8,
}
EXAMPLE_D = 0x7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28
EXAMPLE_QX = 0x7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B
EXAMPLE_QY = 0x26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA
EXAMPLE_E = 0x2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5
EXAMPLE_K = 0x77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3
EXAMPLE_R = 0x41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493
EXAMPLE_S = 0x01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40


def _number(value: int) -> bytes:
    return value.to_bytes(gost.KEY_SIZE, "big")


def test_standard_example_public_key() -> None:
    public_key = gost.public_key_of(_number(EXAMPLE_D), curve=EXAMPLE_CURVE)

    assert public_key == _number(EXAMPLE_QX) + _number(EXAMPLE_QY)


def test_standard_example_signature() -> None:
    signature = gost.sign_digest(
        _number(EXAMPLE_D),
        _number(EXAMPLE_E),
        curve=EXAMPLE_CURVE,
        k=_number(EXAMPLE_K),
    )

    assert signature == _number(EXAMPLE_S) + _number(EXAMPLE_R)


def test_standard_example_verification() -> None:
    public_key = _number(EXAMPLE_QX) + _number(EXAMPLE_QY)
    published = _number(EXAMPLE_S) + _number(EXAMPLE_R)
    altered = _number(EXAMPLE_S) + _number(EXAMPLE_R + 1)

    digest = _number(EXAMPLE_E)
    assert gost.verify_digest(public_key, digest, published, curve=EXAMPLE_CURVE)
    assert not gost.verify_digest(public_key, digest, altered, curve=EXAMPLE_CURVE)
