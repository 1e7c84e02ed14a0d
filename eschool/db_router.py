"""Database routing between the primary and a streaming read replica.

Settings install ``PrimaryReplicaRouter`` only when ``DATABASE_REPLICA_URL``
is set. The replica serves the reads of the ``diary``, ``journal`` and
``school`` apps in GET and HEAD requests, and only while the browser is not
pinned to the primary. Every other read and every write goes to the primary
(alias ``default``). Reads of sessions, users and sign-in records
(``sessions``, ``auth``, ``accounts``, allauth) always stay on the primary,
because a session read from a lagging replica right after sign-in would sign
the user out again. So does every read of a request to the sign-in pages or
the admin site.

``ReplicaPinMiddleware`` decides per request whether replica reads are
allowed and passes the decision to the router in a context variable. After a request
that wrote (a POST, PUT, PATCH or DELETE that reached a view, or any write
to a replica-routed app that the router saw) it sets a signed cookie that
keeps the browser's reads on the primary for
``DATABASE_REPLICA_PIN_SECONDS``, so a teacher sees the mark they have just
saved. Code outside a request (management commands, shell, tests) reads
from the primary.

The replica lags behind the primary (``replay_lag`` in the primary's
``pg_stat_replication``), so pages of other users show a change that late. That
includes access rules: a withdrawn consent or a revoked calendar feed
address closes the diary on the replica only once the change has arrived.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PRIMARY_ALIAS = "default"
REPLICA_ALIAS = "replica"
# Apps whose reads may come from the replica in GET and HEAD requests.
REPLICA_APPS = frozenset({"diary", "journal", "school"})
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

PIN_COOKIE = "primary_pin"
PIN_COOKIE_SALT = "eschool.db_router.pin"


@dataclass
class RequestRouting:
    """Routing state of the request that the current thread or task serves."""

    replica_allowed: bool
    view_called: bool = False
    wrote: bool = False


_current_request: contextvars.ContextVar[RequestRouting | None] = (
    contextvars.ContextVar("eschool_request_routing", default=None)
)


def replica_configured() -> bool:
    """Tell whether the settings define the replica alias and install the router."""
    routers = getattr(settings, "DATABASE_ROUTERS", [])
    return REPLICA_ALIAS in settings.DATABASES and any(
        router == f"{__name__}.PrimaryReplicaRouter" for router in routers
    )


class PrimaryReplicaRouter:
    """Send diary, journal and school reads of unpinned GET requests to the replica."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        routing = _current_request.get()
        if routing is None or not routing.replica_allowed or routing.wrote:
            return PRIMARY_ALIAS
        if model._meta.app_label not in REPLICA_APPS:
            return PRIMARY_ALIAS
        # A transaction on the primary must read its own uncommitted rows,
        # and select_for_update() must run on the connection of that transaction.
        if connections[PRIMARY_ALIAS].in_atomic_block:
            return PRIMARY_ALIAS
        return REPLICA_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        routing = _current_request.get()
        if routing is not None and model._meta.app_label in REPLICA_APPS:
            # The rest of this request and the browser's next requests read
            # from the primary, which already has the write.
            routing.wrote = True
        return PRIMARY_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        aliases = {PRIMARY_ALIAS, REPLICA_ALIAS}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        # The replica copies the primary's schema through streaming replication.
        return db == PRIMARY_ALIAS


# Monotonic time until which requests read from the primary because the
# replica could not be reached.
_replica_down_until = 0.0


def replica_reachable() -> bool:
    """Connect to the replica, or report it down and skip it for a while.

    While the replica is down, requests read from the primary and retry the
    replica every ``DATABASE_REPLICA_RETRY_SECONDS``. A replica that fails in
    the middle of a request still fails that request.
    """
    global _replica_down_until
    now = time.monotonic()
    if now < _replica_down_until:
        return False
    try:
        # A kept connection runs its health check here (CONN_HEALTH_CHECKS)
        # and reconnects when the check fails.
        connections[REPLICA_ALIAS].ensure_connection()
    except DatabaseError as error:
        retry = settings.DATABASE_REPLICA_RETRY_SECONDS
        _replica_down_until = now + retry
        logger.warning(
            "Read replica unreachable, reading from the primary for %s s: %s",
            retry,
            error,
        )
        return False
    return True


class ReplicaPinMiddleware:
    """Allow replica reads for a request, and pin the browser after a write.

    Django drops the middleware (MiddlewareNotUsed) when no replica is set up.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not replica_configured():
            raise MiddlewareNotUsed("No database replica is configured.")
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pin_seconds = settings.DATABASE_REPLICA_PIN_SECONDS
        routing = RequestRouting(
            replica_allowed=request.method in READ_ONLY_METHODS
            and not request.path_info.startswith(self._primary_only_paths())
            and not self._is_pinned(request, pin_seconds)
            and replica_reachable()
        )
        token = _current_request.set(routing)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(token)

        write_request = request.method in WRITE_METHODS and routing.view_called
        if routing.wrote or write_request:
            self._pin(response, pin_seconds)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        # The middleware is the last in MIDDLEWARE, so this runs only when no
        # earlier middleware (CSRF, for one) has returned a response instead.
        routing = _current_request.get()
        if routing is not None:
            routing.view_called = True

    @staticmethod
    def _primary_only_paths() -> tuple[str, ...]:
        # Sign-in matches a person by SNILS and links the account, and the
        # admin site's forms save what they show: both must read current rows.
        return ("/accounts/", f"/{settings.ADMIN_URL}")

    @staticmethod
    def _is_pinned(request: HttpRequest, pin_seconds: int) -> bool:
        # The signature carries the time the cookie was set, and max_age
        # rejects a cookie older than the pin, whatever the browser keeps.
        value = request.get_signed_cookie(
            PIN_COOKIE, default=None, salt=PIN_COOKIE_SALT, max_age=pin_seconds
        )
        return value is not None

    @staticmethod
    def _pin(response: HttpResponse, pin_seconds: int) -> None:
        if pin_seconds <= 0:
            return
        response.set_signed_cookie(
            PIN_COOKIE,
            "1",
            salt=PIN_COOKIE_SALT,
            max_age=pin_seconds,
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
        )
