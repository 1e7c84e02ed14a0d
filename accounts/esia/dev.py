"""Development credentials: a GOST key and self-signed certificate.

Real ESIA needs the certificate of the information system uploaded on its
technology portal. For the local emulator, :func:`ensure_dev_credentials`
creates a key and certificate on first start and
:func:`register_with_emulator` registers them in the emulator's data folder.
"""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from accounts.esia import gost

logger = logging.getLogger(__name__)

CERTIFICATE_LIFETIME = datetime.timedelta(days=3 * 365)


def ensure_dev_credentials(
    key_file: Path, cert_file: Path, client_id: str
) -> tuple[Path, Path]:
    """Create a key and a matching self-signed certificate if either is missing.

    The certificate is X.509 v3 with a GOST R 34.10-2012 256-bit key
    (paramSetB), self-signed with GOST R 34.10-2012 over Streebog-256, valid
    for three years, subject ``O=Электронная школа (разработка), CN=<client_id>``.
    The key file is written with mode 0600.
    """
    if key_file.exists() and cert_file.exists():
        return key_file, cert_file
    key_file.parent.mkdir(parents=True, exist_ok=True)
    cert_file.parent.mkdir(parents=True, exist_ok=True)
    private_key = gost.generate_private_key()
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    certificate = gost.build_self_signed_certificate(
        private_key,
        common_name=client_id,
        organization="Электронная школа (разработка)",
        not_before=now - datetime.timedelta(days=1),
        not_after=now + CERTIFICATE_LIFETIME,
    )
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(gost.private_key_to_pem(private_key))
    cert_file.write_text(gost.certificate_to_pem(certificate), encoding="ascii")
    logger.info(
        "Created the ESIA development key %s and certificate %s", key_file, cert_file
    )
    return key_file, cert_file


def register_with_emulator(
    data_dir: Path, client_id: str, redirect_uris: Iterable[str], cert_file: Path
) -> None:
    """Register the portal with the ESIA emulator whose data is in ``data_dir``."""
    from esia_emulator import clients

    clients.register(
        data_dir, client_id, list(redirect_uris), cert_file.read_text(encoding="ascii")
    )
    logger.info("Registered %s with the ESIA emulator in %s", client_id, data_dir)
