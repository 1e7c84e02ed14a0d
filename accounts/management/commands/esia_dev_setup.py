"""Prepare the portal's development ESIA credentials and register them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.esia import dev, gost

DEFAULT_REDIRECT_URIS = [
    "http://127.0.0.1:8000/accounts/esia/login/callback/",
    "http://localhost:8000/accounts/esia/login/callback/",
]


class Command(BaseCommand):
    help = (
        "Create a development GOST key and self-signed certificate for ESIA "
        "(if missing) and register the portal with the local ESIA emulator."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=Path(settings.VAR_DIR) / "esia",
            help="the emulator's data folder (default: var/esia)",
        )
        parser.add_argument(
            "--redirect-uri",
            action="append",
            help="an allowed callback URL; repeat for several "
            "(default: the callback on 127.0.0.1:8000 and localhost:8000)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("esia_dev_setup is for development: DEBUG is off.")
        key_file = Path(settings.ESIA_PORTAL_KEY_FILE)
        cert_file = Path(settings.ESIA_PORTAL_CERT_FILE)
        try:
            dev.ensure_dev_credentials(key_file, cert_file, settings.ESIA_CLIENT_ID)
            dev.register_with_emulator(
                options["data_dir"],
                settings.ESIA_CLIENT_ID,
                options["redirect_uri"] or DEFAULT_REDIRECT_URIS,
                cert_file,
            )
        except (OSError, gost.GostError) as error:
            raise CommandError(f"ESIA development set-up failed: {error}") from error
        self.stdout.write(
            f"ESIA client {settings.ESIA_CLIENT_ID} is registered in "
            f"{options['data_dir']} with the certificate {cert_file}."
        )
