"""Writes of the accounts app: linking school records and logging failures."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import transaction

from accounts.esia.matching import RECORD_MODELS, Refusal, SignInRefused
from accounts.models import SignInFailure, User

logger = logging.getLogger(__name__)


def record_sign_in_failure(reason: str, esia_oid: str = "", detail: str = "") -> None:
    """Log a refused or failed ESIA sign-in and keep it for the help desk.

    ``detail`` must hold no personal data: ids and protocol errors only.
    """
    logger.warning(
        "ESIA sign-in failed for oid %s: %s %s", esia_oid or "-", reason, detail
    )
    SignInFailure.objects.create(
        esia_oid=esia_oid[:32], reason=reason, detail=detail[:255]
    )


@transaction.atomic
def link_person_records(user: User, record_ids: Mapping[str, int]) -> None:
    """Point each matched school record at ``user``.

    Raises :class:`SignInRefused` with ``CONFLICT`` when a record meanwhile
    belongs to another user, or the user already has another record of the
    same kind. Rows are locked, so two sign-ins cannot claim one record.
    """
    for kind, record_id in record_ids.items():
        model = RECORD_MODELS[kind]
        record = model._default_manager.select_for_update().get(pk=record_id)
        if record.user_id == user.pk:  # type: ignore[attr-defined]
            continue
        if record.user_id is not None:  # type: ignore[attr-defined]
            raise SignInRefused(
                Refusal.CONFLICT, f"{kind} {record_id} is linked to another user"
            )
        if model._default_manager.filter(user=user).exclude(pk=record_id).exists():
            raise SignInRefused(
                Refusal.CONFLICT, f"user {user.pk} already has another {kind}"
            )
        record.user = user  # type: ignore[attr-defined]
        record.save(update_fields=["user"])
        logger.info("Linked %s %s to user %s", kind, record_id, user.pk)
