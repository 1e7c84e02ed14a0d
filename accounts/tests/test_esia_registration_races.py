"""First-sign-in registration raced against itself: one user at the end."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from accounts.models import User
from accounts.tests.conftest import EsiaSetup, esia_person
from conftest import World

pytestmark = pytest.mark.slow

NEW_OID = "1000300555"


@pytest.fixture
def new_guardian(esia: EsiaSetup, world: World) -> str:
    world.guardian.user = None
    world.guardian.save(update_fields=["user"])
    esia.emulator.write_people([esia_person(NEW_OID, world.guardian)])
    return NEW_OID


def run_together(*actions: Callable[[], requests.Response]) -> list[requests.Response]:
    """Run ``actions`` in threads released at one moment; return their answers."""
    barrier = threading.Barrier(len(actions))
    answers: list[requests.Response | None] = [None] * len(actions)
    errors: list[BaseException] = []

    def run(index: int, action: Callable[[], requests.Response]) -> None:
        try:
            barrier.wait(timeout=10)
            answers[index] = action()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(index, action))
        for index, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return [answer for answer in answers if answer is not None]


def assert_one_user(world: World) -> User:
    assert User.objects.filter(esia_oid=NEW_OID).count() == 1
    assert SocialAccount.objects.filter(provider="esia", uid=NEW_OID).count() == 1
    user = User.objects.get(esia_oid=NEW_OID)
    world.guardian.refresh_from_db()
    assert world.guardian.user == user
    return user


def test_form_submitted_twice_in_a_row(
    esia: EsiaSetup, world: World, new_guardian: str
) -> None:
    browser = esia.browser()
    signup = browser.sign_in_as(new_guardian)

    first = browser.register(signup, "maria@example.ru")
    second = browser.register(signup, "maria@example.ru")

    assert first.status_code == 302
    assert second.status_code < 500
    assert browser.is_signed_in()
    assert assert_one_user(world).email == "maria@example.ru"


def test_form_submitted_twice_at_once(
    esia: EsiaSetup, world: World, new_guardian: str
) -> None:
    browser = esia.browser()
    signup = browser.sign_in_as(new_guardian)

    answers = run_together(
        lambda: browser.register(signup, "maria@example.ru"),
        lambda: browser.register(signup, "maria@example.ru"),
    )

    assert len(answers) == 2
    assert all(answer.status_code < 500 for answer in answers)
    assert_one_user(world)
    # Which of the two answers the browser keeps is up to timing; the account
    # is whole either way, so the next sign-in goes straight in.
    later = esia.browser()
    landing = later.sign_in_as(new_guardian)
    assert "Завершение регистрации" not in landing.text
    assert later.is_signed_in()


def test_two_first_sign_ins_at_once(
    esia: EsiaSetup, world: World, new_guardian: str
) -> None:
    home_browser = esia.browser()
    phone_browser = esia.browser()
    home_signup = home_browser.sign_in_as(new_guardian)
    phone_signup = phone_browser.sign_in_as(new_guardian)

    answers = run_together(
        lambda: home_browser.register(home_signup, "maria@example.ru"),
        lambda: phone_browser.register(phone_signup, "maria.phone@example.ru"),
    )

    assert len(answers) == 2
    assert all(answer.status_code < 500 for answer in answers)
    user = assert_one_user(world)
    assert user.email in {"maria@example.ru", "maria.phone@example.ru"}
    signed_in = [home_browser.is_signed_in(), phone_browser.is_signed_in()]
    assert signed_in.count(True) == 1


def test_loser_of_race_is_told_and_can_sign_in(
    esia: EsiaSetup, world: World, new_guardian: str
) -> None:
    winner = esia.browser()
    loser = esia.browser()
    winner_signup = winner.sign_in_as(new_guardian)
    loser_signup = loser.sign_in_as(new_guardian)
    winner.register(winner_signup, "maria@example.ru")

    answer = loser.register(loser_signup, "maria.phone@example.ru")
    page = loser.session.get(esia.portal_url + answer.headers["Location"], timeout=10)

    assert answer.status_code == 302
    assert "Учётная запись портала для вас уже создана" in page.text
    assert not loser.is_signed_in()
    assert assert_one_user(world).email == "maria@example.ru"

    loser.sign_in_as(new_guardian)

    assert loser.is_signed_in()


def test_race_for_one_email_between_two_people(
    esia: EsiaSetup, world: World, new_guardian: str
) -> None:
    other_oid = "1000300556"
    esia.emulator.write_people(
        [
            esia_person(NEW_OID, world.guardian),
            esia_person(other_oid, world.teacher),
        ]
    )
    world.teacher.user = None
    world.teacher.save(update_fields=["user"])
    first = esia.browser()
    second = esia.browser()
    first_signup = first.sign_in_as(NEW_OID)
    second_signup = second.sign_in_as(other_oid)
    first.register(first_signup, "shared@example.ru")

    answer = second.register(second_signup, "shared@example.ru")

    assert answer.status_code < 500
    assert not second.is_signed_in()
    assert not User.objects.filter(esia_oid=other_oid).exists()
    assert User.objects.get(email="shared@example.ru").esia_oid == NEW_OID
