"""Match an ESIA account to the school's person records by SNILS.

The mission's access rules: the ESIA account must carry a SNILS that the
school has on record, and must be confirmed, except that a student under 14
may sign in with a simplified or child account. One person may be a guardian,
a student and a staff member at once, so every kind found is linked, but two
records of one kind with the same SNILS are a data conflict.
"""

from __future__ import annotations

import datetime
import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from school.models import Guardian, StaffMember, Student
from school.snils import is_valid_snils, normalize_snils

logger = logging.getLogger(__name__)

ADULT_AGE = 14

# The person kinds a portal user links to, by the related name on User.
RECORD_MODELS: dict[str, type[models.Model]] = {
    "guardian": Guardian,
    "student": Student,
    "staff_member": StaffMember,
}


class Refusal(enum.StrEnum):
    """The reason for a refused sign-in. Each value has its own explanation page."""

    NO_SNILS = "no_snils"
    INVALID_SNILS = "invalid_snils"
    UNKNOWN_SNILS = "unknown_snils"
    UNCONFIRMED = "unconfirmed"
    CONFLICT = "conflict"


class SignInRefused(Exception):
    """The ESIA account may not sign in; ``detail`` is for the log (no SNILS)."""

    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class EsiaPerson:
    """The signed-in ESIA account, from its tokens and person data."""

    oid: str
    last_name: str
    first_name: str
    middle_name: str
    birth_date: datetime.date | None
    snils: str | None
    trusted: bool
    level: str
    email: str | None = None

    @property
    def is_confirmed(self) -> bool:
        return self.trusted

    def public_data(self) -> dict[str, Any]:
        """Return the fields kept in the social account (no SNILS, no birth date)."""
        return {
            "oid": self.oid,
            "last_name": self.last_name,
            "first_name": self.first_name,
            "middle_name": self.middle_name,
            "trusted": self.trusted,
            "level": self.level,
            "email": self.email,
        }


def _parse_birth_date(value: Any) -> datetime.date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.strptime(value, "%d.%m.%Y").date()  # noqa: DTZ007
    except ValueError:
        return None


def person_from_esia(
    oid: str,
    id_claims: dict[str, Any],
    body: dict[str, Any],
    contacts: Iterable[dict[str, Any]],
) -> EsiaPerson:
    """Combine the id token, ``/rs/prns/{oid}`` and its contacts.

    The account counts as confirmed when ``trusted`` is true in the person
    data or the id token carries ``urn:esia:sbj:is_tru``.
    """
    subject = id_claims.get("urn:esia:sbj")
    subject = subject if isinstance(subject, dict) else {}
    trusted = body.get("trusted") is True or subject.get("urn:esia:sbj:is_tru") is True
    level = str(subject.get("urn:esia:sbj:lvl") or ("PR" if trusted else "P"))
    email = next(
        (
            str(contact.get("value"))
            for contact in contacts
            if contact.get("type") == "EML"
            and contact.get("vrfStu") == "VERIFIED"
            and contact.get("value")
        ),
        None,
    )
    snils = body.get("snils")
    return EsiaPerson(
        oid=oid,
        last_name=str(body.get("lastName") or ""),
        first_name=str(body.get("firstName") or ""),
        middle_name=str(body.get("middleName") or ""),
        birth_date=_parse_birth_date(body.get("birthDate")),
        snils=snils if isinstance(snils, str) and snils.strip() else None,
        trusted=trusted,
        level=level,
        email=email,
    )


@dataclass
class PersonRecords:
    """The school records that belong to one ESIA account, one per kind."""

    records: dict[str, Any] = field(default_factory=dict)

    def ids(self) -> dict[str, int]:
        return {kind: record.pk for kind, record in self.records.items()}

    @property
    def student(self) -> Student | None:
        return self.records.get("student")


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def _snils_digits(person: EsiaPerson) -> str:
    if person.snils is None:
        raise SignInRefused(Refusal.NO_SNILS)
    try:
        digits = normalize_snils(person.snils)
    except ValueError as error:
        raise SignInRefused(Refusal.INVALID_SNILS, "not 11 digits") from error
    if not is_valid_snils(digits):
        raise SignInRefused(Refusal.INVALID_SNILS, "wrong check number")
    return digits


def _find_records(digits: str) -> PersonRecords:
    found = PersonRecords()
    for kind, model in RECORD_MODELS.items():
        matches = list(
            model._default_manager.filter(snils=digits).select_related("user")[:2]
        )
        if len(matches) > 1:
            raise SignInRefused(Refusal.CONFLICT, f"several {kind} records")
        if matches:
            found.records[kind] = matches[0]
    return found


def _needs_confirmed_account(
    person: EsiaPerson, records: PersonRecords, today: datetime.date
) -> bool:
    """Only a person who is nothing but a student under 14 may skip confirmation.

    The age comes from the school's record, or from ESIA when the school has
    no birth date. With neither, the person counts as 14 or older.
    """
    student = records.student
    if student is None or set(records.records) != {"student"}:
        return True
    birth_date = student.birth_date or person.birth_date
    if birth_date is None:
        return True
    return age_on(birth_date, today) >= ADULT_AGE


def check_links(person: EsiaPerson, records: PersonRecords) -> None:
    """Refuse when a record already belongs to another ESIA account."""
    for kind, record in records.records.items():
        owner = record.user
        if owner is not None and owner.esia_oid != person.oid:
            raise SignInRefused(
                Refusal.CONFLICT, f"{kind} {record.pk} is linked to user {owner.pk}"
            )


def match_person(person: EsiaPerson, today: datetime.date) -> PersonRecords:
    """Find the records of ``person`` or raise :class:`SignInRefused`.

    The order of checks decides which explanation the user sees first:
    a missing or invalid SNILS, then a SNILS unknown to every school, then a
    conflict in the school's data, and last an account level too low.
    """
    digits = _snils_digits(person)
    records = _find_records(digits)
    if not records.records:
        raise SignInRefused(Refusal.UNKNOWN_SNILS)
    check_links(person, records)
    if _needs_confirmed_account(person, records, today) and not person.is_confirmed:
        raise SignInRefused(
            Refusal.UNCONFIRMED,
            f"level {person.level}, kinds {sorted(records.records)}",
        )
    return records


@dataclass(frozen=True)
class ChildrenComparison:
    """Counts of disagreement between ESIA's children of a parent and the links."""

    linked_not_in_esia: int
    in_esia_not_linked: int


def compare_children(
    oid: str, guardian: Guardian, esia_children: list[dict[str, Any]]
) -> ChildrenComparison:
    """Compare ESIA's children of a parent with the guardian's linked students.

    Access never depends on it: the school's guardian links decide whose diary
    opens. A disagreement is logged, with counts only, so the school can check
    its records.
    """
    esia_snils = set()
    for child in esia_children:
        try:
            esia_snils.add(normalize_snils(str(child.get("snils") or "")))
        except ValueError:
            continue
    linked = set(
        Student.objects.filter(guardian_links__guardian=guardian)
        .exclude(snils__isnull=True)
        .values_list("snils", flat=True)
    )
    comparison = ChildrenComparison(
        linked_not_in_esia=len(linked - esia_snils),
        in_esia_not_linked=len(esia_snils - linked),
    )
    if comparison.linked_not_in_esia or comparison.in_esia_not_linked:
        logger.info(
            "ESIA oid %s: %s linked children not among ESIA's, %s ESIA children "
            "not linked at school",
            oid,
            comparison.linked_not_in_esia,
            comparison.in_esia_not_linked,
        )
    return comparison
