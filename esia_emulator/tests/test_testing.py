"""The test helper that other test suites use to start the emulator."""

from __future__ import annotations

import base64

import requests

from accounts.esia import gost
from esia_emulator.testing import RunningEmulator, running_emulator
from esia_emulator.tests.helpers import (
    CLIENT_ID,
    MOTHER,
    REDIRECT_URI,
    RegisteredSystem,
    jwt_parts,
)


def test_fixture_factory_yields_running_emulator(
    esia_emulator: RunningEmulator,
) -> None:
    esia_emulator.write_people([MOTHER])

    assert requests.get(f"{esia_emulator.base_url}/", timeout=5).status_code == 200
    assert esia_emulator.public_key_file.exists()


def test_context_manager_cleans_up() -> None:
    with running_emulator(people=[MOTHER]) as emulator:
        data_dir = emulator.data_dir
        assert (data_dir / "people.json").exists()

    assert not data_dir.exists()


def test_gost_emulator_signs_with_certificate_key(
    system_key: tuple[bytes, str],
) -> None:
    with running_emulator(
        people=[MOTHER], token_algorithm="GOST3410_2012_256"
    ) as emulator:
        private_key, certificate_pem = system_key
        emulator.register(CLIENT_ID, [REDIRECT_URI], certificate_pem)
        system = RegisteredSystem(emulator.base_url, private_key, certificate_pem)
        code = system.sign_in(MOTHER["oid"])["code"]
        body = system.exchange(code).json()
        certificate = gost.load_certificate(emulator.public_key_file.read_text())

    for token in (code, body["access_token"], body["id_token"]):
        header_b64, payload_b64, signature_b64 = token.split(".")
        header, _ = jwt_parts(token)
        signature = base64.urlsafe_b64decode(
            signature_b64 + "=" * (-len(signature_b64) % 4)
        )
        assert header["alg"] == "GOST3410_2012_256"
        assert len(signature) == 64
        assert gost.verify(
            certificate.public_key, f"{header_b64}.{payload_b64}".encode(), signature
        )
