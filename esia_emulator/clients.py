"""Registered information systems: ``DATA_DIR/clients.json``.

Real ESIA keeps this on its technology portal: the mnemonic (``client_id``),
the allowed redirect URIs and the system's certificate. The file is::

    {"clients": [{"client_id": "ESCHOOL",
                  "redirect_uris": ["http://127.0.0.1:8000/accounts/esia/login/callback/"],
                  "certificate": "-----BEGIN CERTIFICATE-----\\n..."}]}

Register from the command line with::

    python -m esia_emulator.clients --data-dir var/esia --client-id ESCHOOL \\
        --redirect-uri http://127.0.0.1:8000/accounts/esia/login/callback/ \\
        --certificate var/esia/portal_cert.pem
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from accounts.esia import gost

logger = logging.getLogger(__name__)

CLIENTS_FILE_NAME = "clients.json"


@dataclass(frozen=True)
class Client:
    """One registered information system."""

    client_id: str
    redirect_uris: tuple[str, ...]
    certificate_pem: str

    def allows_redirect(self, uri: str) -> bool:
        return uri in self.redirect_uris

    def allows_logout_redirect(self, url: str) -> bool:
        """Accept a logout return address on the origin of a redirect URI."""
        target = urlsplit(url)
        return any(
            (target.scheme, target.netloc) == urlsplit(uri)[:2]
            for uri in self.redirect_uris
        )


def _read(path: Path) -> dict[str, Client]:
    if not path.exists():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    clients = {}
    for raw in document.get("clients", []):
        client = Client(
            client_id=raw["client_id"],
            redirect_uris=tuple(raw["redirect_uris"]),
            certificate_pem=raw["certificate"],
        )
        clients[client.client_id] = client
    return clients


def register(
    data_dir: Path,
    client_id: str,
    redirect_uris: Iterable[str],
    certificate_pem: str,
) -> Client:
    """Add or replace the registration of ``client_id`` in ``data_dir``.

    The certificate must be a GOST R 34.10-2012 256-bit certificate in PEM.
    A certificate that cannot be parsed raises ``gost.GostError``.
    """
    gost.load_certificate(certificate_pem)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CLIENTS_FILE_NAME
    clients = _read(path)
    client = Client(client_id, tuple(redirect_uris), certificate_pem)
    clients[client_id] = client
    document = {
        "clients": [
            {
                "client_id": item.client_id,
                "redirect_uris": list(item.redirect_uris),
                "certificate": item.certificate_pem,
            }
            for item in clients.values()
        ]
    }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, indent=2), encoding="utf-8")
    os.replace(temporary, path)
    return client


class ClientStore:
    """The registrations of a data directory, read again when the file changes."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / CLIENTS_FILE_NAME
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._clients: dict[str, Client] = {}

    def get(self, client_id: str) -> Client | None:
        with self._lock:
            self._reload_if_changed()
            return self._clients.get(client_id)

    def _reload_if_changed(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._clients = None, {}
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            self._clients = _read(self.path)
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.error("Cannot read %s: %s", self.path, error)
            return
        logger.info("Loaded %d clients from %s", len(self._clients), self.path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m esia_emulator.clients",
        description="Register an information system with the ESIA emulator.",
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--client-id", required=True, help="the mnemonic")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        required=True,
        help="an allowed redirect URI; repeat for several",
    )
    parser.add_argument(
        "--certificate",
        type=Path,
        required=True,
        help="the system's GOST certificate, PEM file",
    )
    arguments = parser.parse_args(argv)
    try:
        register(
            arguments.data_dir,
            arguments.client_id,
            arguments.redirect_uri,
            arguments.certificate.read_text(encoding="ascii"),
        )
    except (OSError, gost.GostError) as error:
        parser.error(f"cannot register {arguments.client_id}: {error}")
    print(f"Registered {arguments.client_id} in {arguments.data_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
