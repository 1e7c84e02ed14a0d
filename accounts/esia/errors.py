"""Errors of the ESIA sign-in flow and the explanation each one gets."""

from __future__ import annotations

import enum
import re

import requests
from allauth.socialaccount.providers.base import ProviderException

ESIA_CODE = re.compile(r"ESIA-\d{6}")


class EsiaError(ProviderException):
    """ESIA returned a response that the portal cannot accept.

    django-allauth catches ``ProviderException`` in the callback view and shows
    the authentication error page, so nobody is signed in. ``esia_code`` is
    the ``ESIA-0070xx`` code of ESIA's response, when it has one, and
    ``forbidden`` is set for an HTTP 403 of the REST API (a scope not granted).
    """

    def __init__(
        self, message: str, *, esia_code: str = "", forbidden: bool = False
    ) -> None:
        super().__init__(message)
        self.esia_code = esia_code
        self.forbidden = forbidden


def esia_code_in(text: object) -> str:
    """Return the first ``ESIA-NNNNNN`` code in ``text``, or ""."""
    match = ESIA_CODE.search(str(text or ""))
    return match.group(0) if match else ""


class Failure(enum.StrEnum):
    """Why talking to ESIA failed, as the explanation page tells it."""

    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    FORBIDDEN = "forbidden"
    REJECTED = "rejected"


def classify(exception: BaseException | None) -> Failure | None:
    """Name the failure that ``exception`` stands for; None for any other error."""
    if isinstance(exception, requests.Timeout):
        return Failure.TIMEOUT
    if isinstance(exception, requests.ConnectionError):
        return Failure.UNREACHABLE
    if isinstance(exception, EsiaError):
        if exception.forbidden:
            return Failure.FORBIDDEN
        if exception.esia_code:
            return Failure.REJECTED
    return None
