"""The sign-in state over HTTP: bound to the browser, single use, time-limited.

django-allauth's statekit keeps the states in the session: each for
``STATE_TTL`` seconds, drops the oldest when a new one comes while more than
``MAX_STATES`` are kept, and removes a state when its callback arrives.
Every rejected callback must end on the start page with a message, before
any token request to ESIA.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from allauth.socialaccount.internal import statekit

from accounts.models import SignInFailure
from accounts.tests.conftest import Browser, EsiaSetup, esia_person
from conftest import World

pytestmark = pytest.mark.slow

TOKEN_PATH = "/aas/oauth2/v3/te"
STATE_MESSAGE = "страницу входа, которая устарела, уже была использована"


def test_statekit_limits_are_as_documented() -> None:
    # The portal's promises (a 10-minute limit, ten sign-ins in parallel tabs)
    # rest on these django-allauth constants.
    assert statekit.STATE_TTL == 600
    assert statekit.MAX_STATES == 10


@pytest.fixture
def guardian_oid(esia: EsiaSetup, world: World) -> str:
    oid = str(world.guardian_user.esia_oid)
    esia.emulator.write_people([esia_person(oid, world.guardian)])
    return oid


def callback_location(browser: Browser, at_esia: requests.Response, oid: str) -> str:
    """Choose ``oid`` at ESIA and return the callback address, not yet opened."""
    answer = browser.choose_at_esia(at_esia, follow=False, oid=oid)
    assert answer.status_code == 302
    return str(answer.headers["Location"])


def with_state(location: str, state: str | None) -> str:
    url = urlsplit(location)
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    query.pop("state")
    if state is not None:
        query["state"] = state
    return f"{url.scheme}://{url.netloc}{url.path}?{urlencode(query)}"


def assert_back_at_start(esia: EsiaSetup, browser: Browser, page: Any) -> None:
    assert page.status_code == 200
    assert page.url == f"{esia.portal_url}/"
    assert STATE_MESSAGE in page.text
    assert "Войти через Госуслуги" in page.text
    assert not browser.is_signed_in()
    assert esia.emulator.requests_to(TOKEN_PATH) == 0
    assert list(SignInFailure.objects.values_list("reason", flat=True)) == [
        "esia_error"
    ]


def test_callback_without_state(esia: EsiaSetup, guardian_oid: str) -> None:
    browser = esia.browser()
    location = callback_location(browser, browser.start_sign_in(), guardian_oid)

    page = browser.session.get(with_state(location, None), timeout=10)

    assert_back_at_start(esia, browser, page)
    assert SignInFailure.objects.get().detail == "state missing"


def test_callback_with_unknown_state(esia: EsiaSetup, guardian_oid: str) -> None:
    browser = esia.browser()
    location = callback_location(browser, browser.start_sign_in(), guardian_oid)

    page = browser.session.get(with_state(location, str(uuid.uuid4())), timeout=10)

    assert_back_at_start(esia, browser, page)


def test_callback_from_other_browser(esia: EsiaSetup, guardian_oid: str) -> None:
    owner = esia.browser()
    location = callback_location(owner, owner.start_sign_in(), guardian_oid)
    stranger = esia.browser()

    page = stranger.session.get(location, timeout=10)

    assert_back_at_start(esia, stranger, page)
    assert not owner.is_signed_in()


def test_callback_after_time_limit(
    esia: EsiaSetup, guardian_oid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = esia.browser()
    location = callback_location(browser, browser.start_sign_in(), guardian_oid)

    class LaterClock:
        @staticmethod
        def time() -> float:
            return time.time() + statekit.STATE_TTL + 1

    monkeypatch.setattr(statekit, "time", LaterClock)
    page = browser.session.get(location, timeout=10)

    assert_back_at_start(esia, browser, page)


def test_callback_just_within_time_limit(
    esia: EsiaSetup, guardian_oid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = esia.browser()
    location = callback_location(browser, browser.start_sign_in(), guardian_oid)

    class LaterClock:
        @staticmethod
        def time() -> float:
            return time.time() + statekit.STATE_TTL - 30

    monkeypatch.setattr(statekit, "time", LaterClock)
    browser.session.get(location, timeout=10)

    assert browser.is_signed_in()


def test_replayed_callback(esia: EsiaSetup, guardian_oid: str) -> None:
    browser = esia.browser()
    location = callback_location(browser, browser.start_sign_in(), guardian_oid)
    browser.session.get(location, timeout=10)
    assert browser.is_signed_in()
    assert esia.emulator.requests_to(TOKEN_PATH) == 1
    browser.session.post(
        f"{esia.portal_url}/accounts/logout/",
        data={"csrfmiddlewaretoken": browser.session.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )

    page = browser.session.get(location, timeout=10)

    assert page.url == f"{esia.portal_url}/"
    assert STATE_MESSAGE in page.text
    assert not browser.is_signed_in()
    assert esia.emulator.requests_to(TOKEN_PATH) == 1


def test_cancel_at_esia_returns_to_start(esia: EsiaSetup, guardian_oid: str) -> None:
    browser = esia.browser()

    page = browser.choose_at_esia(browser.start_sign_in(), action="cancel")

    assert page.url == f"{esia.portal_url}/"
    assert "Вход отменён" in page.text
    assert not browser.is_signed_in()
    assert esia.emulator.requests_to(TOKEN_PATH) == 0


def test_two_tabs_both_complete(esia: EsiaSetup, guardian_oid: str) -> None:
    browser = esia.browser()
    first_tab = browser.start_sign_in()
    second_tab = browser.start_sign_in()
    first_location = callback_location(browser, first_tab, guardian_oid)
    second_location = callback_location(browser, second_tab, guardian_oid)

    second = browser.session.get(second_location, timeout=10)
    first = browser.session.get(first_location, timeout=10)

    for page in (first, second):
        assert page.status_code == 200
        assert STATE_MESSAGE not in page.text
    assert browser.is_signed_in()
    assert esia.emulator.requests_to(TOKEN_PATH) == 2
    assert not SignInFailure.objects.exists()


def test_oldest_of_too_many_tabs_expires(esia: EsiaSetup, guardian_oid: str) -> None:
    # statekit drops the oldest state when a new one comes while more than
    # MAX_STATES are kept, so the twelfth tab pushes the first one out.
    browser = esia.browser()
    tabs = [browser.start_sign_in() for _ in range(statekit.MAX_STATES + 2)]
    oldest = callback_location(browser, tabs[0], guardian_oid)

    page = browser.session.get(oldest, timeout=10)

    assert_back_at_start(esia, browser, page)
    second_oldest = callback_location(browser, tabs[1], guardian_oid)
    browser.session.get(second_oldest, timeout=10)
    assert browser.is_signed_in()
