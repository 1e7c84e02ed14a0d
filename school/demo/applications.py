"""Diary applications and consents, refusals, a stop and a transfer.

Most families filed the application and consented when their child joined
the school or at the start of last year. A few families refused the
e-diary, one stopped it by a statement, two families of first-graders have
not filed yet, and in some families only the mother consented.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from school import models
from school.demo.context import DemoContext, Family, Pupil

REFUSED_FAMILIES = 3
NOT_FILED_FAMILIES = 2


@dataclass
class SpecialCases:
    """The families and pupils that the ESIA people file points at."""

    refused: list[Family] = field(default_factory=list)
    stopped: Family | None = None
    not_filed: list[Family] = field(default_factory=list)
    mother_only_consent: list[Family] = field(default_factory=list)
    transferred: Pupil | None = None
    stopped_on: datetime.date | None = None


def _single_current_child(family: Family) -> bool:
    return len(family.children) == 1 and family.children[0].current_class is not None


def choose_special_cases(ctx: DemoContext) -> SpecialCases:
    """Pick the special families and record the transfer on the enrollment."""
    cases = SpecialCases()
    teacher_guardian = ctx.teacher_parent[1] if ctx.teacher_parent else None
    pool = [
        f
        for f in ctx.families
        if _single_current_child(f)
        and all(g is not teacher_guardian for g, _ in f.guardians)
    ]
    first_graders = [f for f in pool if f.children[0].cohort_grade == 1]
    for family in first_graders[:NOT_FILED_FAMILIES]:
        family.diary = "none"
        cases.not_filed.append(family)
    older = [f for f in pool if f.children[0].cohort_grade >= 3 and f.diary == "filed"]
    for family in older[:REFUSED_FAMILIES]:
        family.diary = "refused"
        cases.refused.append(family)
    stopped = next(f for f in older[REFUSED_FAMILIES:] if f.children[0].previous_class)
    stopped.diary = "stopped"
    cases.stopped = stopped
    # Dates of the stop and the transfer, or today early in the year.
    cases.stopped_on = min(
        ctx.current.year.start_date.replace(month=10, day=12), ctx.today
    )

    transfer_family = next(
        f
        for f in older[REFUSED_FAMILIES + 1 :]
        if f.diary == "filed" and f.children[0].cohort_grade == 6
    )
    pupil = transfer_family.children[0]
    pupil.transferred_on = min(
        ctx.current.year.start_date.replace(month=11, day=13), ctx.today
    )
    cases.transferred = pupil
    models.Enrollment.objects.filter(
        student=pupil.record, school_class=pupil.current_class
    ).update(
        end_date=pupil.transferred_on,
        end_reason=models.Enrollment.EndReason.TRANSFER,
        end_order_number="212-в",
        end_order_date=pupil.transferred_on,
    )

    two_parents = [
        f
        for f in ctx.families
        if f.diary == "filed" and [r for _, r in f.guardians] == ["mother", "father"]
    ]
    for family in two_parents[::9]:
        family.all_consent = False
        cases.mother_only_consent.append(family)
    return cases


def create_applications(ctx: DemoContext, cases: SpecialCases) -> None:
    rng = ctx.rng
    applications: list[models.DiaryApplication] = []
    consents: list[models.Consent] = []
    for family in ctx.families:
        if family.diary == "none":
            continue
        applicant = family.guardians[0][0]
        for child in family.children:
            joined = (
                ctx.previous.year.start_date
                if child.previous_class is not None
                else ctx.current.year.start_date
            )
            filed_on = joined + datetime.timedelta(days=rng.randint(0, 10))
            if family.diary == "refused":
                applications.append(
                    models.DiaryApplication(
                        student=child.record,
                        guardian=applicant,
                        school=ctx.school,
                        status=models.DiaryApplication.Status.REFUSED,
                        filed_on=filed_on,
                        reason="Отказ от электронного дневника; информирование об "
                        "успеваемости через бумажный дневник",
                    )
                )
                continue
            applications.append(
                models.DiaryApplication(
                    student=child.record,
                    guardian=applicant,
                    school=ctx.school,
                    status=models.DiaryApplication.Status.FILED,
                    filed_on=filed_on,
                )
            )
            consenting = (
                family.guardians if family.all_consent else family.guardians[:1]
            )
            # A stop closes the diary; the consent to processing stays in force.
            for guardian, _ in consenting:
                consents.append(
                    models.Consent(
                        guardian=guardian, student=child.record, given_on=filed_on
                    )
                )
            if family.diary == "stopped":
                applications.append(
                    models.DiaryApplication(
                        student=child.record,
                        guardian=applicant,
                        school=ctx.school,
                        status=models.DiaryApplication.Status.STOPPED,
                        filed_on=cases.stopped_on or filed_on,
                        reason="Заявление законного представителя о прекращении "
                        "предоставления информации в форме электронного дневника",
                    )
                )
    models.DiaryApplication.objects.bulk_create(applications)
    models.Consent.objects.bulk_create(consents)
