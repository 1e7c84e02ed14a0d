"""Extra admin pages: the data conflicts list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.models import SignInFailure
from school import models as sm
from school.admin_site import admin_school_ids
from school.scoping import scope_to_schools
from school.snils import format_snils

KIND_LABELS: dict[type[Any], str] = {
    sm.Student: "обучающийся",
    sm.Guardian: "законный представитель",
    sm.StaffMember: "сотрудник",
}


@dataclass
class ConflictRecord:
    kind: str
    name: str
    birth_date: str
    url: str


@dataclass
class SnilsConflict:
    snils: str
    records: list[ConflictRecord] = field(default_factory=list)


def _shared_snils() -> set[str]:
    """Return the SNILS numbers present on records of more than one kind.

    A guardian who also works at a school legitimately has one SNILS on both
    records, so such a pair is a conflict only when the names or birth dates
    differ. A student sharing a SNILS with any adult is always a conflict.
    """
    students = sm.Student.objects.exclude(snils=None)
    guardians = sm.Guardian.objects.exclude(snils=None)
    staff = sm.StaffMember.objects.exclude(snils=None)
    shared: set[str] = set()
    for adults in (guardians, staff):
        for snils in students.filter(snils__in=adults.values("snils")).values_list(
            "snils", flat=True
        ):
            shared.add(snils or "")
    identity = ("snils", "last_name", "first_name", "birth_date")
    staff_people = set(
        staff.filter(snils__in=guardians.values("snils")).values_list(*identity)
    )
    for person in guardians.filter(snils__in=staff.values("snils")).values_list(
        *identity
    ):
        if person not in staff_people:
            shared.add(person[0] or "")
    return shared


def snils_conflicts(request: HttpRequest) -> list[SnilsConflict]:
    """Return the SNILS conflicts that touch a record the user may see."""
    ids = admin_school_ids(request)
    shared = _shared_snils()
    conflicts: dict[str, SnilsConflict] = {}
    for model, label in KIND_LABELS.items():
        rows: QuerySet[sm.Person] = model.objects.filter(snils__in=shared)  # type: ignore[attr-defined]
        visible = set(
            (rows if ids is None else scope_to_schools(rows, ids)).values_list(
                "pk", flat=True
            )
        )
        for person in rows:
            snils = person.snils or ""
            conflict = conflicts.setdefault(
                snils, SnilsConflict(snils=format_snils(snils))
            )
            if person.pk in visible:
                url = reverse(
                    f"admin:school_{model._meta.model_name}_change", args=[person.pk]
                )
                conflict.records.append(
                    ConflictRecord(
                        kind=label,
                        name=person.full_name,
                        birth_date=f"{person.birth_date:%d.%m.%Y}"
                        if person.birth_date
                        else "—",
                        url=url,
                    )
                )
            else:
                conflict.records.append(
                    ConflictRecord(
                        kind=label, name="запись другой школы", birth_date="", url=""
                    )
                )
    return [
        conflict
        for conflict in sorted(conflicts.values(), key=lambda item: item.snils)
        if any(record.url for record in conflict.records)
    ]


# Refusals that the school can fix by correcting its records.
DATA_REASONS = (
    SignInFailure.Reason.NO_SNILS,
    SignInFailure.Reason.INVALID_SNILS,
    SignInFailure.Reason.UNKNOWN_SNILS,
    SignInFailure.Reason.UNCONFIRMED,
    SignInFailure.Reason.CONFLICT,
)
MAX_FAILURES = 200


@dataclass
class FailureRow:
    failure: SignInFailure
    people: list[ConflictRecord]


def sign_in_failures(request: HttpRequest) -> list[FailureRow]:
    """Return the latest ESIA sign-in refusals for a data reason.

    A failure stores only the ESIA oid, so a school administrator sees the
    failures of accounts already linked to a person of their schools; a
    refusal for an unknown SNILS has no such link and is visible to the
    regional administrator only.
    """
    ids = admin_school_ids(request)
    failures = SignInFailure.objects.filter(reason__in=DATA_REASONS)
    people: dict[str, list[ConflictRecord]] = {}
    for model, label in KIND_LABELS.items():
        records = model._default_manager.exclude(user=None).select_related("user")
        if ids is not None:
            records = scope_to_schools(records, ids)
        for person in records.filter(user__esia_oid__in=failures.values("esia_oid")):
            url = reverse(
                f"admin:school_{model._meta.model_name}_change", args=[person.pk]
            )
            people.setdefault(person.user.esia_oid, []).append(  # type: ignore[attr-defined]
                ConflictRecord(
                    kind=label, name=person.full_name, birth_date="", url=url
                )
            )
    if ids is not None:
        failures = failures.filter(esia_oid__in=list(people))
    return [
        FailureRow(failure=failure, people=people.get(failure.esia_oid, []))
        for failure in failures.order_by("-created_at")[:MAX_FAILURES]
    ]


def data_conflicts_view(request: HttpRequest) -> HttpResponse:
    context = {
        **_site_context(request),
        "title": "Конфликты данных",
        "conflicts": snils_conflicts(request),
        "failures": sign_in_failures(request),
    }
    return TemplateResponse(request, "admin/school/data_conflicts.html", context)


def _site_context(request: HttpRequest) -> dict[str, object]:
    from django.contrib import admin

    return dict(admin.site.each_context(request))
