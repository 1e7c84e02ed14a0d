"""Parsing of ids and numbers typed into URLs and forms."""

from __future__ import annotations

# PostgreSQL's bigint has at most 19 digits, so a longer id cannot exist.
MAX_ID_DIGITS = 18


def parse_id(raw: str | None) -> int | None:
    """Return the positive integer written in ASCII digits in ``raw``, else None.

    ``str.isdigit()`` alone also accepts characters such as "²" that ``int()``
    rejects, so both checks are needed.
    """
    if not raw or len(raw) > MAX_ID_DIGITS:
        return None
    if not (raw.isascii() and raw.isdecimal()):
        return None
    return int(raw)
