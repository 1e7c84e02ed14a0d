"""SNILS matching and record linking, without HTTP."""

from __future__ import annotations

import datetime
from typing import cast
from unittest import mock

import pytest

from accounts.esia.matching import (
    EsiaPerson,
    Refusal,
    SignInRefused,
    age_on,
    match_person,
    person_from_esia,
)
from accounts.models import User
from accounts.services import link_person_records
from accounts.tests.factories import UserFactory
from conftest import World
from school.models import Guardian
from school.snils import format_snils
from school.tests import factories as f

TODAY = datetime.date(2026, 12, 4)


def _person(snils: str | None, trusted: bool = True, level: str = "PR") -> EsiaPerson:
    return EsiaPerson(
        oid="1000300101",
        last_name="Иванова",
        first_name="Мария",
        middle_name="",
        birth_date=None,
        snils=snils,
        trusted=trusted,
        level=level,
    )


@pytest.mark.parametrize(
    ("birth", "age"),
    [
        (datetime.date(2012, 12, 4), 14),
        (datetime.date(2012, 12, 5), 13),
        (datetime.date(2012, 2, 29), 14),
    ],
)
def test_age_on(birth: datetime.date, age: int) -> None:
    assert age_on(birth, TODAY) == age


def test_person_from_esia_reads_fields() -> None:
    person = person_from_esia(
        "1000300101",
        {"urn:esia:sbj": {"urn:esia:sbj:lvl": "PR", "urn:esia:sbj:is_tru": True}},
        {"lastName": "Иванова", "birthDate": "01.06.1985", "snils": "112-233-445 95"},
        [
            {"type": "EML", "value": "old@example.ru", "vrfStu": "NOT_VERIFIED"},
            {"type": "EML", "value": "new@example.ru", "vrfStu": "VERIFIED"},
        ],
    )

    assert person.trusted
    assert person.birth_date == datetime.date(1985, 6, 1)
    assert person.email == "new@example.ru"
    assert "snils" not in person.public_data()


def test_untrusted_without_is_tru() -> None:
    person = person_from_esia("1", {}, {"trusted": False}, [])

    assert not person.is_confirmed
    assert person.level == "P"


def test_guardian_matched(world: World) -> None:
    world.guardian.user = None
    world.guardian.save(update_fields=["user"])

    records = match_person(_person(format_snils(str(world.guardian.snils))), TODAY)

    assert records.ids() == {"guardian": world.guardian.pk}


def test_snils_with_other_separators(world: World) -> None:
    world.guardian.user = None
    world.guardian.save(update_fields=["user"])
    digits = str(world.guardian.snils)

    records = match_person(_person(f"{digits[:3]} {digits[3:6]} {digits[6:]}"), TODAY)

    assert records.ids() == {"guardian": world.guardian.pk}


def test_two_records_of_one_kind_conflict(world: World) -> None:
    # The database forbids equal SNILS within one kind, so the duplicate is
    # simulated at the query.
    second = f.GuardianFactory.build(pk=10**6, snils=world.guardian.snils)
    duplicates = mock.MagicMock()
    duplicates.select_related.return_value.__getitem__.return_value = [
        world.guardian,
        second,
    ]
    with (
        mock.patch.object(Guardian._default_manager, "filter", return_value=duplicates),
        pytest.raises(SignInRefused) as caught,
    ):
        match_person(_person(format_snils(str(world.guardian.snils))), TODAY)

    assert caught.value.reason == Refusal.CONFLICT
    assert "several guardian" in caught.value.detail


def test_student_without_birth_date_needs_confirmation(world: World) -> None:
    world.child.user = None
    world.child.birth_date = None
    world.child.save(update_fields=["user", "birth_date"])

    with pytest.raises(SignInRefused) as caught:
        match_person(_person(format_snils(str(world.child.snils)), False, "KD"), TODAY)

    assert caught.value.reason == Refusal.UNCONFIRMED


def test_young_student_who_is_also_guardian(world: World) -> None:
    # A record of any other kind means the person needs a confirmed account.
    world.child.user = None
    world.child.birth_date = datetime.date(2015, 1, 1)
    world.child.save(update_fields=["user", "birth_date"])
    f.GuardianFactory(snils=world.child.snils)

    with pytest.raises(SignInRefused) as caught:
        match_person(_person(format_snils(str(world.child.snils)), False, "P"), TODAY)

    assert caught.value.reason == Refusal.UNCONFIRMED


def test_link_refuses_second_record_of_kind(world: World) -> None:
    user = world.guardian_user
    other = cast(Guardian, f.GuardianFactory())

    with pytest.raises(SignInRefused) as caught:
        link_person_records(user, {"guardian": other.pk})

    assert caught.value.reason == Refusal.CONFLICT
    other.refresh_from_db()
    assert other.user is None


def test_link_refuses_record_of_other_user(world: World) -> None:
    stranger = cast(User, UserFactory())

    with pytest.raises(SignInRefused):
        link_person_records(stranger, {"guardian": world.guardian.pk})

    world.guardian.refresh_from_db()
    assert world.guardian.user == world.guardian_user


def test_link_keeps_existing_link(world: World) -> None:
    link_person_records(world.guardian_user, {"guardian": world.guardian.pk})

    world.guardian.refresh_from_db()
    assert world.guardian.user == world.guardian_user
