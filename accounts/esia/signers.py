"""Signers of the ``client_secret`` that ESIA's v2 protocol requires.

``settings.ESIA_SIGNER`` is the dotted path of a class with the
:class:`Signer` interface, built with no arguments. The default,
:class:`GostSigner`, signs with the portal's GOST R 34.10-2012 key in pure
Python. A deployment that keeps its key in a certified crypto provider plugs
in its own class here.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from accounts.esia import gost


class Signer(Protocol):
    """Produces ``client_secret`` and ``client_certificate_hash`` values."""

    def sign(self, text: str) -> str:
        """Sign the UTF-8 bytes of ``text``; return base64url without padding."""
        ...

    def certificate_hash(self) -> str:
        """Return the uppercase hex Streebog-256 of the certificate DER."""
        ...


class GostSigner:
    """Raw GOST R 34.10-2012 (256-bit) signatures with a key from a PEM file.

    Reads ``settings.ESIA_PORTAL_KEY_FILE`` (PKCS#8) and
    ``settings.ESIA_PORTAL_CERT_FILE`` (X.509, PEM) once, when built.
    """

    def __init__(
        self, key_file: str | Path | None = None, cert_file: str | Path | None = None
    ) -> None:
        key_path = Path(key_file or settings.ESIA_PORTAL_KEY_FILE)
        cert_path = Path(cert_file or settings.ESIA_PORTAL_CERT_FILE)
        try:
            self._private_key = gost.private_key_from_pem(
                key_path.read_text(encoding="ascii")
            )
            certificate = gost.load_certificate(cert_path.read_text(encoding="ascii"))
        except (OSError, gost.GostError) as error:
            raise ImproperlyConfigured(
                f"Cannot load the ESIA signing key {key_path} or certificate "
                f"{cert_path}: {error}. Run `manage.py esia_dev_setup` for a "
                "development key."
            ) from error
        if certificate.public_key != gost.public_key_of(self._private_key):
            raise ImproperlyConfigured(
                f"The certificate {cert_path} does not belong to the key {key_path}."
            )
        self._certificate_hash = gost.certificate_hash(certificate.der)

    def sign(self, text: str) -> str:
        signature = gost.sign(self._private_key, text.encode("utf-8"))
        return base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")

    def certificate_hash(self) -> str:
        return self._certificate_hash


@lru_cache(maxsize=4)
def _build_signer(path: str, key_file: str, cert_file: str) -> Signer:
    signer_class = import_string(path)
    return signer_class()  # type: ignore[no-any-return]


def get_signer() -> Signer:
    """Return the configured signer, built once per setting values."""
    return _build_signer(
        settings.ESIA_SIGNER,
        str(settings.ESIA_PORTAL_KEY_FILE),
        str(settings.ESIA_PORTAL_CERT_FILE),
    )


def clear_signer_cache() -> None:
    """Forget built signers, for example after new key files were written."""
    _build_signer.cache_clear()
