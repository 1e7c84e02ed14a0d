"""The one-line diary status of a student, for the student's admin page.

The rule is the diary's own (``diary.access``): enrollment first, then the
latest application, then a guardian's consent in force.
"""

from __future__ import annotations

from diary import access
from diary.access import DiaryAccess
from journal.dates import local_today
from school import models as sm

CLOSED_REASONS = {
    DiaryAccess.NO_APPLICATION: "нет заявления законного представителя",
    DiaryAccess.REFUSED: ("законный представитель отказался от электронного дневника"),
    DiaryAccess.STOPPED: "предоставление прекращено по заявлению",
    DiaryAccess.NO_CONSENT: (
        "нет действующего согласия на обработку персональных данных"
    ),
    DiaryAccess.TRANSFERRED: (
        "обучающийся переведён в другую образовательную организацию"
    ),
    DiaryAccess.GRADUATED: "обучающийся завершил обучение",
    DiaryAccess.NOT_ENROLLED: "обучающийся не зачислен ни в один класс",
}


def diary_status_line(student: sm.Student) -> str:
    """Return whether the student's diary is open today and, if not, why."""
    enrollments = list(
        student.enrollments.select_related("school_class__school").order_by(
            "-start_date"
        )
    )
    applications = list(
        student.diary_applications.order_by("-filed_on", "-created_at", "-id")
    )
    school = enrollments[0].school_class.school if enrollments else None
    today = local_today(school.time_zone if school else None)

    # TODO: these are private helpers of diary.access; a public
    # diary_access_for(student, day) there would keep the rule in one place.
    state = access._enrollment_access(enrollments, today)
    if state is DiaryAccess.OPEN:
        state = access._application_access(applications)
    guardians: list[str] = []
    if state is DiaryAccess.OPEN:
        consents = (
            sm.Consent.objects.in_force_on(today)
            .filter(student=student)
            .select_related("guardian")
            .order_by("guardian__last_name")
        )
        guardians = [consent.guardian.short_name for consent in consents]
        if not guardians:
            state = DiaryAccess.NO_CONSENT
    if state is DiaryAccess.OPEN:
        return f"Открыт на {today:%d.%m.%Y}. Согласие дали: {', '.join(guardians)}"
    return f"Закрыт на {today:%d.%m.%Y}: {CLOSED_REASONS[state]}."
