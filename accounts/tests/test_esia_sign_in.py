"""ESIA sign-in end to end: a browser session, the portal and the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.esia.signers import clear_signer_cache
from accounts.models import SignInFailure, User
from accounts.tests.conftest import (
    Browser,
    EsiaSetup,
    birthday_years_ago,
    configure_portal,
    esia_person,
)
from conftest import World
from esia_emulator.testing import running_emulator
from school.models import Guardian, StaffMember, Student
from school.tests import factories as f

pytestmark = pytest.mark.slow

NEW_OID = "1000300101"


def _unlink(record: Guardian | Student) -> None:
    record.user = None
    record.save(update_fields=["user"])


def _failure_reasons(oid: str = "") -> list[str]:
    rows = SignInFailure.objects.all()
    if oid:
        rows = rows.filter(esia_oid=oid)
    return list(rows.values_list("reason", flat=True))


def test_guardian_first_sign_in_registers(esia: EsiaSetup, world: World) -> None:
    _unlink(world.guardian)
    esia.emulator.write_people(
        [
            esia_person(
                NEW_OID,
                world.guardian,
                email="maria@example.ru",
                email_verified=True,
            )
        ]
    )
    browser = esia.browser()

    signup = browser.sign_in_as(NEW_OID)

    assert signup.status_code == 200
    assert "Завершение регистрации" in signup.text
    assert 'value="maria@example.ru"' in signup.text
    assert not browser.is_signed_in()

    done = browser.register(signup, "maria@example.ru")

    assert done.status_code == 302
    assert browser.is_signed_in()
    user = User.objects.get(esia_oid=NEW_OID)
    assert user.email == "maria@example.ru"
    world.guardian.refresh_from_db()
    assert world.guardian.user == user
    assert SocialAccount.objects.filter(
        provider="esia", uid=NEW_OID, user=user
    ).exists()
    assert EmailAddress.objects.get(user=user).verified


def test_unverified_esia_email_not_prefilled(esia: EsiaSetup, world: World) -> None:
    _unlink(world.guardian)
    esia.emulator.write_people(
        [esia_person(NEW_OID, world.guardian, email="old@example.ru")]
    )

    signup = esia.browser().sign_in_as(NEW_OID)

    assert "Завершение регистрации" in signup.text
    assert "old@example.ru" not in signup.text


def test_second_sign_in_goes_straight_in(esia: EsiaSetup, world: World) -> None:
    _unlink(world.guardian)
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    first = esia.browser()
    first.register(first.sign_in_as(NEW_OID), "maria@example.ru")

    second = esia.browser()
    landing = second.sign_in_as(NEW_OID)

    assert "Завершение регистрации" not in landing.text
    assert second.is_signed_in()
    assert User.objects.filter(esia_oid=NEW_OID).count() == 1


def test_known_oid_without_social_account(esia: EsiaSetup, world: World) -> None:
    oid = str(world.guardian_user.esia_oid)
    esia.emulator.write_people([esia_person(oid, world.guardian)])
    browser = esia.browser()

    browser.sign_in_as(oid)

    assert browser.is_signed_in()
    account = SocialAccount.objects.get(provider="esia", uid=oid)
    assert account.user == world.guardian_user


def test_unknown_snils_page(esia: EsiaSetup, world: World) -> None:
    esia.emulator.write_people([esia_person(NEW_OID, snils="112-233-445 95")])
    browser = esia.browser()

    page = browser.sign_in_as(NEW_OID)

    assert page.status_code == 403
    assert "Ваш СНИЛС не найден в данных школ" in page.text
    assert not browser.is_signed_in()
    assert not User.objects.filter(esia_oid=NEW_OID).exists()
    assert _failure_reasons(NEW_OID) == ["unknown_snils"]
    assert page.url == f"{esia.portal_url}/accounts/esia/refused/"
    assert "code=" not in page.url


def test_refusal_page_shown_once(esia: EsiaSetup, world: World) -> None:
    esia.emulator.write_people([esia_person(NEW_OID, snils=None)])
    browser = esia.browser()
    page = browser.sign_in_as(NEW_OID)
    assert page.status_code == 403

    again = browser.session.get(page.url, allow_redirects=False, timeout=10)

    assert again.status_code == 302
    assert again.headers["Location"] == "/"


def test_refusal_page_without_refusal(esia: EsiaSetup, world: World) -> None:
    browser = esia.browser()

    page = browser.session.get(
        f"{esia.portal_url}/accounts/esia/refused/", allow_redirects=False, timeout=10
    )

    assert page.status_code == 302
    assert page.headers["Location"] == "/"


def test_no_snils_page(esia: EsiaSetup, world: World) -> None:
    esia.emulator.write_people([esia_person(NEW_OID, snils=None)])
    browser = esia.browser()

    page = browser.sign_in_as(NEW_OID)

    assert page.status_code == 403
    assert "В учётной записи Госуслуг нет СНИЛС" in page.text
    assert not browser.is_signed_in()
    assert _failure_reasons(NEW_OID) == ["no_snils"]


def test_invalid_snils_page(esia: EsiaSetup, world: World) -> None:
    esia.emulator.write_people([esia_person(NEW_OID, snils="112-233-445 96")])

    page = esia.browser().sign_in_as(NEW_OID)

    assert "СНИЛС в учётной записи Госуслуг недействителен" in page.text
    assert _failure_reasons(NEW_OID) == ["invalid_snils"]


def test_unconfirmed_adult_refused(esia: EsiaSetup, world: World) -> None:
    _unlink(world.guardian)
    esia.emulator.write_people(
        [esia_person(NEW_OID, world.guardian, trusted=False, level="P")]
    )
    browser = esia.browser()

    page = browser.sign_in_as(NEW_OID)

    assert page.status_code == 403
    assert "Учётная запись Госуслуг не подтверждена" in page.text
    assert not browser.is_signed_in()
    world.guardian.refresh_from_db()
    assert world.guardian.user is None
    assert not User.objects.filter(esia_oid=NEW_OID).exists()
    assert _failure_reasons(NEW_OID) == ["unconfirmed"]


def test_child_under_14_simplified_admitted(esia: EsiaSetup, world: World) -> None:
    _unlink(world.child)
    world.child.birth_date = birthday_years_ago(14, days=-1)
    world.child.save(update_fields=["birth_date"])
    esia.emulator.write_people(
        [esia_person(NEW_OID, world.child, trusted=False, level="KD", role="student")]
    )
    browser = esia.browser()

    signup = browser.sign_in_as(NEW_OID)
    browser.register(signup, "pupil@example.ru")

    assert browser.is_signed_in()
    world.child.refresh_from_db()
    assert world.child.user is not None
    assert world.child.user.esia_oid == NEW_OID


def test_child_of_14_simplified_refused(esia: EsiaSetup, world: World) -> None:
    _unlink(world.child)
    world.child.birth_date = birthday_years_ago(14)
    world.child.save(update_fields=["birth_date"])
    esia.emulator.write_people(
        [esia_person(NEW_OID, world.child, trusted=False, level="P", role="student")]
    )

    page = esia.browser().sign_in_as(NEW_OID)

    assert "Учётная запись Госуслуг не подтверждена" in page.text
    assert _failure_reasons(NEW_OID) == ["unconfirmed"]


def test_snils_of_linked_record_is_conflict(esia: EsiaSetup, world: World) -> None:
    # world.guardian already belongs to guardian_user, another ESIA account.
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    browser = esia.browser()

    page = browser.sign_in_as(NEW_OID)

    assert page.status_code == 403
    assert "Противоречие в данных школы" in page.text
    assert not browser.is_signed_in()
    world.guardian.refresh_from_db()
    assert world.guardian.user == world.guardian_user
    assert _failure_reasons(NEW_OID) == ["conflict"]


def test_guardian_and_staff_both_linked(esia: EsiaSetup, world: World) -> None:
    _unlink(world.guardian)
    staff = cast(StaffMember, f.StaffMemberFactory(snils=world.guardian.snils))
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    browser = esia.browser()

    browser.register(browser.sign_in_as(NEW_OID), "both@example.ru")

    user = User.objects.get(esia_oid=NEW_OID)
    world.guardian.refresh_from_db()
    staff.refresh_from_db()
    assert world.guardian.user == user
    assert staff.user == user


def test_cancel_at_esia(esia: EsiaSetup, world: World) -> None:
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    browser = esia.browser()

    page = browser.choose_at_esia(browser.start_sign_in(), action="cancel")

    assert "Вход отменён" in page.text
    assert not browser.is_signed_in()
    assert _failure_reasons() == ["cancelled"]


def _callback_url(esia: EsiaSetup, oid: str) -> tuple[Browser, str]:
    browser = esia.browser()
    answer = browser.choose_at_esia(browser.start_sign_in(), follow=False, oid=oid)
    assert answer.status_code == 302
    return browser, answer.headers["Location"]


def test_callback_without_state_rejected(esia: EsiaSetup, world: World) -> None:
    _unlink(world.guardian)
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    browser, location = _callback_url(esia, NEW_OID)
    query = parse_qs(urlsplit(location).query)
    without_state = f"{location.split('?')[0]}?code={query['code'][0]}"

    page = browser.session.get(without_state, timeout=10)

    assert "Не удалось войти через Госуслуги" in page.text
    assert not browser.is_signed_in()
    assert not User.objects.filter(esia_oid=NEW_OID).exists()
    assert _failure_reasons() == ["esia_error"]


def test_callback_reused_state_rejected(esia: EsiaSetup, world: World) -> None:
    _unlink(world.guardian)
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    browser, location = _callback_url(esia, NEW_OID)
    first = browser.session.get(location, timeout=10)
    assert "Завершение регистрации" in first.text

    again = browser.session.get(location, timeout=10)

    assert "Не удалось войти через Госуслуги" in again.text
    assert not browser.is_signed_in()


def test_callback_in_other_browser_rejected(esia: EsiaSetup, world: World) -> None:
    _unlink(world.guardian)
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    _, location = _callback_url(esia, NEW_OID)
    stranger = esia.browser()

    page = stranger.session.get(location, timeout=10)

    assert "Не удалось войти через Госуслуги" in page.text
    assert not stranger.is_signed_in()


def test_token_from_unknown_key_rejected(
    esia: EsiaSetup, world: World, settings: Any, tmp_path: Path
) -> None:
    _unlink(world.guardian)
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "other_public.pem"
    key_file.write_bytes(
        stranger_key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )
    settings.ESIA_PUBLIC_KEY_FILES = [str(key_file)]
    browser = esia.browser()

    page = browser.sign_in_as(NEW_OID)

    assert "Не удалось войти через Госуслуги" in page.text
    assert not browser.is_signed_in()
    assert not User.objects.filter(esia_oid=NEW_OID).exists()
    failure = SignInFailure.objects.get()
    assert failure.reason == "esia_error"
    assert "TokenError" in failure.detail


def test_second_key_file_accepted(
    esia: EsiaSetup, world: World, settings: Any, tmp_path: Path
) -> None:
    oid = str(world.guardian_user.esia_oid)
    esia.emulator.write_people([esia_person(oid, world.guardian)])
    retired = tmp_path / "retired.pem"
    retired.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )
    settings.ESIA_PUBLIC_KEY_FILES = [
        str(retired),
        str(esia.emulator.public_key_file),
    ]
    browser = esia.browser()

    browser.sign_in_as(oid)

    assert browser.is_signed_in()


def test_email_of_other_account_refused(esia: EsiaSetup, world: World) -> None:
    _unlink(world.guardian)
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    browser = esia.browser()
    signup = browser.sign_in_as(NEW_OID)

    refused = browser.register(signup, world.teacher_user.email.upper())

    assert refused.status_code == 200
    assert "уже указан в другой учётной записи портала" in refused.text
    assert not browser.is_signed_in()
    assert not User.objects.filter(esia_oid=NEW_OID).exists()

    accepted = browser.register(refused, "maria@example.ru")

    assert accepted.status_code == 302
    assert browser.is_signed_in()


def test_invalid_email_gets_message(esia: EsiaSetup, world: World) -> None:
    _unlink(world.guardian)
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    browser = esia.browser()
    signup = browser.sign_in_as(NEW_OID)

    refused = browser.register(signup, "not-an-address")

    assert refused.status_code == 200
    assert "errorlist" in refused.text
    assert not User.objects.filter(esia_oid=NEW_OID).exists()


def test_signup_page_without_esia_redirects(esia: EsiaSetup, world: World) -> None:
    browser = esia.browser()

    page = browser.session.get(
        f"{esia.portal_url}/accounts/3rdparty/signup/",
        allow_redirects=False,
        timeout=10,
    )

    assert page.status_code == 302
    assert "Завершение регистрации" not in page.text


def test_sign_out_redirects_to_esia_logout(esia: EsiaSetup, world: World) -> None:
    oid = str(world.guardian_user.esia_oid)
    esia.emulator.write_people([esia_person(oid, world.guardian)])
    browser = esia.browser()
    browser.sign_in_as(oid)
    assert browser.is_signed_in()

    answer = browser.session.post(
        f"{esia.portal_url}/accounts/logout/",
        data={"csrfmiddlewaretoken": browser.session.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )

    location = urlsplit(answer.headers["Location"])
    assert answer.status_code == 302
    assert f"{location.scheme}://{location.netloc}" == esia.emulator.base_url
    assert location.path == "/idp/ext/Logout"
    query = parse_qs(location.query)
    assert query["client_id"] == ["ESCHOOL"]
    assert query["redirect_url"] == [f"{esia.portal_url}/"]
    assert not browser.is_signed_in()

    back = browser.session.get(answer.headers["Location"], timeout=10)

    assert back.url == f"{esia.portal_url}/"
    assert "Войти через Госуслуги" in back.text


def test_missing_portal_key_shows_error_page(
    esia: EsiaSetup, world: World, settings: Any, tmp_path: Path
) -> None:
    settings.ESIA_PORTAL_KEY_FILE = str(tmp_path / "absent.pem")
    clear_signer_cache()
    browser = esia.browser()

    page = browser.start_sign_in()

    assert page.status_code == 401
    assert "Не удалось войти через Госуслуги" in page.text
    assert _failure_reasons() == ["esia_error"]


def test_gost_signed_tokens_accepted(
    live_server: Any,
    transactional_db: None,
    settings: Any,
    portal_credentials: tuple[Path, Path],
    world: World,
) -> None:
    oid = str(world.guardian_user.esia_oid)
    with running_emulator(
        people=[esia_person(oid, world.guardian)],
        token_algorithm="GOST3410_2012_256",
    ) as emulator:
        configure_portal(settings, emulator, live_server.url, portal_credentials)
        browser = Browser(live_server.url)

        browser.sign_in_as(oid)

        assert browser.is_signed_in()
        assert emulator.public_key_file.name == "esia_gost_cert.pem"
    clear_signer_cache()
