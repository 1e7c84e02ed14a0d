"""Send the e-mail digests of new marks; meant to run from a scheduler."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand

from diary.notices import send_mark_digests

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Отправить сводки о новых отметках подписавшимся пользователям."

    def handle(self, *args: Any, **options: Any) -> None:
        logger.info("Mark digests started")
        result = send_mark_digests()
        logger.info(
            "Mark digests done: %s sent, %s skipped", result.sent, result.skipped
        )
        self.stdout.write(
            f"Отправлено сводок: {result.sent}, пропущено: {result.skipped}."
        )
