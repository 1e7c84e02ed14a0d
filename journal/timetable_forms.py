"""Forms of the завуч's timetable screen: change, remove or add a slot."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from journal.bells import LESSON_NUMBER_MAX, LESSON_NUMBER_MIN
from school.models import SchoolClass, TeachingAssignment, TimetableEntry


class AssignmentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: TeachingAssignment) -> str:
        group = f" ({obj.subgroup.name})" if obj.subgroup_id and obj.subgroup else ""
        return f"{obj.subject.name}{group} — {obj.teacher.short_name}"


def class_assignments(school_class: SchoolClass) -> QuerySet[TeachingAssignment]:
    return (
        TeachingAssignment.objects.filter(school_class=school_class)
        .select_related("subject", "subgroup", "teacher")
        .order_by("subject__name", "subgroup__name", "id")
    )


class TimetableSlotForm(forms.Form):
    """A slot in force from a date on: subject and teacher, day, number, room."""

    valid_from = forms.DateField(
        label="Действует с",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Укажите дату, с которой действует изменение.",
            "invalid": "Дата: укажите дату в виде ГГГГ-ММ-ДД.",
        },
    )
    # NOTE: the teacher comes with the teaching assignment, which is one per
    # class, subgroup and subject. So the same subject cannot pass to another
    # teacher from a date on here: that changes the assignment for the year.
    assignment = AssignmentChoiceField(
        label="Предмет и учитель",
        queryset=TeachingAssignment.objects.none(),
        empty_label=None,
        error_messages={
            "required": "Выберите предмет и учителя.",
            "invalid_choice": "Выберите предмет и учителя из нагрузки этого класса.",
        },
    )
    weekday = forms.TypedChoiceField(
        label="День недели",
        coerce=int,
        choices=TimetableEntry.Weekday.choices,
        error_messages={
            "required": "Выберите день недели.",
            "invalid_choice": "Выберите день недели из списка.",
        },
    )
    lesson_number = forms.IntegerField(
        label="Номер урока",
        min_value=LESSON_NUMBER_MIN,
        max_value=LESSON_NUMBER_MAX,
        widget=forms.NumberInput(attrs={"class": "number-input"}),
        error_messages={
            "required": "Укажите номер урока.",
            "invalid": "Номер урока: укажите целое число.",
            "min_value": f"Номер урока не может быть меньше {LESSON_NUMBER_MIN}.",
            "max_value": f"Номер урока не может быть больше {LESSON_NUMBER_MAX}.",
        },
    )
    room = forms.CharField(
        label="Кабинет",
        required=False,
        max_length=20,
        error_messages={"max_length": "Кабинет: не длиннее 20 символов."},
    )

    def __init__(
        self, *args: Any, school_class: SchoolClass, works_saturday: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast(AssignmentChoiceField, self.fields["assignment"])
        field.queryset = class_assignments(school_class)
        if not works_saturday:
            weekday = cast(forms.TypedChoiceField, self.fields["weekday"])
            weekday.choices = [
                choice
                for choice in TimetableEntry.Weekday.choices
                if choice[0] != TimetableEntry.Weekday.SATURDAY
            ]
            weekday.error_messages["invalid_choice"] = (
                "Школа работает пять дней в неделю: выберите день с понедельника "
                "по пятницу."
            )

    def clean_room(self) -> str:
        return str(self.cleaned_data.get("room") or "").strip()


class TimetableChangeForm(TimetableSlotForm):
    """A change of an existing slot, or its removal, from a date on."""

    remove = forms.BooleanField(
        label="Убрать урок из расписания с этой даты", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A removal needs only the date.
        if self.data.get(self.add_prefix("remove")):
            for name in ("assignment", "weekday", "lesson_number"):
                self.fields[name].required = False
