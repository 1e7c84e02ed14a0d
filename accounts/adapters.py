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
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.esia import client
from accounts.esia.errors import EsiaError, classify
from accounts.esia.matching import SignInRefused
from accounts.esia.views import PORTAL_RECORDS_KEY, refusal_response
from accounts.models import SignInFailure, User
from accounts.services import link_person_records, record_sign_in_failure

logger = logging.getLogger(__name__)

STATE_REJECTED_MESSAGE = (
    "Не удалось войти через Госуслуги: ответ Госуслуг пришёл на страницу входа, "
    "которая устарела, уже была использована или открыта в другом браузере. "
    "Нажмите «Войти через Госуслуги» ещё раз."
)
ALREADY_REGISTERED_MESSAGE = (
    "Учётная запись портала для вас уже создана: регистрация была отправлена "
    "дважды или из двух окон. Нажмите «Войти через Госуслуги», чтобы войти."
)
EMAIL_TAKEN_MESSAGE = (
    "Регистрация не завершена: указанный адрес электронной почты только что "
    "занят другой учётной записью портала. Нажмите «Войти через Госуслуги» и "
    "укажите другой адрес."
)
CANCELLED_MESSAGE = (
    "Вход отменён: вы нажали «Отмена» на Госуслугах, поэтому в электронный "
    "дневник вы не вошли. Чтобы войти, нажмите «Войти через Госуслуги»."
)


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
        except IntegrityError as error:
            # Another request won the race: the same form submitted twice, or
            # two first sign-ins of one ESIA identity. The unique esia_oid and
            # e-mail constraints let only one user in; this request creates
            # nothing and explains.
            raise ImmediateHttpResponse(
                self._lost_registration_race(request, sociallogin)
            ) from error
        logger.info("Registered user %s for ESIA oid %s", user.pk, user.esia_oid)
        return user

    @staticmethod
    def _lost_registration_race(
        request: HttpRequest, sociallogin: SocialLogin
    ) -> HttpResponse:
        oid = sociallogin.account.uid
        if User.objects.filter(esia_oid=oid).exists():
            logger.info("ESIA oid %s was registered by a parallel request", oid)
            messages.info(request, ALREADY_REGISTERED_MESSAGE)
        else:
            logger.info("E-mail of ESIA oid %s was taken by a parallel request", oid)
            messages.error(request, EMAIL_TAKEN_MESSAGE)
        return redirect("home")

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
        """Log every failed ESIA sign-in: cancelled, bad state, ESIA errors.

        A callback whose state is missing, unknown, expired or used before,
        and a sign-in cancelled at ESIA, go back to the start page with a
        message; no token request is made for either. Other errors get
        allauth's authentication error page.
        """
        context = extra_context or {}
        if "state_id" in context and exception is None:
            # allauth's callback found no stashed state for this browser:
            # statekit keeps each state for 10 minutes and removes it on use.
            state_id = context["state_id"]
            problem = "unknown, expired or used" if state_id else "missing"
            record_sign_in_failure(
                SignInFailure.Reason.ESIA_ERROR, "", f"state {problem}"
            )
            messages.error(request, STATE_REJECTED_MESSAGE)
            raise ImmediateHttpResponse(redirect("home"))
        if str(error) == "cancelled":
            record_sign_in_failure(
                SignInFailure.Reason.CANCELLED,
                "",
                f"esia_error={request.GET.get('error', '')[:64]}",
            )
            messages.info(request, CANCELLED_MESSAGE)
            raise ImmediateHttpResponse(redirect("home"))
        if exception is not None:
            detail = f"{type(exception).__name__}: {exception}"
        else:
            detail = f"error={error} esia_error={request.GET.get('error', '')}"
        record_sign_in_failure(SignInFailure.Reason.ESIA_ERROR, "", detail)
        failure = classify(exception)
        if failure is not None:
            esia_code = exception.esia_code if isinstance(exception, EsiaError) else ""
            raise ImmediateHttpResponse(
                render(
                    request,
                    "accounts/esia_failure.html",
                    {
                        "failure": failure.value,
                        "esia_code": esia_code,
                        "timeout_seconds": f"{settings.ESIA_TIMEOUT_SECONDS:g}",
                    },
                    status=401,
                )
            )
