"""Fixtures for ESIA sign-in tests: the emulator, the portal and a browser."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from accounts.esia import dev
from accounts.esia.signers import clear_signer_cache
from esia_emulator.testing import RunningEmulator, running_emulator
from school.models import Person
from school.snils import format_snils

CALLBACK_PATH = "/accounts/esia/login/callback/"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TICKET_FIELD = re.compile(r"name='ticket' value='([^']+)'")


def esia_person(
    oid: str,
    record: Person | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Build a people.json entry; with ``record`` its names and SNILS are used."""
    entry: dict[str, Any] = {
        "oid": oid,
        "snils": format_snils(record.snils) if record and record.snils else None,
        "last_name": record.last_name if record else "Неизвестная",
        "first_name": record.first_name if record else "Ольга",
        "middle_name": record.middle_name if record else "Петровна",
        "birth_date": (
            record.birth_date.strftime("%d.%m.%Y")
            if record and record.birth_date
            else "01.01.1980"
        ),
        "gender": "F",
        "trusted": True,
        "level": "PR",
        "email": None,
        "email_verified": False,
        "mobile": None,
        "role": "guardian",
        "label": f"Пользователь {oid}",
        "kids": [],
    }
    entry.update(overrides)
    return entry


@dataclass
class Browser:
    """A ``requests.Session`` that walks the portal and the emulator like a user."""

    portal_url: str
    session: requests.Session = field(default_factory=requests.Session)

    def csrf_token(self, html: str) -> str:
        match = CSRF_FIELD.search(html)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def start_sign_in(self) -> requests.Response:
        """Press «Войти через Госуслуги» and land on the emulator's page."""
        home = self.session.get(f"{self.portal_url}/", timeout=10)
        assert "Войти через Госуслуги" in home.text
        return self.session.post(
            f"{self.portal_url}/accounts/esia/login/",
            data={"csrfmiddlewaretoken": self.csrf_token(home.text)},
            timeout=10,
        )

    def choose_at_esia(
        self, page: requests.Response, follow: bool = True, **form: str
    ) -> requests.Response:
        match = TICKET_FIELD.search(page.text)
        assert match, f"not the emulator's sign-in page: {page.text[:300]}"
        action = page.url.split("?", 1)[0]
        return self.session.post(
            action,
            data={"ticket": match.group(1), **form},
            allow_redirects=follow,
            timeout=10,
        )

    def sign_in_as(self, oid: str) -> requests.Response:
        return self.choose_at_esia(self.start_sign_in(), oid=oid)

    def register(self, signup_page: requests.Response, email: str) -> requests.Response:
        assert "Завершение регистрации" in signup_page.text, signup_page.text[:500]
        return self.session.post(
            signup_page.url,
            data={
                "csrfmiddlewaretoken": self.csrf_token(signup_page.text),
                "email": email,
            },
            allow_redirects=False,
            timeout=10,
        )

    def is_signed_in(self) -> bool:
        """The start page redirects a signed-in user and shows the button otherwise."""
        home = self.session.get(
            f"{self.portal_url}/", allow_redirects=False, timeout=10
        )
        return home.status_code == 302


@dataclass
class EsiaSetup:
    emulator: RunningEmulator
    portal_url: str

    def browser(self) -> Browser:
        return Browser(self.portal_url)


@pytest.fixture(scope="session")
def portal_credentials(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("portal-esia")
    return dev.ensure_dev_credentials(
        folder / "portal_key.pem", folder / "portal_cert.pem", "ESCHOOL"
    )


def configure_portal(
    settings: Any,
    emulator: RunningEmulator,
    portal_url: str,
    credentials: tuple[Path, Path],
) -> None:
    """Point the portal at ``emulator`` and register the portal there."""
    key_file, cert_file = credentials
    settings.ESIA_BASE_URL = emulator.base_url
    settings.ESIA_PUBLIC_KEY_FILES = [str(emulator.public_key_file)]
    settings.ESIA_PORTAL_KEY_FILE = str(key_file)
    settings.ESIA_PORTAL_CERT_FILE = str(cert_file)
    clear_signer_cache()
    emulator.register(
        settings.ESIA_CLIENT_ID,
        [portal_url + CALLBACK_PATH],
        cert_file.read_text(encoding="ascii"),
    )


@pytest.fixture
def esia(
    live_server: Any,
    transactional_db: None,
    settings: Any,
    portal_credentials: tuple[Path, Path],
) -> Iterator[EsiaSetup]:
    """Run the emulator, point the portal at it and register the portal there."""
    with running_emulator() as emulator:
        configure_portal(settings, emulator, live_server.url, portal_credentials)
        yield EsiaSetup(emulator=emulator, portal_url=live_server.url)
    clear_signer_cache()


def birthday_years_ago(years: int, days: int = 0) -> datetime.date:
    today = datetime.date.today()
    if (today.month, today.day) == (2, 29):
        today -= datetime.timedelta(days=1)
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)
