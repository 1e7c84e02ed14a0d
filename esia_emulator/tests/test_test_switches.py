"""The emulator's test switches: code lifetime, key rotation, slow answers."""

from __future__ import annotations

import time

from cryptography.hazmat.primitives import serialization
from jose import jwt

from esia_emulator.testing import RunningEmulator
from esia_emulator.tests.helpers import MOTHER, RegisteredSystem, jwt_parts

TOKEN_PATH = "/aas/oauth2/v3/te"


def test_code_exchanged_after_lifetime(
    system: RegisteredSystem, emulator: RunningEmulator
) -> None:
    emulator.set_code_lifetime(0)
    code = system.sign_in(MOTHER["oid"])["code"]

    answer = system.exchange(code)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert answer.json()["error_description"].startswith("ESIA-007011")


def test_code_lifetime_written_into_code(
    system: RegisteredSystem, emulator: RunningEmulator
) -> None:
    emulator.set_code_lifetime(30)
    code = system.sign_in(MOTHER["oid"])["code"]

    claims = jwt_parts(code)[1]

    assert claims["exp"] - claims["iat"] == 30
    assert system.exchange(code).status_code == 200


def test_rotated_key_signs_new_tokens(
    system: RegisteredSystem, emulator: RunningEmulator
) -> None:
    old_pem = emulator.public_key_file.read_text()
    early_code = system.sign_in(MOTHER["oid"])["code"]

    new_key_file = emulator.rotate_signing_key()
    body = system.exchange(system.sign_in(MOTHER["oid"])["code"]).json()

    new_pem = new_key_file.read_text()
    assert new_pem != old_pem
    assert emulator.public_key_file.read_text() == old_pem
    options = {"verify_aud": False}
    assert jwt.decode(body["access_token"], new_pem, ["RS256"], options=options)
    serialization.load_pem_public_key(new_pem.encode())
    # A code issued before the rotation is still exchanged, and the new
    # access token opens the person data.
    assert system.exchange(early_code).status_code == 200
    assert system.get(f"/rs/prns/{MOTHER['oid']}", body["access_token"]).ok


def test_back_channel_delay_and_request_log(
    system: RegisteredSystem, emulator: RunningEmulator
) -> None:
    code = system.sign_in(MOTHER["oid"])["code"]
    emulator.set_back_channel_delay(0.3)

    started = time.monotonic()
    assert system.exchange(code).status_code == 200

    assert time.monotonic() - started >= 0.3
    assert emulator.requests_to(TOKEN_PATH) == 1
    assert emulator.requests_to(TOKEN_PATH, method="GET") == 0
    assert emulator.requests_to("/aas/oauth2/v2/ac", method="POST") == 1
