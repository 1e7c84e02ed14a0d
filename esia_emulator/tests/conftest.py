from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest

from accounts.esia import gost
from esia_emulator.testing import RunningEmulator, emulator_fixture, running_emulator
from esia_emulator.tests.helpers import (
    CLIENT_ID,
    MOTHER,
    REDIRECT_URI,
    SON,
    RegisteredSystem,
)


@pytest.fixture(scope="session")
def system_key() -> tuple[bytes, str]:
    private_key = gost.generate_private_key()
    now = datetime.datetime.now(datetime.UTC)
    certificate = gost.build_self_signed_certificate(
        private_key,
        "TESTIS",
        "Тестовая система",
        now - datetime.timedelta(days=1),
        now + datetime.timedelta(days=30),
    )
    return private_key, gost.certificate_to_pem(certificate)


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator(people=[MOTHER, SON]) as running:
        yield running


@pytest.fixture
def system(
    emulator: RunningEmulator, system_key: tuple[bytes, str]
) -> RegisteredSystem:
    private_key, certificate_pem = system_key
    emulator.register(CLIENT_ID, [REDIRECT_URI], certificate_pem)
    return RegisteredSystem(emulator.base_url, private_key, certificate_pem)


esia_emulator = emulator_fixture()
