"""Enrollment workflows, year rollover and consent withdrawal.

Each function runs in one transaction, locks the student (or guardian) row
first so that two administrators cannot interleave changes of one person, and
raises ``django.core.exceptions.ValidationError`` with a Russian message that
the admin page shows as it is.

Enrollment dates are inclusive. A student expelled or moved "from" a day is
no longer in the old class on that day, so the old enrollment ends the day
before: the diary, which treats an enrollment as active through its end
date, closes on the day of the order.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import User as PortalUser
from school import models as sm

logger = logging.getLogger(__name__)

ONE_DAY = datetime.timedelta(days=1)
TOP_GRADE = 11
EXPULSION_REASONS = (
    sm.Enrollment.EndReason.TRANSFER,
    sm.Enrollment.EndReason.GRADUATION,
    sm.Enrollment.EndReason.OTHER,
)

Actor = AbstractBaseUser | AnonymousUser | None


@dataclass(frozen=True)
class Order:
    """An order (приказ) of the school: its number and date."""

    number: str
    date: datetime.date


def _ru(day: datetime.date | None) -> str:
    return f"{day:%d.%m.%Y}" if day else "—"


def _lock_student(student: sm.Student) -> None:
    sm.Student.objects.select_for_update().filter(pk=student.pk).first()


def _check_order(order: Order) -> None:
    if not order.number.strip():
        raise ValidationError("Укажите номер приказа.", code="order_number")


def _check_class_date(school_class: sm.SchoolClass, day: datetime.date) -> None:
    year = school_class.academic_year
    if not year.start_date <= day <= year.end_date:
        raise ValidationError(
            f"Дата {_ru(day)} вне учебного года {year.name} класса "
            f"{school_class.name} ({_ru(year.start_date)}–{_ru(year.end_date)}).",
            code="date_out_of_year",
        )


def _current_enrollment(
    student: sm.Student, day: datetime.date
) -> sm.Enrollment | None:
    return (
        sm.Enrollment.objects.select_related("school_class__academic_year")
        .filter(student=student)
        .active_on(day)
        .first()
    )


def _reject_overlap(student: sm.Student, start: datetime.date) -> None:
    clash = (
        sm.Enrollment.objects.select_related("school_class__school")
        .filter(student=student)
        .overlapping(start, datetime.date.max)
        .order_by("start_date")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            f"Обучающийся уже числится в классе {clash.school_class.name} "
            f"({clash.school_class.school}) с {_ru(clash.start_date)} "
            f"по {_ru(clash.end_date)}: периоды обучения не могут пересекаться. "
            "Сначала оформите выбытие или перевод.",
            code="overlap",
        )


def _create_enrollment(
    student: sm.Student,
    school_class: sm.SchoolClass,
    start: datetime.date,
    order: Order,
) -> sm.Enrollment:
    _reject_overlap(student, start)
    enrollment = sm.Enrollment(
        student=student,
        school_class=school_class,
        start_date=start,
        order_number=order.number.strip(),
        order_date=order.date,
    )
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError as error:
        # The exclusion constraint caught an overlap written in between.
        logger.warning("Enrollment of student %s rejected: %s", student.pk, error)
        raise ValidationError(
            "Периоды обучения пересекаются с уже записанным зачислением.",
            code="overlap",
        ) from error
    return enrollment


def _end_enrollment(
    enrollment: sm.Enrollment,
    last_day: datetime.date,
    reason: str,
    order: Order,
    note: str = "",
) -> None:
    if last_day < enrollment.start_date:
        raise ValidationError(
            f"Дата выбытия должна быть позже даты зачисления "
            f"({_ru(enrollment.start_date)}).",
            code="end_before_start",
        )
    enrollment.end_date = last_day
    enrollment.end_reason = reason
    enrollment.end_order_number = order.number.strip()
    enrollment.end_order_date = order.date
    enrollment._change_reason = note  # type: ignore[attr-defined]
    enrollment.save(
        update_fields=["end_date", "end_reason", "end_order_number", "end_order_date"]
    )


@transaction.atomic
def enroll(
    student: sm.Student,
    school_class: sm.SchoolClass,
    start: datetime.date,
    order: Order,
) -> sm.Enrollment:
    """Enroll a student into a class from ``start`` on, with no end date."""
    _check_order(order)
    _lock_student(student)
    _check_class_date(school_class, start)
    enrollment = _create_enrollment(student, school_class, start, order)
    logger.info("Student %s enrolled into class %s", student.pk, school_class.pk)
    return enrollment


@transaction.atomic
def re_enroll(
    student: sm.Student,
    school_class: sm.SchoolClass,
    start: datetime.date,
    order: Order,
) -> sm.Enrollment:
    """Enroll again a student who left; the earlier enrollments stay as they are."""
    _check_order(order)
    _lock_student(student)
    if not sm.Enrollment.objects.filter(student=student).exists():
        raise ValidationError(
            "У обучающегося нет прежних зачислений: оформите зачисление.",
            code="never_enrolled",
        )
    _check_class_date(school_class, start)
    enrollment = _create_enrollment(student, school_class, start, order)
    logger.info("Student %s re-enrolled into class %s", student.pk, school_class.pk)
    return enrollment


def _enrollment_to_end(student: sm.Student, day: datetime.date) -> sm.Enrollment:
    current = _current_enrollment(student, day)
    if current is None:
        raise ValidationError(
            f"На {_ru(day)} обучающийся не числится ни в одном классе.",
            code="not_enrolled",
        )
    later = sm.Enrollment.objects.filter(student=student, start_date__gt=day)
    if later.exists():
        raise ValidationError(
            f"У обучающегося есть зачисление, начинающееся после {_ru(day)}: "
            "сначала исправьте его.",
            code="later_enrollment",
        )
    return current


@transaction.atomic
def move(
    student: sm.Student,
    school_class: sm.SchoolClass,
    day: datetime.date,
    order: Order,
) -> sm.Enrollment:
    """Move a student to another class of the same school from ``day`` on."""
    _check_order(order)
    _lock_student(student)
    current = _enrollment_to_end(student, day)
    if current.school_class_id == school_class.pk:
        raise ValidationError(
            f"Обучающийся уже в классе {school_class.name}.", code="same_class"
        )
    if current.school_class.school_id != school_class.school_id:
        raise ValidationError(
            "Перевод возможен только в класс той же школы; для другой школы "
            "оформите отчисление с причиной «перевод».",
            code="other_school",
        )
    _check_class_date(school_class, day)
    _end_enrollment(current, day - ONE_DAY, sm.Enrollment.EndReason.CLASS_CHANGE, order)
    enrollment = _create_enrollment(student, school_class, day, order)
    logger.info("Student %s moved to class %s", student.pk, school_class.pk)
    return enrollment


@transaction.atomic
def expel(
    student: sm.Student,
    day: datetime.date,
    reason: str,
    order: Order,
    note: str = "",
    school_ids: Collection[int] | None = None,
) -> sm.Enrollment:
    """Expel a student from ``day`` on: the current enrollment ends the day before.

    With ``school_ids`` the current enrollment must be in one of those schools,
    so a school cannot expel a student who has moved on to another school.
    """
    _check_order(order)
    if reason not in EXPULSION_REASONS:
        raise ValidationError("Выберите причину отчисления.", code="reason")
    _lock_student(student)
    current = _enrollment_to_end(student, day)
    if school_ids is not None and current.school_class.school_id not in school_ids:
        raise ValidationError(
            f"На {_ru(day)} обучающийся числится в другой школе: отчисление "
            "оформляет она.",
            code="other_school",
        )
    if current.start_date >= day:
        raise ValidationError(
            f"Дата отчисления должна быть позже даты зачисления "
            f"({_ru(current.start_date)}).",
            code="end_before_start",
        )
    _end_enrollment(current, day - ONE_DAY, reason, order, note)
    logger.info("Student %s expelled, reason %s", student.pk, reason)
    return current


def _portal_user(user: Actor) -> PortalUser | None:
    return user if isinstance(user, PortalUser) else None


# Year rollover


@dataclass
class RolloverRow:
    """One class of the old year and what the rollover does with it."""

    source: sm.SchoolClass
    student_count: int
    graduates: bool
    target_name: str = ""
    target_exists: bool = False


@dataclass
class RolloverPlan:
    old_year: sm.AcademicYear
    new_year: sm.AcademicYear
    rows: list[RolloverRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def promoted_count(self) -> int:
        return sum(row.student_count for row in self.rows if not row.graduates)

    @property
    def graduate_count(self) -> int:
        return sum(row.student_count for row in self.rows if row.graduates)


def _open_enrollments(old_year: sm.AcademicYear) -> list[sm.Enrollment]:
    """Return the enrollments in the old year's classes that have no end date."""
    return list(
        sm.Enrollment.objects.filter(
            school_class__academic_year=old_year, end_date__isnull=True
        ).select_related("school_class")
    )


def plan_rollover(
    old_year: sm.AcademicYear, new_year: sm.AcademicYear, top_grade: int = TOP_GRADE
) -> RolloverPlan:
    """Compute what :func:`run_rollover` would do, writing nothing."""
    plan = RolloverPlan(old_year=old_year, new_year=new_year)
    if old_year.school_id != new_year.school_id:
        plan.errors.append("Учебные годы относятся к разным школам.")
    if new_year.start_date <= old_year.end_date:
        plan.errors.append(
            f"Новый учебный год {new_year.name} должен начинаться после окончания "
            f"года {old_year.name} ({_ru(old_year.end_date)})."
        )
    counts: dict[int, int] = {}
    for enrollment in _open_enrollments(old_year):
        counts[enrollment.school_class_id] = (
            counts.get(enrollment.school_class_id, 0) + 1
        )
    existing = {
        (school_class.grade, school_class.letter)
        for school_class in sm.SchoolClass.objects.filter(academic_year=new_year)
    }
    classes = sm.SchoolClass.objects.filter(academic_year=old_year).order_by(
        "-grade", "letter"
    )
    for school_class in classes:
        row = RolloverRow(
            source=school_class,
            student_count=counts.get(school_class.pk, 0),
            graduates=school_class.grade >= top_grade,
        )
        if not row.graduates:
            row.target_name = f"{school_class.grade + 1}{school_class.letter}"
            row.target_exists = (
                school_class.grade + 1,
                school_class.letter,
            ) in existing
        plan.rows.append(row)
    return plan


@dataclass(frozen=True)
class RolloverResult:
    promoted: int
    graduated: int
    classes_created: int


@transaction.atomic
def run_rollover(
    old_year: sm.AcademicYear,
    new_year: sm.AcademicYear,
    order: Order,
    graduation_date: datetime.date,
    user: Actor = None,
    top_grade: int = TOP_GRADE,
) -> RolloverResult:
    """Promote every class of ``old_year`` into ``new_year`` and graduate the top.

    Promoted students end the old enrollment the day before the new year
    starts, so the diary stays open over the summer. A second run finds no
    open enrollment in the old year and changes nothing.
    """
    _check_order(order)
    plan = plan_rollover(old_year, new_year, top_grade)
    if plan.errors:
        raise ValidationError(plan.errors)
    if not old_year.start_date <= graduation_date < new_year.start_date:
        raise ValidationError(
            f"Дата выпуска должна быть в пределах {_ru(old_year.start_date)}–"
            f"{_ru(new_year.start_date - ONE_DAY)}.",
            code="graduation_date",
        )
    logger.info("Year rollover of school %s started", old_year.school_id)

    enrollments = _open_enrollments(old_year)
    sm.Student.objects.select_for_update().filter(
        pk__in=[enrollment.student_id for enrollment in enrollments]
    ).count()
    targets, created = _target_classes(plan, new_year)

    to_close: list[sm.Enrollment] = []
    to_open: list[sm.Enrollment] = []
    graduated = 0
    for enrollment in enrollments:
        source = enrollment.school_class
        if source.grade >= top_grade:
            last_day = max(graduation_date, enrollment.start_date)
            enrollment.end_reason = sm.Enrollment.EndReason.GRADUATION
            graduated += 1
        else:
            last_day = max(new_year.start_date - ONE_DAY, enrollment.start_date)
            enrollment.end_reason = sm.Enrollment.EndReason.NEXT_GRADE
            to_open.append(
                sm.Enrollment(
                    student_id=enrollment.student_id,
                    school_class=targets[source.pk],
                    start_date=new_year.start_date,
                    order_number=order.number.strip(),
                    order_date=order.date,
                )
            )
        enrollment.end_date = last_day
        enrollment.end_order_number = order.number.strip()
        enrollment.end_order_date = order.date
        to_close.append(enrollment)

    default_user = _portal_user(user)
    bulk_update_with_history(
        to_close,
        sm.Enrollment,
        ["end_date", "end_reason", "end_order_number", "end_order_date"],
        batch_size=500,
        default_user=default_user,
        default_change_reason="перевод учебного года",
    )
    try:
        with transaction.atomic():
            bulk_create_with_history(
                to_open,
                sm.Enrollment,
                batch_size=500,
                default_user=default_user,
                default_change_reason="перевод учебного года",
            )
    except IntegrityError as error:
        logger.warning(
            "Year rollover of school %s failed: %s", old_year.school_id, error
        )
        raise ValidationError(
            "Перевод не выполнен: у части обучающихся уже есть зачисления в новом "
            "учебном году. Исправьте их и повторите.",
            code="overlap",
        ) from error
    logger.info(
        "Year rollover of school %s done: %s promoted, %s graduated",
        old_year.school_id,
        len(to_open),
        graduated,
    )
    return RolloverResult(
        promoted=len(to_open), graduated=graduated, classes_created=created
    )


def _target_classes(
    plan: RolloverPlan, new_year: sm.AcademicYear
) -> tuple[dict[int, sm.SchoolClass], int]:
    """Return the new year's class for each promoted class, creating missing ones."""
    targets: dict[int, sm.SchoolClass] = {}
    created = 0
    for row in plan.rows:
        if row.graduates:
            continue
        source = row.source
        target, was_created = sm.SchoolClass.objects.get_or_create(
            academic_year=new_year,
            grade=source.grade + 1,
            letter=source.letter,
            defaults={
                "school_id": source.school_id,
                "class_teacher": source.class_teacher,
            },
        )
        targets[source.pk] = target
        created += int(was_created)
    return targets, created


# Consent


GUARDIAN_ERASED_FIELDS = ("birth_date", "snils", "phone")


def _erase_guardian(guardian: sm.Guardian) -> list[str]:
    """Clear the guardian's personal data but the full name, in the row and history."""
    erased = [
        name
        for name in GUARDIAN_ERASED_FIELDS
        if getattr(guardian, name) not in (None, "")
    ]
    guardian.birth_date = None
    guardian.snils = None
    guardian.phone = ""
    guardian.user = None
    guardian._change_reason = "отзыв согласия на обработку персональных данных"  # type: ignore[attr-defined]
    guardian.save(update_fields=["birth_date", "snils", "phone", "user"])
    # Older history rows still carry the erased values.
    sm.Guardian.history.filter(id=guardian.pk).update(  # type: ignore[attr-defined]
        birth_date=None, snils=None, phone="", user=None
    )
    return erased


def _release_account(user_id: int | None) -> None:
    """Erase the e-mail and name of a portal account left with no person record."""
    if user_id is None:
        return
    account = PortalUser.objects.filter(pk=user_id).first()
    if account is None or account.is_superuser:
        return
    for relation in ("student", "staff_member", "guardian"):
        if getattr(account, relation, None) is not None:
            return
    account.email = ""
    account.first_name = ""
    account.last_name = ""
    account.save(update_fields=["email", "first_name", "last_name"])


@transaction.atomic
def withdraw_consent(
    consent: sm.Consent,
    day: datetime.date,
    school: sm.School,
    statement: str = "",
    user: Actor = None,
) -> sm.ConsentWithdrawal:
    """Record a guardian's withdrawal of consent from ``day`` on.

    The consent covers the guardian's own personal data, so every consent of
    that guardian still in force ends on ``day``. The guardian keeps only the
    full name, and their ESIA account is unlinked. The account's e-mail and
    name are erased too when it has no other role. A
    :class:`ConsentWithdrawal` records the act with the erased field names.
    """
    guardian = sm.Guardian.objects.select_for_update().get(pk=consent.guardian_id)
    if consent.withdrawn_on is not None:
        raise ValidationError(
            f"Согласие уже отозвано {_ru(consent.withdrawn_on)}.", code="withdrawn"
        )
    if day < consent.given_on:
        raise ValidationError(
            "Дата отзыва не может быть раньше даты согласия "
            f"({_ru(consent.given_on)}).",
            code="before_given",
        )
    open_consents = sm.Consent.objects.filter(
        guardian=guardian, withdrawn_on__isnull=True, given_on__lte=day
    )
    for open_consent in open_consents:
        open_consent.withdrawn_on = day
        open_consent._change_reason = statement  # type: ignore[attr-defined]
        open_consent.save(update_fields=["withdrawn_on"])

    user_id = guardian.user_id
    erased = _erase_guardian(guardian)
    _release_account(user_id)
    act = sm.ConsentWithdrawal.objects.create(
        guardian=guardian,
        student_id=consent.student_id,
        school=school,
        withdrawn_on=day,
        statement=statement,
        erased_fields=", ".join(erased),
        unlinked_account=user_id is not None,
        recorded_by=_portal_user(user),
    )
    logger.info("Consent of guardian %s withdrawn, act %s", guardian.pk, act.pk)
    return act


def check_guardian_linked(guardian: sm.Guardian, student: sm.Student) -> None:
    if not sm.GuardianLink.objects.filter(guardian=guardian, student=student).exists():
        raise ValidationError(
            f"{guardian.full_name} не указан(а) законным представителем "
            f"обучающегося {student.full_name}. Сначала добавьте связь.",
            code="not_linked",
        )
