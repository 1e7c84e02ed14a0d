"""Redis as the cache and session store, and pages while Redis is down.

Each test starts its own ``redis-server`` on a free 127.0.0.1 port (never
6379) and applies the settings that ``eschool/settings.py`` builds from
``REDIS_URL``. Sign-in tests walk the ESIA flow through the emulator against
a live server started after those settings, because the session middleware
picks its engine when the server loads it.
"""

from __future__ import annotations

import logging
import os
import runpy
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from allauth.socialaccount.internal import statekit
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import KEY_PREFIX, SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from accounts.esia.signers import clear_signer_cache
from accounts.tests.conftest import (
    Browser,
    EsiaSetup,
    configure_portal,
    esia_person,
)
from accounts.tests.conftest import (
    portal_credentials as portal_credentials,
)
from conftest import World
from eschool.log_throttle import ThrottleRepeats
from esia_emulator.testing import running_emulator

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server")
LIVE_SERVER_PORTS = range(8620, 8630)
# A page must come back well within this while Redis hangs: each cache call
# gives up after the 0.5 s socket timeout.
HUNG_REDIS_PAGE_SECONDS = 10.0

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server is not installed (Debian package redis-server); "
    "the Redis tests start their own server with it",
)


def free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port != 6379:
            return port


class RedisProcess:
    """A private ``redis-server`` without persistence, killed at teardown."""

    def __init__(self, binary: str) -> None:
        self.port = free_port()
        self.popen = subprocess.Popen(  # noqa: S603 (a fixed binary and options)
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_ready()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def pause(self) -> None:
        os.kill(self.popen.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.popen.pid, signal.SIGCONT)


def settings_with_environment(monkeypatch: pytest.MonkeyPatch, **environment: str):
    """Run eschool/settings.py again with ``environment`` and return its names."""
    with monkeypatch.context() as patch:
        patch.delenv("REDIS_URL", raising=False)
        for name, value in environment.items():
            patch.setenv(name, value)
        return runpy.run_path(str(BASE_DIR / "eschool" / "settings.py"))


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    assert REDIS_SERVER is not None
    process = RedisProcess(REDIS_SERVER)
    yield process
    process.kill()


@pytest.fixture
def redis_settings(
    settings: Any, monkeypatch: pytest.MonkeyPatch, redis_process: RedisProcess
) -> RedisProcess:
    """Apply the cache and session settings that REDIS_URL turns on."""
    names = settings_with_environment(monkeypatch, REDIS_URL=redis_process.url)
    settings.CACHES = names["CACHES"]
    settings.SESSION_ENGINE = names["SESSION_ENGINE"]
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    settings.DJANGO_REDIS_LOGGER = names["DJANGO_REDIS_LOGGER"]
    return redis_process


@pytest.fixture
def redis_portal(
    redis_settings: RedisProcess,
    transactional_db: None,
    settings: Any,
    portal_credentials: tuple[Path, Path],
) -> Iterator[EsiaSetup]:
    """A live server with the Redis settings, and the ESIA emulator."""
    server = start_live_server()
    try:
        with running_emulator() as emulator:
            configure_portal(settings, emulator, server.url, portal_credentials)
            yield EsiaSetup(emulator=emulator, portal_url=server.url)
    finally:
        server.stop()
        clear_signer_cache()


def start_live_server() -> LiveServer:
    for port in LIVE_SERVER_PORTS:
        try:
            return LiveServer(f"127.0.0.1:{port}")
        except OSError:
            continue
    raise RuntimeError(f"no free port for the live server in {LIVE_SERVER_PORTS}")


def session_cache_key(session_key: str) -> str:
    """The raw Redis key of a cached_db session (django-redis key version 1)."""
    return f":1:{KEY_PREFIX}{session_key}"


def drop_from_database_copy(session_key: str, *names: str) -> None:
    """Remove ``names`` from the database copy of a session, not from Redis."""
    row = Session.objects.get(session_key=session_key)
    store = SessionStore()
    data = store.decode(row.session_data)
    for name in names:
        data.pop(name)
    row.session_data = store.encode(data)
    row.save(update_fields=["session_data"])


def sign_out(browser: Browser) -> int:
    answer = browser.session.post(
        f"{browser.portal_url}/accounts/logout/",
        data={"csrfmiddlewaretoken": browser.session.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )
    return answer.status_code


def known_guardian(esia: EsiaSetup, world: World) -> str:
    oid = str(world.guardian_user.esia_oid)
    esia.emulator.write_people([esia_person(oid, world.guardian)])
    return oid


def test_settings_without_redis_keep_memory_and_db(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = settings_with_environment(monkeypatch)

    backend = names["CACHES"]["default"]["BACKEND"]
    assert backend == "django.core.cache.backends.locmem.LocMemCache"
    assert names["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_settings_with_redis_fail_soft(monkeypatch: pytest.MonkeyPatch) -> None:
    names = settings_with_environment(monkeypatch, REDIS_URL="redis://127.0.0.1:1/0")

    cache_settings = names["CACHES"]["default"]
    assert cache_settings["BACKEND"] == "django_redis.cache.RedisCache"
    assert cache_settings["LOCATION"] == "redis://127.0.0.1:1/0"
    assert cache_settings["OPTIONS"]["IGNORE_EXCEPTIONS"] is True
    assert cache_settings["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] == 0.25
    assert cache_settings["OPTIONS"]["SOCKET_TIMEOUT"] == 0.5
    assert names["DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS"] is True
    assert names["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


def test_cache_value_stored_in_redis(redis_settings: RedisProcess) -> None:
    cache.set("probe", {"answer": 42}, timeout=60)

    assert cache.get("probe") == {"answer": 42}
    assert redis_settings.client().exists(":1:probe") == 1


def test_session_read_from_redis(redis_settings: RedisProcess, world: World) -> None:
    client = Client()
    client.force_login(world.guardian_user)
    session_key = client.cookies["sessionid"].value
    assert redis_settings.client().exists(session_cache_key(session_key)) == 1
    # The user id is now only in the copy in Redis.
    drop_from_database_copy(session_key, SESSION_KEY)

    response = client.get(reverse("diary:week"))

    assert response.status_code == 200
    assert response.wsgi_request.user == world.guardian_user


def test_session_survives_redis_flush(
    redis_settings: RedisProcess, world: World
) -> None:
    client = Client()
    client.force_login(world.guardian_user)
    session_key = client.cookies["sessionid"].value
    redis_settings.client().flushall()

    response = client.get(reverse("diary:week"))

    assert response.status_code == 200
    assert response.wsgi_request.user == world.guardian_user
    # The database copy is cached again on the first read.
    assert redis_settings.client().exists(session_cache_key(session_key)) == 1


def test_signed_in_user_served_after_redis_killed(
    redis_settings: RedisProcess, world: World
) -> None:
    client = Client()
    client.force_login(world.guardian_user)
    redis_settings.kill()

    week = client.get(reverse("diary:week"))
    signed_out = client.post(reverse("account_logout"))
    home = client.get(reverse("home"))

    assert week.status_code == 200
    assert week.wsgi_request.user == world.guardian_user
    assert signed_out.status_code == 302
    assert not home.wsgi_request.user.is_authenticated


def test_page_served_while_redis_hangs(
    redis_settings: RedisProcess, world: World
) -> None:
    client = Client()
    client.force_login(world.guardian_user)
    redis_settings.pause()
    try:
        started = time.monotonic()
        response = client.get(reverse("diary:week"))
        elapsed = time.monotonic() - started
    finally:
        redis_settings.resume()

    assert response.status_code == 200
    assert response.wsgi_request.user == world.guardian_user
    assert elapsed < HUNG_REDIS_PAGE_SECONDS


@pytest.mark.slow
def test_esia_state_round_trips_through_redis(
    redis_portal: EsiaSetup, redis_settings: RedisProcess, world: World
) -> None:
    oid = known_guardian(redis_portal, world)
    browser = redis_portal.browser()

    at_esia = browser.start_sign_in()
    state = parse_qs(urlsplit(at_esia.url).query)["state"][0]
    session_key = browser.session.cookies["sessionid"]
    stored = cache.get(KEY_PREFIX + session_key)
    assert state in stored[statekit.STATES_SESSION_KEY]
    # The callback can now find the state only in Redis.
    drop_from_database_copy(session_key, statekit.STATES_SESSION_KEY)
    signed_in = browser.choose_at_esia(at_esia, oid=oid)

    assert signed_in.status_code == 200
    assert browser.is_signed_in()
    new_key = browser.session.cookies["sessionid"]
    assert new_key != session_key
    assert redis_settings.client().exists(session_cache_key(new_key)) == 1
    assert Session.objects.filter(session_key=new_key).exists()


@pytest.mark.slow
def test_esia_sign_in_and_out_while_redis_down(
    redis_portal: EsiaSetup, redis_settings: RedisProcess, world: World
) -> None:
    oid = known_guardian(redis_portal, world)
    browser = redis_portal.browser()
    redis_settings.kill()

    browser.sign_in_as(oid)
    signed_in = browser.is_signed_in()
    week = browser.session.get(
        redis_portal.portal_url + reverse("diary:week"), timeout=10
    )
    signed_out = sign_out(browser)

    assert signed_in
    assert week.status_code == 200
    assert signed_out == 302
    assert not browser.is_signed_in()


@pytest.mark.slow
def test_signed_in_user_keeps_page_when_redis_dies(
    redis_portal: EsiaSetup, redis_settings: RedisProcess, world: World
) -> None:
    oid = known_guardian(redis_portal, world)
    browser = redis_portal.browser()
    browser.sign_in_as(oid)
    assert browser.is_signed_in()

    redis_settings.kill()
    week = browser.session.get(
        redis_portal.portal_url + reverse("diary:week"), timeout=10
    )
    still_signed_in = browser.is_signed_in()

    assert week.status_code == 200
    assert still_signed_in
    assert sign_out(browser) == 302
    assert not browser.is_signed_in()


def test_cache_logger_throttled() -> None:
    log = logging.getLogger("eschool.cache")

    assert any(isinstance(item, ThrottleRepeats) for item in log.filters)


def test_throttle_drops_repeats_and_counts_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr("eschool.log_throttle.time.monotonic", lambda: now[0])
    throttle = ThrottleRepeats(interval_seconds=60)

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord(
            "eschool.cache", logging.ERROR, "", 0, message, (), None
        )

    first = record("Exception ignored")
    assert throttle.filter(first) is True
    assert throttle.filter(record("Exception ignored")) is False
    assert throttle.filter(record("Exception ignored")) is False
    assert throttle.filter(record("Another failure")) is True

    now[0] += 61
    later = record("Exception ignored")
    assert throttle.filter(later) is True
    assert later.getMessage() == "Exception ignored (2 more dropped since the last one)"
