"""django-allauth adapters: sign-up happens only through ESIA."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Local sign-up with a password is closed; ESIA sign-up goes through
        # SocialAccountAdapter.is_open_for_signup.
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:  # type: ignore[no-untyped-def]
        return True
