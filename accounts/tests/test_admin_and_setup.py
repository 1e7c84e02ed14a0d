"""The sign-in failure log in the admin, and the development set-up command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.adapters import AccountAdapter
from accounts.esia import gost
from accounts.models import SignInFailure, User
from accounts.services import record_sign_in_failure
from accounts.tests.factories import UserFactory
from conftest import World

CHANGELIST = "admin:accounts_signinfailure_changelist"


def test_failure_logged_without_snils(db: None, caplog: Any) -> None:
    record_sign_in_failure("unknown_snils", "1000300101", "")

    failure = SignInFailure.objects.get()
    assert failure.esia_oid == "1000300101"
    assert failure.get_reason_display() == "СНИЛС не найден в данных школ"
    assert "1000300101" in caplog.text


def test_superuser_sees_failure_log(world: World, client: Client) -> None:
    record_sign_in_failure("no_snils", "1000300101")
    superuser = cast(User, UserFactory(is_staff=True, is_superuser=True))
    client.force_login(superuser)

    page = client.get(reverse(CHANGELIST))

    assert page.status_code == 200
    assert "1000300101" in page.content.decode()


def test_school_admin_cannot_see_failure_log(world: World, client: Client) -> None:
    record_sign_in_failure("no_snils", "1000300101")
    client.force_login(world.school_admin_user)

    page = client.get(reverse(CHANGELIST))

    assert page.status_code in (302, 403)
    assert "1000300101" not in page.content.decode()


def test_guardian_cannot_see_failure_log(world: World, client: Client) -> None:
    client.force_login(world.guardian_user)

    page = client.get(reverse(CHANGELIST))

    assert page.status_code in (302, 403)


def test_dev_setup_creates_and_registers(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = True
    settings.ESIA_PORTAL_KEY_FILE = str(tmp_path / "portal_key.pem")
    settings.ESIA_PORTAL_CERT_FILE = str(tmp_path / "portal_cert.pem")
    data_dir = tmp_path / "esia"

    call_command("esia_dev_setup", "--data-dir", str(data_dir))

    registered = json.loads((data_dir / "clients.json").read_text())["clients"]
    assert [client["client_id"] for client in registered] == ["ESCHOOL"]
    assert registered[0]["redirect_uris"][0].endswith("/accounts/esia/login/callback/")
    certificate = gost.load_certificate(registered[0]["certificate"])
    assert certificate.verifies_itself()


def test_dev_setup_refused_without_debug(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("esia_dev_setup", "--data-dir", str(tmp_path))


def test_password_sign_in_only_for_superuser(world: World, client: Client) -> None:
    world.guardian_user.set_password("a-long-password-1")
    world.guardian_user.save(update_fields=["password"])
    superuser = cast(User, UserFactory(is_staff=True, is_superuser=True))
    superuser.set_password("a-long-password-2")
    superuser.save(update_fields=["password"])

    refused = client.post(
        reverse("account_login"),
        {"login": world.guardian_user.email, "password": "a-long-password-1"},
    )
    assert "_auth_user_id" not in client.session
    assert refused.status_code == 200
    assert refused.context["form"].errors

    accepted = client.post(
        reverse("account_login"),
        {"login": superuser.email, "password": "a-long-password-2"},
    )
    assert accepted.status_code == 302
    assert client.session["_auth_user_id"] == str(superuser.pk)


def test_password_reset_mail_only_for_superuser(
    world: World, client: Client, mailoutbox: list[Any]
) -> None:
    client.post(reverse("account_reset_password"), {"email": world.guardian_user.email})

    assert mailoutbox == []


def test_password_sign_in_without_esia_rejected(
    world: World, rf: RequestFactory
) -> None:
    request = rf.get("/")
    SessionMiddleware(lambda request: HttpResponse()).process_request(request)

    response = AccountAdapter(request).pre_login(
        request,
        world.teacher_user,
        email_verification="optional",
        signal_kwargs=None,
        email=None,
        signup=False,
        redirect_url=None,
    )

    assert response is not None
    assert response.status_code == 403
    assert "Вход только через Госуслуги" in response.content.decode()
