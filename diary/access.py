"""Who may open whose diary.

Every diary view goes through :func:`get_diary_child_or_404`. A guardian sees
the students linked to them by a GuardianLink, and a student sees themself.
Anyone else's id is a 404, so a URL never tells whether a student exists.
A linked student whose diary is closed is still returned, with the reason,
so that the page can explain why the family gets the school's information
on paper.
"""

from __future__ import annotations

import datetime
import enum
import logging
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch
from django.http import Http404

from journal.dates import local_today
from school.models import (
    Consent,
    DiaryApplication,
    Enrollment,
    GuardianLink,
    School,
    Student,
)

logger = logging.getLogger(__name__)


class DiaryAccess(enum.StrEnum):
    """Whether a diary is open and, when it is closed, why."""

    OPEN = "open"
    NO_APPLICATION = "no_application"
    REFUSED = "refused"
    STOPPED = "stopped"
    NO_CONSENT = "no_consent"
    TRANSFERRED = "transferred"
    GRADUATED = "graduated"
    NOT_ENROLLED = "not_enrolled"


@dataclass(frozen=True)
class DiaryChild:
    """A student linked to the signed-in user, with the diary's access state."""

    student: Student
    access: DiaryAccess
    school: School | None
    today: datetime.date
    is_self: bool
    # Newest first, with class, school and academic year loaded.
    enrollments: tuple[Enrollment, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.access is DiaryAccess.OPEN

    @property
    def left_on(self) -> datetime.date | None:
        """The last day of the latest enrollment that has ended, if any."""
        ended = [e.end_date for e in self.enrollments if e.end_date is not None]
        return max(ended, default=None)

    @property
    def enrollment(self) -> Enrollment | None:
        """The enrollment in force today, else the latest one."""
        for enrollment in self.enrollments:
            if enrollment.is_active_on(self.today):
                return enrollment
        return self.enrollments[0] if self.enrollments else None


def _linked_students(user: AbstractBaseUser) -> list[Student]:
    enrollments = Enrollment.objects.select_related(
        "school_class__school",
        "school_class__academic_year",
        "school_class__class_teacher",
    ).order_by("-start_date")
    applications = DiaryApplication.objects.order_by("-filed_on", "-created_at", "-id")
    consents = Consent.objects.filter(guardian__user_id=user.pk)
    # A UNION of the two id lists keeps both lookups on their indexes; an OR
    # across the guardian-link join makes PostgreSQL scan every student.
    linked_ids = (
        GuardianLink.objects.filter(guardian__user_id=user.pk)
        .values("student_id")
        .union(Student.objects.filter(user_id=user.pk).values("id"))
    )
    students = (
        Student.objects.filter(pk__in=linked_ids)
        .order_by("last_name", "first_name", "middle_name", "id")
        .prefetch_related(
            Prefetch("enrollments", queryset=enrollments, to_attr="enrollments_desc"),
            Prefetch(
                "diary_applications",
                queryset=applications,
                to_attr="applications_desc",
            ),
            Prefetch("consents", queryset=consents, to_attr="user_consents"),
        )
    )
    return list(students)


def _enrollment_access(
    enrollments: list[Enrollment], today: datetime.date
) -> DiaryAccess:
    if any(enrollment.is_active_on(today) for enrollment in enrollments):
        return DiaryAccess.OPEN
    ended = [e for e in enrollments if e.end_date is not None and e.end_date < today]
    if ended:
        last = max(ended, key=lambda enrollment: enrollment.end_date or today)
        if last.end_reason == Enrollment.EndReason.TRANSFER:
            return DiaryAccess.TRANSFERRED
        if last.end_reason == Enrollment.EndReason.GRADUATION:
            return DiaryAccess.GRADUATED
    return DiaryAccess.NOT_ENROLLED


def _application_access(applications: list[DiaryApplication]) -> DiaryAccess:
    if not applications:
        return DiaryAccess.NO_APPLICATION
    latest = applications[0]
    if latest.status == DiaryApplication.Status.REFUSED:
        return DiaryAccess.REFUSED
    if latest.status == DiaryApplication.Status.STOPPED:
        return DiaryAccess.STOPPED
    return DiaryAccess.OPEN


def _consent_in_force(consents: list[Consent], today: datetime.date) -> bool:
    return any(
        consent.given_on <= today
        and (consent.withdrawn_on is None or consent.withdrawn_on > today)
        for consent in consents
    )


def _diary_child(student: Student, user: AbstractBaseUser) -> DiaryChild:
    enrollments: list[Enrollment] = student.enrollments_desc  # type: ignore[attr-defined]
    applications: list[DiaryApplication] = student.applications_desc  # type: ignore[attr-defined]
    consents: list[Consent] = student.user_consents  # type: ignore[attr-defined]

    school = enrollments[0].school_class.school if enrollments else None
    if school is None and applications:
        school = applications[0].school
    today = local_today(school.time_zone if school else None)
    is_self = student.user_id == user.pk

    # A finished schooling explains more than the application that preceded it,
    # so the enrollment is checked first.
    access = _enrollment_access(enrollments, today)
    if access is DiaryAccess.OPEN:
        access = _application_access(applications)
    consent_missing = not is_self and not _consent_in_force(consents, today)
    if access is DiaryAccess.OPEN and consent_missing:
        access = DiaryAccess.NO_CONSENT
    return DiaryChild(
        student=student,
        access=access,
        school=school,
        today=today,
        is_self=is_self,
        enrollments=tuple(enrollments),
    )


def diary_children(user: AbstractBaseUser | AnonymousUser) -> list[DiaryChild]:
    """Return every student the user is linked to, with the diary's access state.

    Runs four queries whatever the number of children.
    """
    if not user.is_authenticated:
        return []
    return [_diary_child(student, user) for student in _linked_students(user)]


def choose_child(
    user: AbstractBaseUser | AnonymousUser,
    children: list[DiaryChild],
    student_id: int | None,
) -> DiaryChild | None:
    """Return the requested child among the user's ``children``.

    Without ``student_id`` the first child whose diary is open is chosen (or
    the first child, or None for a user with no linked students). A
    ``student_id`` the user is not linked to raises Http404.
    """
    if student_id is None:
        open_children = [child for child in children if child.is_open]
        candidates = open_children or children
        return candidates[0] if candidates else None
    for child in children:
        if child.student.pk == student_id:
            return child
    logger.info("Diary access denied: student %s, user %s", student_id, user.pk)
    raise Http404("Ученик не найден.")


def get_diary_child_or_404(
    user: AbstractBaseUser | AnonymousUser, student_id: int | None
) -> tuple[DiaryChild | None, list[DiaryChild]]:
    """Return the requested child (see :func:`choose_child`) and all children."""
    children = diary_children(user)
    return choose_child(user, children, student_id), children
