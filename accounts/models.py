"""Portal users. Everyone but the superuser signs in through ESIA."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class PortalUserManager(UserManager["User"]):
    def _create_user_object(  # type: ignore[override]
        self, username: str | None, email: str | None, password: str | None, **extra
    ) -> User:
        email = self.normalize_email(email)
        user = self.model(email=email, **extra)
        user.password = ""
        if password:
            user.set_password(password)
        return user

    def create_user(  # type: ignore[override]
        self, email: str | None = None, password: str | None = None, **extra
    ) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra)
        user.save(using=self._db)
        return user

    def create_superuser(  # type: ignore[override]
        self, email: str | None = None, password: str | None = None, **extra
    ) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A portal account, tied to one ESIA identity (its ``oid``).

    The person records (student, guardian, staff member) point at the user, so
    a teacher who is also a parent has one account and both roles.
    """

    username = None  # type: ignore[assignment]
    email = models.EmailField("адрес электронной почты", blank=True)
    esia_oid = models.CharField(
        "идентификатор ЕСИА", max_length=32, unique=True, null=True, blank=True
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = PortalUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = "пользователь"
        verbose_name_plural = "пользователи"
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=~models.Q(email=""),
                name="user_unique_email",
            ),
        ]

    def __str__(self) -> str:
        return self.email or f"ESIA {self.esia_oid}"


class SignInFailure(models.Model):
    """A refused or failed ESIA sign-in, kept for the support staff.

    Only the ESIA oid and the reason are kept, never the SNILS or names.
    """

    class Reason(models.TextChoices):
        NO_SNILS = "no_snils", "в учётной записи Госуслуг нет СНИЛС"
        INVALID_SNILS = (
            "invalid_snils",
            "СНИЛС в учётной записи Госуслуг недействителен",
        )
        UNKNOWN_SNILS = "unknown_snils", "СНИЛС не найден в данных школ"
        UNCONFIRMED = "unconfirmed", "учётная запись Госуслуг не подтверждена"
        CONFLICT = "conflict", "противоречие в данных школы"
        CANCELLED = "cancelled", "вход отменён на Госуслугах"
        ESIA_ERROR = "esia_error", "ошибка обмена данными с Госуслугами"

    esia_oid = models.CharField("идентификатор ЕСИА", max_length=32, blank=True)
    reason = models.CharField("причина", max_length=32, choices=Reason.choices)
    detail = models.CharField("подробности", max_length=255, blank=True)
    created_at = models.DateTimeField("время", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "неудачный вход через Госуслуги"
        verbose_name_plural = "неудачные входы через Госуслуги"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["esia_oid", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%d.%m.%Y %H:%M} {self.get_reason_display()}"
