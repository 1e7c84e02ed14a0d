"""Which lessons a staff member may keep the journal of.

Every journal view goes through these getters. A lesson is editable by the
teacher of its assignment and by its substitute teacher. For anyone else,
including school administrators, guardians and students, the lesson does not
exist (404).
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q
from django.http import Http404

from journal.models import Lesson
from school.models import StaffMember

logger = logging.getLogger(__name__)


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
