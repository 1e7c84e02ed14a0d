"""Consent withdrawal erases the guardian's personal data but the full name."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from diary import access
from diary.access import DiaryAccess
from school import models as sm
from school import services
from school.tests import factories as f

D = datetime.date


def test_withdrawal_leaves_only_name(world):
    guardian = world.guardian
    guardian.phone = "+7 900 000-00-00"
    guardian.save(update_fields=["phone"])
    consent = sm.Consent.objects.get(guardian=guardian)

    services.withdraw_consent(consent, D(2026, 12, 1), world.school, "заявление № 4")

    guardian.refresh_from_db()
    assert guardian.last_name.startswith("Родителева")
    assert guardian.first_name == "Мария"
    assert guardian.middle_name == "Ивановна"
    assert guardian.snils is None
    assert guardian.birth_date is None
    assert guardian.phone == ""
    assert guardian.user_id is None


def test_withdrawal_scrubs_history(world):
    consent = sm.Consent.objects.get(guardian=world.guardian)
    services.withdraw_consent(consent, D(2026, 12, 1), world.school)
    history = sm.Guardian.history.filter(id=world.guardian.pk)
    assert history.count() >= 2
    assert not history.exclude(snils=None).exists()
    assert not history.exclude(birth_date=None).exists()
    assert not history.exclude(user=None).exists()


def test_withdrawal_records_act(world):
    consent = sm.Consent.objects.get(guardian=world.guardian)
    act = services.withdraw_consent(
        consent, D(2026, 12, 1), world.school, "заявление № 4", world.school_admin_user
    )
    assert act.guardian == world.guardian
    assert act.student == world.child
    assert act.school == world.school
    assert act.withdrawn_on == D(2026, 12, 1)
    assert act.erased_fields == "birth_date, snils"
    assert act.unlinked_account
    assert act.recorded_by == world.school_admin_user
    consent.refresh_from_db()
    assert consent.withdrawn_on == D(2026, 12, 1)


def test_withdrawal_erases_orphan_account(world):
    consent = sm.Consent.objects.get(guardian=world.guardian)
    services.withdraw_consent(consent, D(2026, 12, 1), world.school)
    world.guardian_user.refresh_from_db()
    assert world.guardian_user.email == ""


def test_withdrawal_keeps_account_with_other_role(world):
    staff = world.teacher
    world.guardian.user = None
    world.guardian.save(update_fields=["user"])
    world.guardian.user = world.teacher_user
    world.guardian.save(update_fields=["user"])
    email = world.teacher_user.email
    consent = sm.Consent.objects.get(guardian=world.guardian)
    services.withdraw_consent(consent, D(2026, 12, 1), world.school)
    world.teacher_user.refresh_from_db()
    assert world.teacher_user.email == email
    staff.refresh_from_db()
    assert staff.user == world.teacher_user


def test_withdrawal_closes_diary(world, monkeypatch):
    consent = sm.Consent.objects.get(guardian=world.guardian)
    # Linked again (as after re-registration), the guardian still has no diary.
    services.withdraw_consent(consent, D(2026, 12, 1), world.school)
    world.guardian.user = world.guardian_user
    world.guardian.save(update_fields=["user"])
    monkeypatch.setattr(access, "local_today", lambda _zone: D(2026, 12, 1))
    child, _ = access.get_diary_child_or_404(world.guardian_user, None)
    assert child is not None
    assert child.access is DiaryAccess.NO_CONSENT


def test_withdrawal_twice_rejected(world):
    consent = sm.Consent.objects.get(guardian=world.guardian)
    services.withdraw_consent(consent, D(2026, 12, 1), world.school)
    consent.refresh_from_db()
    with pytest.raises(ValidationError):
        services.withdraw_consent(consent, D(2026, 12, 2), world.school)
    assert sm.ConsentWithdrawal.objects.count() == 1


def test_withdrawal_before_consent_rejected(world):
    consent = sm.Consent.objects.get(guardian=world.guardian)
    with pytest.raises(ValidationError):
        services.withdraw_consent(consent, D(2026, 8, 1), world.school)
    world.guardian.refresh_from_db()
    assert world.guardian.snils is not None


def test_withdrawal_covers_guardian_other_children(world):
    second_child = f.StudentFactory.create()
    f.GuardianLinkFactory.create(guardian=world.guardian, student=second_child)
    second = f.ConsentFactory.create(guardian=world.guardian, student=second_child)
    consent = sm.Consent.objects.get(guardian=world.guardian, student=world.child)
    services.withdraw_consent(consent, D(2026, 12, 1), world.school)
    second.refresh_from_db()
    assert second.withdrawn_on == D(2026, 12, 1)


def test_other_guardian_untouched(world):
    consent = sm.Consent.objects.get(guardian=world.guardian)
    services.withdraw_consent(consent, D(2026, 12, 1), world.school)
    world.other_guardian.refresh_from_db()
    assert world.other_guardian.snils is not None
    assert world.other_guardian.user_id == world.other_guardian_user.pk
