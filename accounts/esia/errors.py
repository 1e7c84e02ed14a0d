"""Errors of the ESIA sign-in flow."""

from __future__ import annotations

from allauth.socialaccount.providers.base import ProviderException


class EsiaError(ProviderException):
    """ESIA returned a response that the portal cannot accept.

    django-allauth catches ``ProviderException`` in the callback view and shows
    the authentication error page, so nobody is signed in.
    """
