"""Signers of the ``client_secret`` that ESIA's v2 protocol requires.

``settings.ESIA_SIGNER`` is the dotted path of a class with the
:class:`Signer` interface, built with no arguments. The default,
:class:`GostSigner`, signs with the portal's GOST R 34.10-2012 key in pure
Python. :class:`CommandSigner` runs an external command for each signature,
for a deployment that must keep its key in a certified crypto provider.
"""

from __future__ import annotations

import base64
import binascii
import logging
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from accounts.esia import gost

logger = logging.getLogger(__name__)

# How much of the command's error output goes into the log line.
STDERR_LOG_LIMIT = 500


class SigningError(Exception):
    """A signature could not be made; the sign-in cannot go on."""


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


def _certificate_hash_of(cert_path: Path) -> str:
    try:
        certificate = gost.load_certificate(cert_path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, gost.GostError) as error:
        raise ImproperlyConfigured(
            f"Cannot load the ESIA portal certificate {cert_path}: {error}."
        ) from error
    return gost.certificate_hash(certificate.der)


class CommandSigner:
    """Signs by running ``settings.ESIA_SIGNER_COMMAND`` once per signature.

    The command is a list of arguments, run without a shell. It gets the text
    to sign as UTF-8 on standard input and prints the raw 64-byte GOST
    R 34.10-2012 signature (``s`` then ``r``, as :func:`gost.sign` returns it)
    in base64 or base64url on standard output. A non-zero exit status, output
    that is not such a signature, or a run longer than
    ``settings.ESIA_SIGNER_TIMEOUT_SECONDS`` raises :class:`SigningError`.

    The key stays with the command; the portal reads only the certificate
    ``settings.ESIA_PORTAL_CERT_FILE`` for ``client_certificate_hash``.
    """

    def __init__(
        self,
        command: list[str] | None = None,
        cert_file: str | Path | None = None,
        timeout: float | None = None,
    ) -> None:
        self._command = list(command or settings.ESIA_SIGNER_COMMAND)
        if not self._command or not all(
            isinstance(part, str) and part for part in self._command
        ):
            raise ImproperlyConfigured(
                "ESIA_SIGNER_COMMAND must be a non-empty list of arguments for "
                "the CommandSigner."
            )
        self._timeout = float(timeout or settings.ESIA_SIGNER_TIMEOUT_SECONDS)
        self._certificate_hash = _certificate_hash_of(
            Path(cert_file or settings.ESIA_PORTAL_CERT_FILE)
        )

    def sign(self, text: str) -> str:
        program = self._command[0]
        try:
            finished = subprocess.run(  # noqa: S603
                self._command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            return self._fail(f"{program} ran longer than {self._timeout:g} s", error)
        except OSError as error:
            return self._fail(f"{program} could not be started: {error}", error)
        if finished.returncode != 0:
            stderr = finished.stderr.decode("utf-8", "replace").strip()
            return self._fail(
                f"{program} exited with status {finished.returncode}: "
                f"{stderr[:STDERR_LOG_LIMIT]}"
            )
        signature = self._decode(finished.stdout)
        if signature is None:
            return self._fail(
                f"{program} printed no base64 signature of {2 * gost.KEY_SIZE} bytes"
            )
        return base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")

    def certificate_hash(self) -> str:
        return self._certificate_hash

    @staticmethod
    def _decode(output: bytes) -> bytes | None:
        # Line breaks are allowed (``openssl base64`` wraps at 64 columns), and
        # the base64url alphabet is read as base64.
        text = b"".join(output.split()).replace(b"-", b"+").replace(b"_", b"/")
        try:
            signature = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            return None
        return signature if len(signature) == 2 * gost.KEY_SIZE else None

    @staticmethod
    def _fail(reason: str, cause: BaseException | None = None) -> str:
        # The signed text holds the one-time code, so it is not logged.
        logger.error("ESIA signing command failed: %s", reason)
        raise SigningError(reason) from cause


@lru_cache(maxsize=4)
def _build_signer(
    path: str, key_file: str, cert_file: str, command: tuple[str, ...]
) -> Signer:
    signer_class = import_string(path)
    return signer_class()  # type: ignore[no-any-return]


def get_signer() -> Signer:
    """Return the configured signer, built once per setting values."""
    return _build_signer(
        settings.ESIA_SIGNER,
        str(settings.ESIA_PORTAL_KEY_FILE),
        str(settings.ESIA_PORTAL_CERT_FILE),
        tuple(getattr(settings, "ESIA_SIGNER_COMMAND", ())),
    )


def clear_signer_cache() -> None:
    """Forget built signers, for example after new key files were written."""
    _build_signer.cache_clear()
