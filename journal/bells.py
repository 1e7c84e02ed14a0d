"""The bell schedule (расписание звонков) of an academic year: form and save.

The завуч edits every bell of the year in one form. Lesson numbers are
unique, each lesson ends after it starts, and a lesson never overlaps the
lesson with the next number, so the numbers follow the day in order.
"""

from __future__ import annotations

import datetime
import itertools
import logging
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.db import transaction

from school.models import AcademicYear, Bell

logger = logging.getLogger(__name__)

# Lesson numbers 0–12, the range the journal's lessons allow.
LESSON_NUMBER_MIN = 0
LESSON_NUMBER_MAX = 12
EXTRA_ROWS = 3


@dataclass(frozen=True)
class BellTimes:
    lesson_number: int
    starts_at: datetime.time
    ends_at: datetime.time


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": f"{label}: укажите время в виде ЧЧ:ММ."},
    )


class BellForm(forms.Form):
    """One row of the bell schedule; a row left blank is skipped."""

    lesson_number = forms.IntegerField(
        label="Номер урока",
        required=False,
        min_value=LESSON_NUMBER_MIN,
        max_value=LESSON_NUMBER_MAX,
        widget=forms.NumberInput(attrs={"class": "number-input"}),
        error_messages={
            "invalid": "Номер урока: укажите целое число.",
            "min_value": (f"Номер урока не может быть меньше {LESSON_NUMBER_MIN}."),
            "max_value": f"Номер урока не может быть больше {LESSON_NUMBER_MAX}.",
        },
    )
    starts_at = _time_field("Начало")
    ends_at = _time_field("Окончание")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or cleaned.get("DELETE"):
            return cleaned
        number = cleaned.get("lesson_number")
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if number is None and starts is None and ends is None:
            return cleaned
        if number is None:
            self.add_error("lesson_number", "Укажите номер урока.")
        if starts is None:
            self.add_error("starts_at", "Укажите время начала урока.")
        if ends is None:
            self.add_error("ends_at", "Укажите время окончания урока.")
        if starts is not None and ends is not None and ends <= starts:
            self.add_error(
                "ends_at",
                f"Урок должен закончиться позже, чем начался: начало {starts:%H:%M}, "
                f"окончание {ends:%H:%M}.",
            )
        return cleaned

    def bell_times(self) -> BellTimes | None:
        """Return the row's bell, or None for a blank or deleted row."""
        data = self.cleaned_data
        if data.get("DELETE") or data.get("lesson_number") is None:
            return None
        return BellTimes(data["lesson_number"], data["starts_at"], data["ends_at"])


class BaseBellFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        bells = self.bells()
        numbers = [bell.lesson_number for bell in bells]
        repeated = sorted({number for number in numbers if numbers.count(number) > 1})
        if repeated:
            listed = ", ".join(str(number) for number in repeated)
            raise forms.ValidationError(
                f"Номер урока повторяется: {listed}. У каждого урока свой номер."
            )
        problems = []
        for earlier, later in itertools.pairwise(bells):
            if later.starts_at < earlier.ends_at:
                problems.append(
                    f"Урок {later.lesson_number} начинается в "
                    f"{later.starts_at:%H:%M}, раньше окончания урока "
                    f"{earlier.lesson_number} ({earlier.ends_at:%H:%M})."
                )
        if problems:
            raise forms.ValidationError(problems)

    def bells(self) -> list[BellTimes]:
        """Return the filled rows ordered by lesson number (after is_valid)."""
        found = [bell for form in self.forms if (bell := form.bell_times()) is not None]
        return sorted(found, key=lambda bell: bell.lesson_number)


BellFormSet = forms.formset_factory(
    BellForm, formset=BaseBellFormSet, extra=EXTRA_ROWS, can_delete=True
)


def bell_formset(year: AcademicYear, data: Any = None) -> BaseBellFormSet:
    """Build the form of the year's bells, bound to ``data`` when given.

    A bound form gets no initial rows, so every row it carries is validated
    even where it equals a saved bell.
    """
    if data is not None:
        return cast(BaseBellFormSet, BellFormSet(data, prefix="bell"))
    initial = [
        {
            "lesson_number": bell.lesson_number,
            "starts_at": bell.starts_at,
            "ends_at": bell.ends_at,
        }
        for bell in Bell.objects.filter(academic_year=year).order_by("lesson_number")
    ]
    return cast(BaseBellFormSet, BellFormSet(initial=initial, prefix="bell"))


def replace_bells(year: AcademicYear, bells: list[BellTimes]) -> None:
    """Make the year's bell schedule exactly ``bells``, in one transaction.

    The rows are replaced rather than updated one by one, so that swapping
    two lesson numbers never trips the unique (year, number) constraint
    halfway. Nothing references a Bell row: lessons keep only the number.
    """
    with transaction.atomic():
        # Two saves at once would both delete and then insert the same
        # numbers; the year's row makes the second wait, and the last wins.
        AcademicYear.objects.select_for_update().filter(pk=year.pk).first()
        Bell.objects.filter(academic_year=year).delete()
        Bell.objects.bulk_create(
            Bell(
                academic_year=year,
                lesson_number=bell.lesson_number,
                starts_at=bell.starts_at,
                ends_at=bell.ends_at,
            )
            for bell in bells
        )
    logger.info("Bell schedule of year %s replaced: %s bells", year.pk, len(bells))
