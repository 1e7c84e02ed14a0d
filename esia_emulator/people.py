"""The emulator's people list: ``DATA_DIR/people.json``.

The file is a JSON object with one key, ``people``, a list of objects::

    {"people": [{
        "oid": "1000300001",               # ESIA user id, digits, unique
        "snils": "112-233-445 95",         # or null: an account without SNILS
        "last_name": "Иванова",
        "first_name": "Мария",
        "middle_name": "Ивановна",         # "" when there is none
        "birth_date": "01.06.1985",        # DD.MM.YYYY
        "gender": "F",                     # "M" or "F"
        "trusted": true,                   # a confirmed account
        "level": "PR",                     # "PR" confirmed, "P" simplified or
                                           # standard, "KD" a child account
        "email": "maria@example.ru",       # or null
        "email_verified": true,
        "mobile": "+7(900)0000001",        # or null; always verified
        "role": "guardian",                # guardian, student, teacher,
                                           # head_of_studies, school_admin or
                                           # unknown: groups the sign-in page
        "label": "Иванова Мария Ивановна — мама Пети Иванова, 5А",
        "kids": ["1000300002"]             # oids of this person's children
    }]}

The demo school's seed writes the file; the emulator reads it again whenever
its modification time changes.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PEOPLE_FILE_NAME = "people.json"
ROLES = ("guardian", "student", "teacher", "head_of_studies", "school_admin", "unknown")
LEVELS = ("PR", "P", "KD")
GENDERS = ("M", "F")


class PeopleFileError(ValueError):
    """The people file is missing a field or has a value of the wrong form."""


@dataclass(frozen=True)
class Person:
    """One ESIA account as the emulator serves it."""

    oid: str
    snils: str | None
    last_name: str
    first_name: str
    middle_name: str
    birth_date: str
    gender: str
    trusted: bool
    level: str
    email: str | None
    email_verified: bool
    mobile: str | None
    role: str
    label: str
    kids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def full_name(self) -> str:
        parts = (self.last_name, self.first_name, self.middle_name)
        return " ".join(part for part in parts if part)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kids"] = list(self.kids)
        return data


def _text(raw: Mapping[str, Any], key: str, *, nullable: bool = False) -> Any:
    if key not in raw:
        raise PeopleFileError(f"Field '{key}' is missing.")
    value = raw[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise PeopleFileError(f"Field '{key}' must be a string, got {value!r}.")
    return value


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key)
    if not isinstance(value, bool):
        raise PeopleFileError(f"Field '{key}' must be true or false, got {value!r}.")
    return value


def parse_person(raw: Mapping[str, Any]) -> Person:
    """Build a :class:`Person` from one JSON object, checking every field."""
    oid = _text(raw, "oid")
    if not oid.isdigit():
        raise PeopleFileError(f"Field 'oid' must contain digits only, got {oid!r}.")

    birth_date = _text(raw, "birth_date")
    try:
        datetime.datetime.strptime(birth_date, "%d.%m.%Y")  # noqa: DTZ007
    except ValueError as error:
        raise PeopleFileError(
            f"Field 'birth_date' must be DD.MM.YYYY, got {birth_date!r}."
        ) from error

    gender = _text(raw, "gender")
    if gender not in GENDERS:
        raise PeopleFileError(f"Field 'gender' must be M or F, got {gender!r}.")
    level = _text(raw, "level")
    if level not in LEVELS:
        raise PeopleFileError(f"Field 'level' must be PR, P or KD, got {level!r}.")
    role = _text(raw, "role")
    if role not in ROLES:
        raise PeopleFileError(f"Field 'role' must be one of {ROLES}, got {role!r}.")
    kids = raw.get("kids", [])
    if not isinstance(kids, list) or not all(isinstance(kid, str) for kid in kids):
        raise PeopleFileError("Field 'kids' must be a list of oid strings.")

    return Person(
        oid=oid,
        snils=_text(raw, "snils", nullable=True),
        last_name=_text(raw, "last_name"),
        first_name=_text(raw, "first_name"),
        middle_name=_text(raw, "middle_name", nullable=True) or "",
        birth_date=birth_date,
        gender=gender,
        trusted=_flag(raw, "trusted"),
        level=level,
        email=_text(raw, "email", nullable=True),
        email_verified=_flag(raw, "email_verified"),
        mobile=_text(raw, "mobile", nullable=True),
        role=role,
        label=_text(raw, "label"),
        kids=tuple(kids),
    )


def parse_people(document: Any) -> list[Person]:
    """Parse a whole people document; raise PeopleFileError naming the entry."""
    if not isinstance(document, dict) or not isinstance(document.get("people"), list):
        raise PeopleFileError("The people file must be an object with a 'people' list.")
    people: list[Person] = []
    seen: set[str] = set()
    for index, raw in enumerate(document["people"]):
        if not isinstance(raw, dict):
            raise PeopleFileError(f"Entry {index} must be an object.")
        try:
            person = parse_person(raw)
        except PeopleFileError as error:
            raise PeopleFileError(f"Entry {index}: {error}") from error
        if person.oid in seen:
            raise PeopleFileError(f"Entry {index}: oid {person.oid} is repeated.")
        seen.add(person.oid)
        people.append(person)
    return people


def load_people(path: Path) -> list[Person]:
    """Read and parse a people file."""
    with path.open(encoding="utf-8") as handle:
        return parse_people(json.load(handle))


def write_people(path: Path, people: Iterable[Person | Mapping[str, Any]]) -> None:
    """Write a people file atomically, checking each entry first."""
    entries = [
        person if isinstance(person, Person) else parse_person(person)
        for person in people
    ]
    document = {"people": [person.to_json() for person in entries]}
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(
        json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    os.replace(temporary, path)


class PeopleStore:
    """The people of a data directory, read again when the file changes."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / PEOPLE_FILE_NAME
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._people: list[Person] = []

    def all(self) -> list[Person]:
        with self._lock:
            self._reload_if_changed()
            return list(self._people)

    def by_oid(self, oid: str) -> Person | None:
        return next((person for person in self.all() if person.oid == oid), None)

    def by_snils_digits(self, digits: str) -> Person | None:
        for person in self.all():
            if person.snils and "".join(filter(str.isdigit, person.snils)) == digits:
                return person
        return None

    def _reload_if_changed(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._people = None, []
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            self._people = load_people(self.path)
        except (OSError, ValueError) as error:
            # Keep serving the previous list, so a half-written edit does not
            # empty the sign-in page. The file is read again when it changes.
            logger.error("Cannot read %s: %s", self.path, error)
            return
        logger.info("Loaded %d people from %s", len(self._people), self.path)
