"""Start the emulator inside a test.

    from esia_emulator.testing import running_emulator

    with running_emulator(people=[{...}, ...]) as emulator:
        emulator.base_url            # "http://127.0.0.1:54321"
        emulator.public_key_file     # the PEM that verifies its tokens
        emulator.register(client_id, [redirect_uri], certificate_pem)
        emulator.write_people([...]) # replace the people list at any time
        emulator.requests_to("/aas/oauth2/v3/te")  # how many requests it got
        emulator.set_back_channel_delay(2.0)       # slow /te and /rs answers
        emulator.set_code_lifetime(0)              # every code arrives too late
        emulator.rotate_signing_key()              # path of the new public key

The server runs in a background thread on a free 127.0.0.1 port with a
temporary data directory, deleted afterwards. People entries are
:class:`esia_emulator.people.Person` objects or dicts in the people.json form.
For a pytest fixture, call :func:`emulator_fixture` in a conftest module::

    esia_emulator = emulator_fixture()
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from esia_emulator import clients
from esia_emulator.people import PEOPLE_FILE_NAME, Person, write_people
from esia_emulator.server import EmulatorState, make_server
from esia_emulator.signing import PUBLIC_KEY_FILE_NAMES, RS256
from esia_emulator.tokens import DEFAULT_ISSUER

PersonEntry = Person | Mapping[str, Any]


@dataclass(frozen=True)
class RunningEmulator:
    """A started emulator: its address and data directory."""

    base_url: str
    data_dir: Path
    token_algorithm: str = RS256
    server_state: EmulatorState | None = field(default=None, compare=False, repr=False)

    @property
    def public_key_file(self) -> Path:
        """The PEM that verifies tokens: an RSA public key or a GOST certificate."""
        return self.data_dir / PUBLIC_KEY_FILE_NAMES[self.token_algorithm]

    def write_people(self, people: Iterable[PersonEntry]) -> None:
        write_people(self.data_dir / PEOPLE_FILE_NAME, people)

    def register(
        self, client_id: str, redirect_uris: Iterable[str], certificate_pem: str
    ) -> None:
        clients.register(self.data_dir, client_id, redirect_uris, certificate_pem)

    def _state(self) -> EmulatorState:
        if self.server_state is None:
            raise RuntimeError("This emulator was not started by running_emulator.")
        return self.server_state

    def requests_to(self, path: str, method: str = "") -> int:
        """Count the requests the emulator got for ``path``, of any method."""
        return sum(
            1
            for seen in list(self._state().requests_seen)
            if seen.split(" ", 1)[1] == path
            and (not method or seen.startswith(method + " "))
        )

    def set_code_lifetime(self, seconds: int) -> None:
        """Make codes issued from now on valid for ``seconds`` (0: never)."""
        self._state().issuer.code_lifetime_seconds = seconds

    def rotate_signing_key(self) -> Path:
        """Sign tokens with a new key and return the file that verifies it.

        ``public_key_file`` keeps naming the first key.
        """
        return self._state().rotate_token_key()

    def set_back_channel_delay(self, seconds: float) -> None:
        """Delay every ``/te`` and ``/rs`` response by ``seconds``."""
        self._state().back_channel_delay = seconds


@contextmanager
def running_emulator(
    people: Iterable[PersonEntry] = (),
    issuer: str = DEFAULT_ISSUER,
    token_algorithm: str = RS256,
) -> Iterator[RunningEmulator]:
    """Run an emulator in a thread for the duration of the ``with`` block."""
    with tempfile.TemporaryDirectory(prefix="esia-emulator-") as directory:
        data_dir = Path(directory)
        write_people(data_dir / PEOPLE_FILE_NAME, people)
        server = make_server("127.0.0.1", 0, data_dir, issuer, token_algorithm)
        host, port = str(server.server_address[0]), int(server.server_address[1])
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="esia-emulator",
            daemon=True,
        )
        thread.start()
        try:
            yield RunningEmulator(
                base_url=f"http://{host}:{port}",
                data_dir=data_dir,
                token_algorithm=token_algorithm,
                server_state=server.state,
            )
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def emulator_fixture(
    scope: str = "function",
) -> Callable[..., Iterator[RunningEmulator]]:
    """Make a pytest fixture that yields a :class:`RunningEmulator` with no people."""

    @pytest.fixture(scope=scope)  # type: ignore[call-overload]
    def fixture() -> Iterator[RunningEmulator]:
        with running_emulator() as emulator:
            yield emulator

    return fixture  # type: ignore[no-any-return]
