"""django-allauth adapters: sign-up happens only through ESIA."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.esia import client
from accounts.esia.matching import SignInRefused
from accounts.esia.views import PORTAL_RECORDS_KEY, refusal_response
from accounts.models import SignInFailure, User
from accounts.services import link_person_records, record_sign_in_failure

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Local sign-up with a password is closed; ESIA sign-up goes through
        # SocialAccountAdapter.is_open_for_signup.
        return False

    def authenticate(self, request: HttpRequest, **credentials: Any) -> User | None:
        """Accept a password only from a superuser.

        Everyone else signs in through ESIA, so a password that an ESIA user
        set through allauth's password pages must not open the portal.
        """
        user = super().authenticate(request, **credentials)
        if user is not None and not user.is_superuser:
            logger.warning("Password sign-in rejected for user %s: ESIA only", user.pk)
            return None
        return user  # type: ignore[return-value]

    def pre_login(
        self, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
    ) -> HttpResponse | None:
        """Allow an ESIA sign-in or a superuser, and reject every other sign-in."""
        signal_kwargs = kwargs.get("signal_kwargs") or {}
        sociallogin = signal_kwargs.get("sociallogin")
        from_esia = sociallogin is not None and sociallogin.account.provider == "esia"
        if not from_esia and not getattr(user, "is_superuser", False):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            logger.warning("Sign-in of user %s rejected: not through ESIA", user.pk)
            return render(request, "accounts/esia_only.html", status=403)
        return super().pre_login(request, user, **kwargs)

    def send_password_reset_mail(
        self, user: AbstractBaseUser, email: str, context: dict[str, Any]
    ) -> None:
        # Only superusers have passwords that sign in (see authenticate).
        if not getattr(user, "is_superuser", False):
            logger.info("Password reset skipped for user %s: ESIA only", user.pk)
            return
        super().send_password_reset_mail(user, email, context)

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        """Send an ESIA user on to ESIA's sign-out, which returns to the start page.

        allauth calls this before the session ends, so ``request.user`` is
        still the user who signs out.
        """
        user = request.user
        if user.is_authenticated and getattr(user, "esia_oid", None):
            return client.logout_url(request.build_absolute_uri(reverse("home")))
        return super().get_logout_redirect_url(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(
        self, request: HttpRequest, sociallogin: SocialLogin
    ) -> bool:
        return True

    def generate_state_param(self, state: dict[str, Any]) -> str:
        # ESIA requires the state to be a UUID v4 in its 36-character form.
        return str(uuid.uuid4())

    def populate_user(
        self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]
    ) -> User:
        user: User = super().populate_user(request, sociallogin, data)
        user.esia_oid = sociallogin.account.uid
        return user

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Sign in a known ESIA user and link any newly matched school records.

        A user created before their first ESIA sign-in (by an import or the
        demo seed) is found by ``esia_oid`` and connected to the ESIA account.
        """
        if not sociallogin.is_existing:
            known = User.objects.filter(esia_oid=sociallogin.account.uid).first()
            if known is None:
                return
            sociallogin.connect(request, known)
        user = sociallogin.user
        assert isinstance(user, User)  # noqa: S101
        try:
            link_person_records(
                user, sociallogin.account.extra_data.get(PORTAL_RECORDS_KEY, {})
            )
        except SignInRefused as refusal:
            raise ImmediateHttpResponse(
                refusal_response(request, refusal, sociallogin.account.uid)
            ) from refusal

    def save_user(
        self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None
    ) -> User:
        """Create the user from the sign-up form and link the matched records.

        The user, the social account and the links are saved in one
        transaction, so a conflict found at this point leaves no user behind.
        """
        record_ids = sociallogin.account.extra_data.get(PORTAL_RECORDS_KEY, {})
        try:
            with transaction.atomic():
                user: User = super().save_user(request, sociallogin, form=form)
                link_person_records(user, record_ids)
                self._trust_esia_email(user, sociallogin)
        except SignInRefused as refusal:
            raise ImmediateHttpResponse(
                refusal_response(request, refusal, sociallogin.account.uid)
            ) from refusal
        logger.info("Registered user %s for ESIA oid %s", user.pk, user.esia_oid)
        return user

    @staticmethod
    def _trust_esia_email(user: User, sociallogin: SocialLogin) -> None:
        """Mark the address verified when it is the one ESIA has verified."""
        esia_email = sociallogin.account.extra_data.get("email")
        if esia_email and user.email.lower() == str(esia_email).lower():
            EmailAddress.objects.filter(user=user, email__iexact=user.email).update(
                verified=True
            )

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Exception | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        """Log every failed ESIA sign-in: cancelled, bad state, ESIA errors."""
        reason = (
            SignInFailure.Reason.CANCELLED
            if str(error) == "cancelled"
            else SignInFailure.Reason.ESIA_ERROR
        )
        if exception is not None:
            detail = f"{type(exception).__name__}: {exception}"
        else:
            detail = f"error={error} esia_error={request.GET.get('error', '')}"
        record_sign_in_failure(reason, "", detail)
