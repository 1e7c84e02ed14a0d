"""A logging filter that keeps one repeated error from flooding the log."""

from __future__ import annotations

import logging
import threading
import time


class ThrottleRepeats(logging.Filter):
    """Pass the first record of each kind, then at most one per interval.

    Records of one kind share the logger, the message template and the
    exception type. A record that passes after others were dropped carries
    their count in its message.
    """

    def __init__(self, interval_seconds: float = 60.0) -> None:
        super().__init__()
        self.interval_seconds = interval_seconds
        self._lock = threading.Lock()
        self._last_passed: dict[tuple[str, str, str], float] = {}
        self._dropped: dict[tuple[str, str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        exception_type = record.exc_info[0] if record.exc_info else None
        kind = (record.name, str(record.msg), getattr(exception_type, "__name__", ""))
        now = time.monotonic()
        with self._lock:
            last = self._last_passed.get(kind)
            if last is not None and now - last < self.interval_seconds:
                self._dropped[kind] = self._dropped.get(kind, 0) + 1
                return False
            self._last_passed[kind] = now
            dropped = self._dropped.pop(kind, 0)
        if dropped:
            record.msg = (
                f"{record.getMessage()} ({dropped} more dropped since the last one)"
            )
            record.args = None
        return True
