"""Redaction of secrets that travel in URL paths, for every log line.

The private calendar feed address (``/diary/calendar/<token>.ics``) carries
its access token in the path, because calendar programs send no headers.
Django's request logger and gunicorn's access log both print paths.
"""

import logging
import re

CALENDAR_TOKEN = re.compile(r"(/calendar/)[^/?#\s]+(\.ics)")
REDACTED = r"\1[redacted]\2"


def redact(text: str) -> str:
    """Replace calendar feed tokens in ``text``."""
    return CALENDAR_TOKEN.sub(REDACTED, text)


class RedactUrlSecrets(logging.Filter):
    """Rewrite a record's message so it carries no calendar feed token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
