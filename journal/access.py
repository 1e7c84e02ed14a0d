"""Permission-checked getters for lessons, journals and classes.

Every journal view goes through these getters. The teacher of an assignment
and a lesson's substitute edit it; the class teacher, the завуч and the
school admin read it. Each of them must still hold a staff role at the
lesson's school. For anyone else, guardians and students included, the
object does not exist (404).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from journal.models import Lesson
from school.models import (
    Enrollment,
    SchoolClass,
    StaffMember,
    StaffRole,
    Student,
    TeachingAssignment,
)

logger = logging.getLogger(__name__)


def _works_at_school(user_pk: Any, school_field: str) -> Exists:
    """Match rows whose school still employs the user (any staff role).

    A teacher whose roles at the school were removed keeps their teaching
    assignments in the records, but loses the journal of that school.
    """
    return Exists(
        StaffRole.objects.filter(
            staff__user_id=user_pk, school_id=OuterRef(school_field)
        )
    )


def get_staff_member_or_404(user: AbstractBaseUser | AnonymousUser) -> StaffMember:
    """Return the staff record of the signed-in user, or raise Http404."""
    staff = (
        StaffMember.objects.filter(user_id=user.pk).first()
        if user.is_authenticated
        else None
    )
    if staff is None:
        raise Http404("Страница доступна только сотрудникам школы.")
    return staff


def get_editable_lesson_or_404(
    user: AbstractBaseUser | AnonymousUser, lesson_id: int
) -> tuple[Lesson, StaffMember]:
    """Return the lesson and the staff member who edits it, or raise Http404."""
    lesson = None
    if user.is_authenticated:
        lesson = (
            Lesson.objects.filter(pk=lesson_id)
            .filter(_works_at_school(user.pk, "school_class__school_id"))
            .filter(
                Q(assignment__teacher__user_id=user.pk)
                | Q(substitute_teacher__user_id=user.pk)
            )
            .select_related(
                "assignment__subject",
                "assignment__subgroup",
                "assignment__teacher",
                "substitute_teacher",
                "school_class__school",
                "school_class__academic_year",
            )
            .first()
        )
    if lesson is None:
        logger.info("Journal access denied: lesson %s, user %s", lesson_id, user.pk)
        raise Http404("Урок не найден.")
    if lesson.assignment.teacher.user_id == user.pk:
        return lesson, lesson.assignment.teacher
    substitute = lesson.substitute_teacher
    if substitute is None:  # unreachable: the filter above matched one of the two
        raise Http404("Урок не найден.")
    return lesson, substitute


MANAGER_ROLES = (StaffRole.Role.HEAD_OF_STUDIES, StaffRole.Role.SCHOOL_ADMIN)


@dataclass(frozen=True)
class JournalAccess:
    """Who opens a journal and what they may do in it.

    The teacher of the assignment (or a lesson's substitute) keeps the
    journal while a period is open. The class teacher reads every journal of
    their class. The завуч and the school admin of the school read every
    journal and alone change marks of a closed period.
    """

    staff: StaffMember
    is_teacher: bool
    is_manager: bool

    def may_edit(self, closed: bool) -> bool:
        return self.is_manager if closed else self.is_teacher


@dataclass(frozen=True)
class _StaffAtSchool:
    """The user's staff record and whether they manage the school."""

    staff: StaffMember
    is_manager: bool


def _staff_at_school(user_pk: Any, school_id: int) -> _StaffAtSchool | None:
    """Return the user's staff record and roles at the school, or None without a role.

    A teacher whose roles at the school were removed keeps their teaching
    assignments in the records, but loses the journal of that school.
    """
    roles = list(
        StaffRole.objects.filter(
            staff__user_id=user_pk, school_id=school_id
        ).select_related("staff")
    )
    if not roles:
        return None
    return _StaffAtSchool(
        staff=roles[0].staff,
        is_manager=any(role.role in MANAGER_ROLES for role in roles),
    )


def _is_class_teacher(user_pk: Any, school_class: SchoolClass) -> bool:
    class_teacher = school_class.class_teacher
    return class_teacher is not None and class_teacher.user_id == user_pk


# The teacher of a journal (or the substitute of a lesson) edits it. The
# class teacher reads every journal of the class, and the завуч and the
# school admin read every journal of their school. Each needs a staff role
# at the school. The getters below load the object first and check the
# user's roles in a second, simple query. One query with the access rules as
# joins and EXISTS conditions took PostgreSQL 5-10 ms to plan on the
# region-sized data set.
def get_journal_assignment_or_404(
    user: AbstractBaseUser | AnonymousUser, assignment_id: int
) -> tuple[TeachingAssignment, JournalAccess]:
    """Return a class-subject journal the user teaches or manages, or 404."""
    assignment = None
    if user.is_authenticated:
        assignment = (
            TeachingAssignment.objects.filter(pk=assignment_id)
            .select_related(
                "subject",
                "subgroup",
                "teacher",
                "school_class__school",
                "school_class__academic_year",
                "school_class__class_teacher",
            )
            .first()
        )
    at_school = None
    if assignment is not None:
        at_school = _staff_at_school(user.pk, assignment.school_class.school_id)
    if assignment is None or at_school is None:
        allowed, is_teacher = False, False
    else:
        is_teacher = assignment.teacher.user_id == user.pk
        allowed = (
            is_teacher
            or at_school.is_manager
            or _is_class_teacher(user.pk, assignment.school_class)
        )
    if assignment is None or at_school is None or not allowed:
        logger.info(
            "Journal access denied: assignment %s, user %s", assignment_id, user.pk
        )
        raise Http404("Журнал не найден.")
    staff = assignment.teacher if is_teacher else at_school.staff
    return assignment, JournalAccess(staff, is_teacher, at_school.is_manager)


def get_journal_lesson_or_404(
    user: AbstractBaseUser | AnonymousUser, lesson_id: int
) -> tuple[Lesson, JournalAccess]:
    """Return a lesson the user teaches, substitutes or manages, or raise 404."""
    lesson = None
    if user.is_authenticated:
        lesson = (
            Lesson.objects.filter(pk=lesson_id)
            .select_related(
                "assignment__subject",
                "assignment__subgroup",
                "assignment__teacher",
                "substitute_teacher",
                "school_class__school",
                "school_class__academic_year",
                "school_class__class_teacher",
            )
            .first()
        )
    at_school = None
    if lesson is not None:
        at_school = _staff_at_school(user.pk, lesson.school_class.school_id)
    if lesson is None or at_school is None:
        raise _lesson_not_found(user, lesson_id)
    substitute = lesson.substitute_teacher
    if lesson.assignment.teacher.user_id == user.pk:
        staff, is_teacher = lesson.assignment.teacher, True
    elif substitute is not None and substitute.user_id == user.pk:
        staff, is_teacher = substitute, True
    else:
        staff, is_teacher = at_school.staff, False
    reads = at_school.is_manager or _is_class_teacher(user.pk, lesson.school_class)
    if not is_teacher and not reads:
        raise _lesson_not_found(user, lesson_id)
    return lesson, JournalAccess(staff, is_teacher, at_school.is_manager)


def _lesson_not_found(
    user: AbstractBaseUser | AnonymousUser, lesson_id: int
) -> Http404:
    logger.info("Journal access denied: lesson %s, user %s", lesson_id, user.pk)
    return Http404("Урок не найден.")


def get_lesson_pupil_or_404(lesson: Lesson, student_id: int) -> Student:
    """Return a pupil of the lesson's class (and subgroup) on its date."""
    enrollments = Enrollment.objects.filter(
        school_class_id=lesson.school_class_id, student_id=student_id
    ).active_on(lesson.date)
    students = Student.objects.filter(pk__in=enrollments.values("student_id"))
    if lesson.assignment.subgroup_id is not None:
        students = students.filter(
            subgroup_memberships__subgroup_id=lesson.assignment.subgroup_id
        )
    student = students.first()
    if student is None:
        raise Http404("Ученик не найден в этом классе на дату урока.")
    return student


def get_class_for_class_teacher_or_404(
    user: AbstractBaseUser | AnonymousUser, class_id: int
) -> tuple[SchoolClass, JournalAccess]:
    """Return a class whose class teacher (or school manager) the user is."""
    school_class = None
    if user.is_authenticated:
        school_class = (
            SchoolClass.objects.filter(pk=class_id)
            .select_related("school", "academic_year", "class_teacher")
            .first()
        )
    at_school = None
    if school_class is not None:
        at_school = _staff_at_school(user.pk, school_class.school_id)
    is_class_teacher = school_class is not None and _is_class_teacher(
        user.pk, school_class
    )
    if (
        school_class is None
        or at_school is None
        or not (is_class_teacher or at_school.is_manager)
    ):
        logger.info("Class access denied: class %s, user %s", class_id, user.pk)
        raise Http404("Класс не найден.")
    access = JournalAccess(at_school.staff, is_class_teacher, at_school.is_manager)
    return school_class, access


def get_managed_school_or_404(
    user: AbstractBaseUser | AnonymousUser,
) -> tuple[StaffRole, StaffMember]:
    """Return the school role of a завуч or school admin, or raise Http404."""
    role = None
    if user.is_authenticated:
        role = (
            StaffRole.objects.filter(staff__user_id=user.pk, role__in=MANAGER_ROLES)
            .select_related("school", "staff")
            .order_by("school_id")
            .first()
        )
    if role is None:
        logger.info("School management denied to user %s", user.pk)
        raise Http404("Страница доступна заместителю директора и администратору школы.")
    return role, role.staff


def is_school_manager_anywhere(staff: StaffMember) -> bool:
    return StaffRole.objects.filter(staff=staff, role__in=MANAGER_ROLES).exists()
