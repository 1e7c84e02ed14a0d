"""ESIA failing during the callback: each ends on a page that explains it."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from accounts.esia import dev
from accounts.models import SignInFailure, User
from accounts.tests.conftest import CALLBACK_PATH, EsiaSetup, esia_person
from conftest import World

pytestmark = pytest.mark.slow

HEADING = "Не удалось войти через Госуслуги"


@pytest.fixture
def guardian_oid(esia: EsiaSetup, world: World) -> str:
    oid = str(world.guardian_user.esia_oid)
    esia.emulator.write_people([esia_person(oid, world.guardian)])
    return oid


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def assert_failure_page(page: Any, *texts: str) -> None:
    assert page.status_code == 401
    assert HEADING in page.text
    assert "Что делать" in page.text
    for text in texts:
        assert text in page.text
    assert list(SignInFailure.objects.values_list("reason", flat=True)) == [
        "esia_error"
    ]


def test_esia_timing_out(esia: EsiaSetup, guardian_oid: str, settings: Any) -> None:
    settings.ESIA_TIMEOUT_SECONDS = 0.5
    esia.emulator.set_back_channel_delay(2.0)
    browser = esia.browser()

    page = browser.sign_in_as(guardian_oid)

    assert_failure_page(page, "Госуслуги не ответили вовремя", "0.5 с")
    assert "Подождите несколько минут" in page.text
    assert not browser.is_signed_in()
    assert "Timeout" in SignInFailure.objects.get().detail


def test_esia_unreachable(esia: EsiaSetup, guardian_oid: str, settings: Any) -> None:
    browser = esia.browser()
    at_esia = browser.start_sign_in()
    settings.ESIA_BASE_URL = f"http://127.0.0.1:{closed_port()}"

    page = browser.choose_at_esia(at_esia, oid=guardian_oid)

    assert_failure_page(page, "не смог связаться с сервисом Госуслуг")
    assert not browser.is_signed_in()
    assert "ConnectionError" in SignInFailure.objects.get().detail


def test_token_request_rejected_with_esia_code(
    esia: EsiaSetup,
    guardian_oid: str,
    settings: Any,
    tmp_path: Path,
) -> None:
    browser = esia.browser()
    at_esia = browser.start_sign_in()
    # ESIA now knows another certificate for the portal, so /te answers
    # with a certificate error.
    _, other_cert = dev.ensure_dev_credentials(
        tmp_path / "other_key.pem", tmp_path / "other_cert.pem", "ESCHOOL"
    )
    esia.emulator.register(
        settings.ESIA_CLIENT_ID,
        [esia.portal_url + CALLBACK_PATH],
        other_cert.read_text(encoding="ascii"),
    )

    page = browser.choose_at_esia(at_esia, oid=guardian_oid)

    assert_failure_page(page, "Госуслуги отклонили запрос портала", "ESIA-007")
    assert not browser.is_signed_in()
    assert "ESIA-007" in SignInFailure.objects.get().detail


def test_person_data_not_granted(esia: EsiaSetup, world: World, settings: Any) -> None:
    world.guardian.user = None
    world.guardian.save(update_fields=["user"])
    oid = "1000300777"
    esia.emulator.write_people([esia_person(oid, world.guardian)])
    settings.ESIA_SCOPES = ["openid", "email"]
    browser = esia.browser()

    page = browser.sign_in_as(oid)

    assert_failure_page(
        page, "доступ к ним не был разрешён", "ESIA-007019", "разрешите порталу"
    )
    assert not browser.is_signed_in()
    assert not User.objects.filter(esia_oid=oid).exists()


def test_failure_page_is_not_left_behind(
    esia: EsiaSetup, guardian_oid: str, settings: Any
) -> None:
    settings.ESIA_TIMEOUT_SECONDS = 0.5
    esia.emulator.set_back_channel_delay(2.0)
    browser = esia.browser()
    browser.sign_in_as(guardian_oid)
    esia.emulator.set_back_channel_delay(0)

    browser.sign_in_as(guardian_oid)

    assert browser.is_signed_in()


def test_code_exchanged_too_late(esia: EsiaSetup, guardian_oid: str) -> None:
    esia.emulator.set_code_lifetime(0)
    browser = esia.browser()

    page = browser.sign_in_as(guardian_oid)

    assert_failure_page(page, "Госуслуги отклонили запрос портала", "ESIA-007011")
    assert not browser.is_signed_in()


def test_rotated_esia_key_needs_settings_change(
    esia: EsiaSetup, guardian_oid: str, settings: Any
) -> None:
    old_key_file = str(esia.emulator.public_key_file)
    new_key_file = str(esia.emulator.rotate_signing_key())
    before = esia.browser()

    page = before.sign_in_as(guardian_oid)

    assert page.status_code == 401
    assert HEADING in page.text
    assert not before.is_signed_in()
    assert "TokenError" in SignInFailure.objects.get().detail

    settings.ESIA_PUBLIC_KEY_FILES = [old_key_file, new_key_file]
    during = esia.browser()
    during.sign_in_as(guardian_oid)
    assert during.is_signed_in()

    settings.ESIA_PUBLIC_KEY_FILES = [new_key_file]
    after = esia.browser()
    after.sign_in_as(guardian_oid)
    assert after.is_signed_in()
