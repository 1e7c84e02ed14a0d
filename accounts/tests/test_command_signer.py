"""CommandSigner: client_secret signatures made by an external command."""

from __future__ import annotations

import base64
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.esia import dev, gost
from accounts.esia.signers import (
    CommandSigner,
    GostSigner,
    SigningError,
    clear_signer_cache,
    get_signer,
)
from accounts.models import SignInFailure
from accounts.tests.conftest import EsiaSetup, esia_person
from conftest import World

SIGN_SCRIPT = Path(__file__).with_name("sign_command.py")
TEXT = "ESCHOOLopenid fullname2026.12.04 13:00:29 +0000state-uuidhttp://x/Кириллица"


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("command-signer")
    return dev.ensure_dev_credentials(
        folder / "key.pem", folder / "cert.pem", "ESCHOOL"
    )


def sign_command(key_file: Path) -> list[str]:
    return [sys.executable, str(SIGN_SCRIPT), str(key_file)]


def python_command(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_command_signature_verifies(credentials: tuple[Path, Path]) -> None:
    key_file, cert_file = credentials
    signer = CommandSigner(sign_command(key_file), cert_file)
    certificate = gost.load_certificate(cert_file.read_text())

    secret = signer.sign(TEXT)

    assert "=" not in secret
    signature = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    assert gost.verify(certificate.public_key, TEXT.encode("utf-8"), signature)


def test_certificate_hash_same_as_gost_signer(
    credentials: tuple[Path, Path],
) -> None:
    key_file, cert_file = credentials

    command_hash = CommandSigner(sign_command(key_file), cert_file).certificate_hash()

    assert command_hash == GostSigner(key_file, cert_file).certificate_hash()


@pytest.mark.parametrize(
    "printed",
    [
        pytest.param("base64.encodebytes(s).decode()", id="wrapped-lines"),
        pytest.param("base64.urlsafe_b64encode(s).decode()", id="base64url"),
        pytest.param("base64.b64encode(s).decode().rstrip('=')", id="no-padding"),
    ],
)
def test_usual_base64_forms_accepted(
    credentials: tuple[Path, Path], printed: str
) -> None:
    _, cert_file = credentials
    code = f"import base64; s = bytes(range(200, 256)) + b'\\xff' * 8; print({printed})"
    signer = CommandSigner(python_command(code), cert_file)

    secret = signer.sign(TEXT)

    expected = bytes(range(200, 256)) + b"\xff" * 8
    assert base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4)) == expected


@pytest.mark.parametrize(
    ("code", "logged"),
    [
        pytest.param(
            "import sys; print('token locked', file=sys.stderr); sys.exit(3)",
            "exited with status 3: token locked",
            id="exit-status",
        ),
        pytest.param("print('not base64!')", "printed no base64", id="garbage"),
        pytest.param(
            "import base64; print(base64.b64encode(b'x' * 32).decode())",
            "printed no base64",
            id="short-signature",
        ),
        pytest.param("pass", "printed no base64", id="no-output"),
    ],
)
def test_failing_command_raises_and_logs(
    credentials: tuple[Path, Path], caplog: Any, code: str, logged: str
) -> None:
    _, cert_file = credentials
    signer = CommandSigner(python_command(code), cert_file)

    with (
        caplog.at_level(logging.ERROR, logger="accounts.esia.signers"),
        pytest.raises(SigningError),
    ):
        signer.sign(TEXT)

    assert logged in caplog.text
    assert "state-uuid" not in caplog.text


def test_slow_command_times_out(credentials: tuple[Path, Path], caplog: Any) -> None:
    _, cert_file = credentials
    signer = CommandSigner(
        python_command("import time; time.sleep(10)"), cert_file, timeout=0.5
    )

    with caplog.at_level(logging.ERROR), pytest.raises(SigningError):
        signer.sign(TEXT)

    assert "ran longer than 0.5 s" in caplog.text


def test_missing_program(
    credentials: tuple[Path, Path], tmp_path: Path, caplog: Any
) -> None:
    _, cert_file = credentials
    signer = CommandSigner([str(tmp_path / "no-such-signer")], cert_file)

    with caplog.at_level(logging.ERROR), pytest.raises(SigningError):
        signer.sign(TEXT)

    assert "could not be started" in caplog.text


def test_empty_command_is_configuration_error(
    credentials: tuple[Path, Path], settings: Any
) -> None:
    settings.ESIA_SIGNER_COMMAND = []

    with pytest.raises(ImproperlyConfigured, match="ESIA_SIGNER_COMMAND"):
        CommandSigner(cert_file=credentials[1])


def test_missing_certificate_is_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"absent\.pem"):
        CommandSigner(["signer"], tmp_path / "absent.pem")


def test_get_signer_builds_command_signer_from_settings(
    credentials: tuple[Path, Path], settings: Any
) -> None:
    key_file, cert_file = credentials
    settings.ESIA_SIGNER = "accounts.esia.signers.CommandSigner"
    settings.ESIA_SIGNER_COMMAND = sign_command(key_file)
    settings.ESIA_PORTAL_CERT_FILE = str(cert_file)
    clear_signer_cache()

    signer = get_signer()

    assert isinstance(signer, CommandSigner)
    assert get_signer() is signer
    settings.ESIA_SIGNER_COMMAND = [*sign_command(key_file), "--changed"]
    assert get_signer() is not signer
    clear_signer_cache()


def use_command_signer(settings: Any, command: list[str]) -> None:
    settings.ESIA_SIGNER = "accounts.esia.signers.CommandSigner"
    settings.ESIA_SIGNER_COMMAND = command
    clear_signer_cache()


@pytest.mark.slow
def test_sign_in_with_command_signer(
    esia: EsiaSetup, world: World, settings: Any, portal_credentials: tuple[Path, Path]
) -> None:
    oid = str(world.guardian_user.esia_oid)
    esia.emulator.write_people([esia_person(oid, world.guardian)])
    use_command_signer(settings, sign_command(portal_credentials[0]))
    browser = esia.browser()

    browser.sign_in_as(oid)

    assert browser.is_signed_in()


@pytest.mark.slow
def test_failing_command_at_start_shows_error_page(
    esia: EsiaSetup, world: World, settings: Any, caplog: Any
) -> None:
    use_command_signer(settings, python_command("import sys; sys.exit(1)"))
    browser = esia.browser()

    with caplog.at_level(logging.ERROR, logger="accounts.esia.signers"):
        page = browser.start_sign_in()

    assert page.status_code == 401
    assert "Не удалось войти через Госуслуги" in page.text
    assert page.url.startswith(esia.portal_url)
    assert "ESIA signing command failed" in caplog.text
    assert list(SignInFailure.objects.values_list("reason", flat=True)) == [
        "esia_error"
    ]


@pytest.mark.slow
def test_failing_command_at_token_step_shows_error_page(
    esia: EsiaSetup, world: World, settings: Any, portal_credentials: tuple[Path, Path]
) -> None:
    oid = str(world.guardian_user.esia_oid)
    esia.emulator.write_people([esia_person(oid, world.guardian)])
    use_command_signer(settings, sign_command(portal_credentials[0]))
    browser = esia.browser()
    at_esia = browser.start_sign_in()
    settings.ESIA_SIGNER_COMMAND = python_command("print('broken')")

    page = browser.choose_at_esia(at_esia, oid=oid)

    assert page.status_code == 401
    assert "Не удалось войти через Госуслуги" in page.text
    assert not browser.is_signed_in()
    failure = SignInFailure.objects.get()
    assert failure.reason == "esia_error"
