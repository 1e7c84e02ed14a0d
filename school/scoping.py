"""Which rows of each model belong to a set of schools.

A school reaches its people through enrollments, diary applications, guardian
links and staff roles, because people are regional records. Every function
here filters with ``IN (subquery)`` rather than joins, so the result has no
duplicate rows and list pages need no ``DISTINCT``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery

from school import models as sm

SchoolIds = Collection[int]


def student_filter(school_ids: SchoolIds, field: str = "pk") -> Q:
    """Return a filter on ``field`` (a student id) for the schools' students.

    A student belongs to a school once enrolled there (at any time), or once a
    diary application was filed there, so a record survives between an
    application and the first enrollment. The two subqueries stay separate
    (not a UNION), so PostgreSQL hashes each of them once.
    """
    enrolled = sm.Enrollment.objects.filter(school_class__school__in=school_ids).values(
        "student_id"
    )
    applied = sm.DiaryApplication.objects.filter(school__in=school_ids).values(
        "student_id"
    )
    return Q(**{f"{field}__in": enrolled}) | Q(**{f"{field}__in": applied})


def students_in(school_ids: SchoolIds) -> QuerySet[sm.Student]:
    return sm.Student.objects.filter(student_filter(school_ids))


def _students(qs: QuerySet[Any], ids: SchoolIds) -> QuerySet[Any]:
    return qs.filter(student_filter(ids))


def _guardians(qs: QuerySet[Any], ids: SchoolIds) -> QuerySet[Any]:
    linked = sm.GuardianLink.objects.filter(student_filter(ids, "student_id")).values(
        "guardian_id"
    )
    return qs.filter(pk__in=linked)


def _staff(qs: QuerySet[Any], ids: SchoolIds) -> QuerySet[Any]:
    roles = sm.StaffRole.objects.filter(school__in=ids).values("staff_id")
    return qs.filter(pk__in=roles)


def _history_of(
    scope: Callable[[QuerySet[Any], SchoolIds], QuerySet[Any]],
) -> Callable[[QuerySet[Any], SchoolIds], QuerySet[Any]]:
    """Scope the history rows of a person by the rule of the live records.

    A history row's primary key is ``history_id``, and ``id`` is the key of the
    live record, so the live rule is applied to the ids.
    """

    def history_scope(qs: QuerySet[Any], ids: SchoolIds) -> QuerySet[Any]:
        live = scope(qs.model.instance_type._default_manager.all(), ids)
        return qs.filter(id__in=live.values("pk"))

    return history_scope


def _by(lookup: str) -> Callable[[QuerySet[Any], SchoolIds], QuerySet[Any]]:
    def scope(qs: QuerySet[Any], ids: SchoolIds) -> QuerySet[Any]:
        return qs.filter(Q(**{f"{lookup}__in": ids}))

    return scope


def _by_student(qs: QuerySet[Any], ids: SchoolIds) -> QuerySet[Any]:
    return qs.filter(student_filter(ids, "student_id"))


_SCOPES: dict[type[Model], Callable[[QuerySet[Any], SchoolIds], QuerySet[Any]]] = {
    sm.School: _by("pk"),
    sm.AcademicYear: _by("school"),
    sm.Period: _by("academic_year__school"),
    sm.Holiday: _by("academic_year__school"),
    sm.Bell: _by("academic_year__school"),
    sm.Subject: _by("school"),
    sm.WorkType: _by("school"),
    sm.Student: _students,
    sm.Guardian: _guardians,
    sm.GuardianLink: _by_student,
    sm.StaffMember: _staff,
    sm.StaffRole: _by("school"),
    sm.SchoolClass: _by("school"),
    sm.Subgroup: _by("school_class__school"),
    sm.SubgroupMembership: _by("subgroup__school_class__school"),
    sm.Enrollment: _by("school_class__school"),
    sm.TeachingAssignment: _by("school_class__school"),
    sm.TimetableEntry: _by("assignment__school_class__school"),
    sm.DiaryApplication: _by("school"),
    sm.Consent: _by_student,
    sm.ConsentWithdrawal: _by("school"),
    sm.Student.history.model: _history_of(_students),  # type: ignore[attr-defined]
    sm.Guardian.history.model: _history_of(_guardians),  # type: ignore[attr-defined]
    sm.StaffMember.history.model: _history_of(_staff),  # type: ignore[attr-defined]
    sm.GuardianLink.history.model: _by_student,  # type: ignore[attr-defined]
    sm.StaffRole.history.model: _by("school"),  # type: ignore[attr-defined]
    sm.Enrollment.history.model: _by("school_class__school"),  # type: ignore[attr-defined]
    sm.DiaryApplication.history.model: _by("school"),  # type: ignore[attr-defined]
    sm.Consent.history.model: _by_student,  # type: ignore[attr-defined]
}


def is_scoped(model: type[Model]) -> bool:
    return model in _SCOPES


def scope_to_schools(queryset: QuerySet[Any], school_ids: SchoolIds) -> QuerySet[Any]:
    """Filter ``queryset`` down to the rows that belong to ``school_ids``.

    Raises ImproperlyConfigured for a model without a rule, so a new model
    is never shown unfiltered.
    """
    try:
        scope = _SCOPES[queryset.model]
    except KeyError:
        raise ImproperlyConfigured(
            f"No school scope is defined for {queryset.model.__name__}."
        ) from None
    return scope(queryset, school_ids)


def current_student_filter(school_ids: SchoolIds, field: str = "pk") -> Q:
    """Return a filter on ``field`` (a student id) for the schools' current students.

    A student is current at the school of their latest enrollment or, before
    the first enrollment, at a school where a diary application was filed. A
    school the student has left still reads their records but changes none.
    """
    latest_school = (
        sm.Enrollment.objects.filter(student_id=OuterRef("pk"))
        .order_by("-start_date")
        .values("school_class__school_id")[:1]
    )
    current = (
        sm.Student.objects.annotate(latest_school=Subquery(latest_school))
        .filter(
            Q(latest_school__in=school_ids)
            | Q(latest_school__isnull=True, diary_applications__school__in=school_ids)
        )
        .values("pk")
    )
    return Q(**{f"{field}__in": current})


_STUDENT_FIELDS: dict[type[Model], str] = {
    sm.Student: "pk",
    sm.GuardianLink: "student_id",
    sm.Consent: "student_id",
}


def writable_in_schools(
    queryset: QuerySet[Any], school_ids: SchoolIds
) -> QuerySet[Any]:
    """Narrow ``queryset`` to the rows the schools may change or delete.

    Records about a student (the student, their guardian links and consents,
    and their guardians' personal data) belong to the student's current
    school. Other models are writable wherever they are visible.
    """
    if queryset.model is sm.Guardian:
        links = sm.GuardianLink.objects.filter(
            current_student_filter(school_ids, "student_id")
        )
        return queryset.filter(pk__in=links.values("guardian_id"))
    field = _STUDENT_FIELDS.get(queryset.model)
    if field is None:
        return queryset
    return queryset.filter(current_student_filter(school_ids, field))
