"""ESIA's list of a parent's children is compared with the school's links."""

from __future__ import annotations

import logging

import pytest

from accounts.esia.matching import compare_children
from accounts.tests.conftest import EsiaSetup, esia_person
from conftest import World
from school.snils import format_snils
from school.tests import factories as f

GUARDIAN_OID = "1000500001"
CHILD_OID = "1000500002"


def test_children_agree(world: World) -> None:
    assert world.child.snils
    result = compare_children(
        GUARDIAN_OID, world.guardian, [{"snils": format_snils(world.child.snils)}]
    )
    assert result.linked_not_in_esia == 0
    assert result.in_esia_not_linked == 0


def test_children_disagree_logged_without_snils(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = f.StudentFactory.create()
    assert stranger.snils
    with caplog.at_level(logging.INFO, logger="accounts.esia.matching"):
        result = compare_children(
            GUARDIAN_OID,
            world.guardian,
            [{"snils": format_snils(stranger.snils)}, {"snils": "not a snils"}],
        )

    assert result.linked_not_in_esia == 1
    assert result.in_esia_not_linked == 1
    assert GUARDIAN_OID in caplog.text
    assert stranger.snils not in caplog.text
    assert world.child.snils
    assert world.child.snils not in caplog.text


@pytest.mark.slow
def test_guardian_sign_in_reads_children(esia: EsiaSetup, world: World) -> None:
    world.guardian.user = None
    world.guardian.save(update_fields=["user"])
    esia.emulator.write_people(
        [
            esia_person(GUARDIAN_OID, world.guardian, kids=[CHILD_OID]),
            esia_person(CHILD_OID, world.child, role="student", level="KD"),
        ]
    )

    signup = esia.browser().sign_in_as(GUARDIAN_OID)

    assert "Завершение регистрации" in signup.text
    assert esia.emulator.requests_to(f"/rs/prns/{GUARDIAN_OID}/kids") == 1
