"""The people file: parsing, checks and re-reading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from esia_emulator.people import (
    PeopleFileError,
    PeopleStore,
    parse_people,
    write_people,
)
from esia_emulator.tests.helpers import MOTHER, SON


def test_parse_people_fields() -> None:
    people = parse_people({"people": [MOTHER, SON]})

    assert people[0].full_name == "Иванова Мария Ивановна"
    assert people[0].kids == ("1000300002",)
    assert people[1].snils is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"level": "X"}, "level"),
        ({"gender": "W"}, "gender"),
        ({"birth_date": "1985-06-01"}, "DD.MM.YYYY"),
        ({"oid": "abc"}, "digits"),
        ({"role": "director"}, "role"),
        ({"trusted": "yes"}, "trusted"),
        ({"kids": "1000300002"}, "kids"),
    ],
)
def test_parse_rejects_bad_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(PeopleFileError, match=message):
        parse_people({"people": [{**MOTHER, **change}]})


def test_parse_rejects_missing_field() -> None:
    entry = {key: value for key, value in MOTHER.items() if key != "label"}

    with pytest.raises(PeopleFileError, match="Entry 0: Field 'label' is missing"):
        parse_people({"people": [entry]})


def test_parse_rejects_repeated_oid() -> None:
    with pytest.raises(PeopleFileError, match="repeated"):
        parse_people({"people": [MOTHER, MOTHER]})


def test_store_rereads_changed_file(tmp_path: Path) -> None:
    write_people(tmp_path / "people.json", [MOTHER])
    store = PeopleStore(tmp_path)
    assert [person.oid for person in store.all()] == ["1000300001"]

    write_people(tmp_path / "people.json", [MOTHER, SON])

    assert [person.oid for person in store.all()] == ["1000300001", "1000300002"]
    assert store.by_snils_digits("11223344595") is not None


def test_store_keeps_list_after_broken_edit(tmp_path: Path, caplog: object) -> None:
    write_people(tmp_path / "people.json", [MOTHER])
    store = PeopleStore(tmp_path)
    store.all()

    (tmp_path / "people.json").write_text(json.dumps({"people": [{"oid": "1"}]}))

    assert [person.oid for person in store.all()] == ["1000300001"]


def test_store_without_file_is_empty(tmp_path: Path) -> None:
    assert PeopleStore(tmp_path).all() == []
