"""Gunicorn settings, read from the environment.

Gunicorn loads this file by itself when started in the project folder, or
through `gunicorn -c gunicorn.conf.py`. Every value has a default, and the
worker count follows the number of cores. docs/deployment.md lists the
variables.
"""

import multiprocessing
import os
from typing import Any

from gunicorn import glogging

from eschool.log_redaction import redact


def _int_from_env(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {value!r}") from None


wsgi_app = "eschool.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threaded workers: a page spends much of its time waiting for PostgreSQL, so
# a few threads per process keep the cores busy with less memory than more
# processes would take.
workers = _int_from_env("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int_from_env("GUNICORN_THREADS", 4)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# Seconds a request may run before its worker is killed and restarted.
timeout = _int_from_env("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int_from_env("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int_from_env("GUNICORN_KEEPALIVE", 5)
# Restart each worker after this many requests (with jitter) to bound leaks;
# 0 turns it off.
max_requests = _int_from_env("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int_from_env("GUNICORN_MAX_REQUESTS_JITTER", 200)
# nginx in front keeps the access log, so gunicorn writes none unless
# GUNICORN_ACCESS_LOG names a file ("-" is stderr). Its lines carry no query
# string, and the logger below cuts calendar feed tokens out of paths.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# nginx on the same host sets X-Forwarded-For and X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


class RedactingLogger(glogging.Logger):
    """Gunicorn's logger with calendar feed tokens cut out of request paths."""

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        values: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r"):
            if isinstance(values.get(key), str):
                values[key] = redact(values[key])
        return values


logger_class = RedactingLogger
