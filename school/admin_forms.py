"""Forms of the school admin: people with SNILS, workflows, consent."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from school import models as sm
from school.services import EXPULSION_REASONS, Order, check_guardian_linked
from school.snils import format_snils, is_valid_snils, normalize_snils


class SnilsField(forms.CharField):
    """A SNILS typed with or without separators, stored as 11 digits."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("label", "СНИЛС")
        kwargs.setdefault("help_text", "11 цифр, например 112-233-445 95")
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) == 11 and value.isdigit():
            return format_snils(value)
        return value

    def to_python(self, value: Any) -> str | None:
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        try:
            digits = normalize_snils(text)
        except ValueError:
            raise ValidationError(
                "СНИЛС должен состоять из 11 цифр (допустимы дефисы и пробелы).",
                code="snils_format",
            ) from None
        if not is_valid_snils(digits):
            raise ValidationError(
                "СНИЛС %(value)s недействителен: контрольное число не совпадает. "
                "Проверьте цифры по документу.",
                code="invalid_snils",
                params={"value": format_snils(digits)},
            )
        return digits


class PersonAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    snils = SnilsField()

    def clean_snils(self) -> str | None:
        snils: str | None = self.cleaned_data.get("snils")
        if snils is None:
            return None
        model = self._meta.model
        duplicate = model._default_manager.filter(snils=snils)
        if self.instance.pk:
            duplicate = duplicate.exclude(pk=self.instance.pk)
        if duplicate.exists():
            raise ValidationError(
                "Запись с СНИЛС %(value)s уже есть в региональной базе. Если это "
                "тот же человек, найдите его запись (раздел «Конфликты данных») "
                "вместо создания новой.",
                code="duplicate_snils",
                params={"value": format_snils(snils)},
            )
        return snils


class _OrderFormMixin(forms.Form):
    order_number = forms.CharField(label="Номер приказа", max_length=50)
    order_date = forms.DateField(label="Дата приказа")

    def order(self) -> Order:
        return Order(
            number=self.cleaned_data["order_number"],
            date=self.cleaned_data["order_date"],
        )


class ClassDateForm(_OrderFormMixin):
    """Enroll, re-enroll or move the selected students into one class."""

    school_class = forms.ModelChoiceField(
        label="Класс", queryset=sm.SchoolClass.objects.none()
    )
    day = forms.DateField(label="С даты")

    def __init__(
        self, *args: Any, classes: QuerySet[sm.SchoolClass], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["school_class"])  # type: ignore[type-arg]
        field.queryset = classes.select_related("academic_year", "school")
        field.label_from_instance = _class_label  # type: ignore[method-assign,assignment]


def _class_label(school_class: sm.SchoolClass) -> str:
    year = school_class.academic_year.name
    return f"{school_class.name} ({year}, {school_class.school})"


class ExpelForm(_OrderFormMixin):
    day = forms.DateField(
        label="Отчислить с",
        help_text="Первый день, когда обучающийся уже не числится в школе.",
    )
    reason = forms.ChoiceField(
        label="Причина",
        choices=[
            (value, label)
            for value, label in sm.Enrollment.EndReason.choices
            if value in EXPULSION_REASONS
        ],
    )
    note = forms.CharField(
        label="Комментарий", required=False, max_length=200, widget=forms.TextInput
    )


class RolloverForm(_OrderFormMixin):
    new_year = forms.ModelChoiceField(
        label="Новый учебный год", queryset=sm.AcademicYear.objects.none()
    )
    graduation_date = forms.DateField(label="Дата выпуска")
    top_grade = forms.IntegerField(
        label="Выпускной класс", min_value=1, max_value=11, initial=11
    )

    def __init__(
        self,
        *args: Any,
        old_year: sm.AcademicYear,
        years: QuerySet[sm.AcademicYear],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["new_year"])  # type: ignore[type-arg]
        field.queryset = years.filter(
            school_id=old_year.school_id, start_date__gt=old_year.end_date
        )
        if not self.is_bound:
            self.initial.setdefault("graduation_date", old_year.end_date)

    def signature(self) -> str:
        """Return the parameters that decide the rollover, as one string."""
        data = self.cleaned_data
        return f"{data['new_year'].pk}|{data['graduation_date']}|{data['top_grade']}"


class WithdrawConsentForm(forms.Form):
    day = forms.DateField(label="Дата отзыва")
    statement = forms.CharField(
        label="Заявление (номер, дата)", max_length=255, required=False
    )


def _today() -> datetime.date:
    from journal.dates import local_today

    return local_today(None)


class DiaryApplicationAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = sm.DiaryApplication
        fields = ["student", "guardian", "school", "status", "filed_on", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        student, guardian = data.get("student"), data.get("guardian")
        if student and guardian:
            try:
                check_guardian_linked(guardian, student)
            except ValidationError as error:
                self.add_error("guardian", error)
        filed_on = data.get("filed_on")
        if filed_on and filed_on > _today():
            self.add_error("filed_on", "Дата заявления не может быть в будущем.")
        return data


class ConsentAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = sm.Consent
        fields = ["guardian", "student", "given_on"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        student, guardian = data.get("student"), data.get("guardian")
        if student and guardian:
            try:
                check_guardian_linked(guardian, student)
            except ValidationError as error:
                self.add_error("guardian", error)
            open_consents = sm.Consent.objects.filter(
                guardian=guardian, student=student, withdrawn_on__isnull=True
            )
            if self.instance.pk:
                open_consents = open_consents.exclude(pk=self.instance.pk)
            if open_consents.exists():
                self.add_error(
                    None, "У этого представителя уже есть действующее согласие."
                )
        given_on = data.get("given_on")
        if given_on and given_on > _today():
            self.add_error("given_on", "Дата согласия не может быть в будущем.")
        return data


class _LinkOnAddForm(PersonAdminForm):
    """A person form that also links the new person to the user's school.

    A school administrator sees a person only through an enrollment, a
    guardian link or a staff role in their school, so the add form asks for
    that link and the admin creates it with the person. ``choices`` and
    ``link_required`` are set per request by the admin.
    """

    choices: QuerySet[Any] | None = None
    link_required: bool = True
    choice_field = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields[self.choice_field])  # type: ignore[type-arg]
        if self.choices is not None:
            field.queryset = self.choices
        for name in self.link_fields():
            self.fields[name].required = self.link_required

    @classmethod
    def link_fields(cls) -> list[str]:
        return []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.link_required and data.get(self.choice_field) is not None:
            missing = [
                name for name in self.link_fields() if data.get(name) in (None, "")
            ]
            for name in missing:
                self.add_error(name, "Заполните поле вместе с выбором.")
        return data


class StudentAddForm(_LinkOnAddForm):
    choice_field = "school_class"
    school_class = forms.ModelChoiceField(
        label="Зачислить в класс", queryset=sm.SchoolClass.objects.none()
    )
    enrollment_date = forms.DateField(label="Дата зачисления", widget=AdminDateWidget)
    order_number = forms.CharField(label="Номер приказа", max_length=50)
    order_date = forms.DateField(label="Дата приказа", widget=AdminDateWidget)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["school_class"])  # type: ignore[type-arg]
        field.label_from_instance = _class_label  # type: ignore[method-assign,assignment]

    @classmethod
    def link_fields(cls) -> list[str]:
        return ["school_class", "enrollment_date", "order_number", "order_date"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        school_class, day = data.get("school_class"), data.get("enrollment_date")
        if school_class and day:
            year = school_class.academic_year
            if not year.start_date <= day <= year.end_date:
                self.add_error(
                    "enrollment_date",
                    f"Дата вне учебного года {year.name} "
                    f"({year.start_date:%d.%m.%Y}–{year.end_date:%d.%m.%Y}).",
                )
        return data


class GuardianAddForm(_LinkOnAddForm):
    choice_field = "student"
    student = forms.ModelChoiceField(
        label="Законный представитель обучающегося",
        queryset=sm.Student.objects.none(),
    )
    relation = forms.ChoiceField(
        label="Кем приходится", choices=sm.GuardianLink.Relation.choices
    )

    @classmethod
    def link_fields(cls) -> list[str]:
        return ["student", "relation"]


class StaffAddForm(_LinkOnAddForm):
    choice_field = "school"
    school = forms.ModelChoiceField(label="Школа", queryset=sm.School.objects.none())
    role = forms.ChoiceField(label="Роль", choices=sm.StaffRole.Role.choices)

    @classmethod
    def link_fields(cls) -> list[str]:
        return ["school", "role"]


class EnrollBySnilsForm(ClassDateForm):
    """Enroll a student known to the region (a transfer from another school)."""

    snils = SnilsField(required=True)
    last_name = forms.CharField(label="Фамилия", max_length=100)

    field_order = ["snils", "last_name", "school_class", "day"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        snils, last_name = data.get("snils"), data.get("last_name")
        if snils and last_name:
            student = sm.Student.objects.filter(
                snils=snils, last_name__iexact=last_name.strip()
            ).first()
            if student is None:
                raise ValidationError(
                    "Обучающийся с таким СНИЛС и фамилией не найден. Новых "
                    "обучающихся добавляйте кнопкой «Добавить».",
                    code="not_found",
                )
            data["student"] = student
        return data


class LinkGuardianBySnilsForm(forms.Form):
    """Link a guardian known to the region to a student of the user's school."""

    snils = SnilsField(required=True)
    last_name = forms.CharField(label="Фамилия представителя", max_length=100)
    student = forms.ModelChoiceField(
        label="Обучающийся", queryset=sm.Student.objects.none()
    )
    relation = forms.ChoiceField(
        label="Кем приходится", choices=sm.GuardianLink.Relation.choices
    )

    def __init__(
        self, *args: Any, students: QuerySet[sm.Student], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["student"])  # type: ignore[type-arg]
        field.queryset = students

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        snils, last_name = data.get("snils"), data.get("last_name")
        if snils and last_name:
            guardian = sm.Guardian.objects.filter(
                snils=snils, last_name__iexact=last_name.strip()
            ).first()
            if guardian is None:
                raise ValidationError(
                    "Представитель с таким СНИЛС и фамилией не найден. Новых "
                    "представителей добавляйте кнопкой «Добавить».",
                    code="not_found",
                )
            data["guardian"] = guardian
        return data


class InsideYearForm(forms.ModelForm):  # type: ignore[type-arg]
    """A period or holiday, whose dates must lie inside its academic year."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        year = data.get("academic_year") or getattr(
            self.instance, "academic_year", None
        )
        start, end = data.get("start_date"), data.get("end_date")
        if not (isinstance(year, sm.AcademicYear) and start and end):
            return data
        if start < year.start_date or end > year.end_date:
            raise ValidationError(
                f"Даты должны быть внутри учебного года {year.name} "
                f"({year.start_date:%d.%m.%Y}–{year.end_date:%d.%m.%Y}).",
                code="outside_year",
            )
        return data
