"""Bulk import and export of students, guardians and staff (django-import-export).

Rows are matched by SNILS, so importing the same file again finds every
person and changes nothing. Every row is checked before anything is written.
An invalid or duplicate SNILS, an unknown class, a date out of range or a
person of another school make the row invalid, and the admin preview lists
each row's errors. The import runs in one transaction, which is rolled back
when any row is invalid. CSV files may be in UTF-8 or Windows-1251, with a comma or
a semicolon (the Russian Excel default) between columns.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections import Counter
from typing import Any

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest
from import_export import fields, resources, widgets
from import_export.formats import base_formats

from school import models as sm
from school.admin_site import admin_school_ids
from school.scoping import scope_to_schools
from school.snils import format_snils, is_valid_snils, normalize_snils

DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d")
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
_CLASS_NAME = re.compile(r"^\s*(\d{1,2})\s*-?\s*([А-ЯЁA-Z])\s*$", re.IGNORECASE)


def decode_upload(data: bytes) -> str:
    """Decode a CSV file written in UTF-8 (with or without BOM) or Windows-1251."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


class CsvAnyEncoding(base_formats.CSV):
    """CSV in UTF-8 or Windows-1251, comma- or semicolon-separated."""

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream: Any, **kwargs: Any) -> tablib.Dataset:
        text = decode_upload(in_stream) if isinstance(in_stream, bytes) else in_stream
        first_line = text.lstrip("\ufeff").split("\n", 1)[0]
        try:
            delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        return tablib.import_set(text, format="csv", delimiter=delimiter)


IMPORT_FORMATS = [CsvAnyEncoding, base_formats.XLSX]
EXPORT_FORMATS = [base_formats.CSV, base_formats.XLSX]


class SnilsWidget(widgets.CharWidget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        try:
            digits = normalize_snils(text)
        except ValueError:
            raise ValueError(f"СНИЛС «{text}» должен состоять из 11 цифр.") from None
        if not is_valid_snils(digits):
            raise ValueError(
                f"СНИЛС {format_snils(digits)} недействителен: "
                "контрольное число не совпадает."
            )
        return digits

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return format_snils(value) if value else ""


class RuDateWidget(widgets.DateWidget):
    def __init__(self) -> None:
        super().__init__(format=DATE_FORMATS[0])
        self.formats = DATE_FORMATS

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(
                f"Дата «{value}» не распознана: ожидается ДД.ММ.ГГГГ."
            ) from None


def _text() -> widgets.CharWidget:
    # An empty spreadsheet cell arrives as None; the model stores "".
    return widgets.CharWidget(allow_blank=True)


class GenderWidget(widgets.CharWidget):
    """«м» / «ж» (or the full word, or the stored M / F); empty is allowed."""

    VALUES = {"m": "M", "м": "M", "муж": "M", "мужской": "M"} | {
        "f": "F",
        "ж": "F",
        "жен": "F",
        "женский": "F",
    }

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = "" if value is None else str(value).strip().lower().rstrip(".")
        if not text:
            return ""
        if text not in self.VALUES:
            raise ValueError(f"Пол «{value}» не распознан: укажите «м» или «ж».")
        return self.VALUES[text]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return {"M": "м", "F": "ж"}.get(value or "", "")


def _snils_of(value: Any) -> str | None:
    try:
        return normalize_snils(str(value or ""))
    except ValueError:
        return None


class ScopedPersonResource(resources.ModelResource):  # type: ignore[type-arg]
    """A person resource that reaches only the importing user's schools."""

    last_name = fields.Field(
        attribute="last_name", column_name="Фамилия", widget=_text()
    )
    first_name = fields.Field(attribute="first_name", column_name="Имя", widget=_text())
    middle_name = fields.Field(
        attribute="middle_name", column_name="Отчество", widget=_text()
    )
    birth_date = fields.Field(
        attribute="birth_date", column_name="Дата рождения", widget=RuDateWidget()
    )
    snils = fields.Field(attribute="snils", column_name="СНИЛС", widget=SnilsWidget())

    def __init__(self, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.request = request
        self.school_ids = admin_school_ids(request) if request is not None else None
        self.duplicate_snils: set[str] = set()

    def _scoped(self, queryset: Any) -> Any:
        if self.school_ids is None:
            return queryset
        return scope_to_schools(queryset, self.school_ids)

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        column = "СНИЛС"
        if column in (dataset.headers or []):
            counts = Counter(
                snils
                for snils in (_snils_of(value) for value in dataset[column])
                if snils
            )
            self.duplicate_snils = {
                snils for snils, count in counts.items() if count > 1
            }

    def get_instance(self, instance_loader: Any, row: Any) -> Any:
        snils = _snils_of(row.get("СНИЛС"))
        if snils is None:
            return None
        model = self._meta.model
        existing = model._default_manager.filter(snils=snils).first()
        if existing is None:
            return None
        if not self._scoped(model._default_manager.filter(pk=existing.pk)).exists():
            raise ValidationError(
                {
                    "snils": (
                        f"СНИЛС {format_snils(snils)} принадлежит человеку, который "
                        "не числится в вашей школе. Оформите зачисление или "
                        "проверьте раздел «Конфликты данных»."
                    )
                }
            )
        return existing

    def row_errors(self, instance: Any, row: Any) -> dict[str, list[str]]:
        """Return the checks of one row beyond the field formats."""
        errors: dict[str, list[str]] = {}
        if instance.snils and instance.snils in self.duplicate_snils:
            errors["snils"] = [
                f"СНИЛС {format_snils(instance.snils)} встречается в файле "
                "несколько раз."
            ]
        if instance.snils and self._snils_in_other_tables(instance.snils):
            errors.setdefault("snils", []).append(
                f"СНИЛС {format_snils(instance.snils)} уже указан у записи "
                "другого вида (обучающегося, представителя или сотрудника)."
            )
        birth = instance.birth_date
        if birth and not EARLIEST_BIRTH_DATE <= birth <= datetime.date.today():  # noqa: DTZ011
            errors["birth_date"] = [
                f"Дата рождения {birth:%d.%m.%Y} вне допустимого диапазона."
            ]
        if (
            not (instance.last_name or "").strip()
            or not (instance.first_name or "").strip()
        ):
            errors.setdefault(NON_FIELD_ERRORS, []).append(
                "Не указаны фамилия или имя."
            )
        return errors

    def _snils_in_other_tables(self, snils: str) -> bool:
        others: list[type[sm.Person]] = [
            model
            for model in (sm.Student, sm.Guardian, sm.StaffMember)
            if model is not self._meta.model
        ]
        # A staff member may also be a parent, so only students conflict with
        # adults; guardians and staff may share one SNILS.
        if self._meta.model is not sm.Student:
            others = [sm.Student]
        return any(
            model._default_manager.filter(snils=snils).exists() for model in others
        )

    def import_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        errors: dict[str, list[Any]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for key, messages in self.row_errors(instance, row).items():
            errors.setdefault(key, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def skip_row(
        self,
        instance: Any,
        original: Any,
        row: Any,
        import_validation_errors: Any = None,
    ) -> bool:
        return bool(
            super().skip_row(instance, original, row, import_validation_errors)
        ) and not self.links_missing(instance, row)

    def links_missing(self, instance: Any, row: Any) -> bool:
        return False


def _parse_class_name(value: Any) -> tuple[int, str] | None:
    match = _CLASS_NAME.match(str(value or ""))
    if match is None:
        return None
    return int(match.group(1)), match.group(2).upper()


class StudentResource(ScopedPersonResource):
    """Students with their class: «Класс» (such as 5А) and «Дата зачисления»."""

    gender = fields.Field(attribute="gender", column_name="Пол", widget=GenderWidget())
    # Columns read by the row checks and the enrollment, not model fields.
    class_name = fields.Field(column_name="Класс")
    enrollment_date = fields.Field(column_name="Дата зачисления")
    order_number = fields.Field(column_name="Номер приказа")
    order_date = fields.Field(column_name="Дата приказа")

    class Meta:
        model = sm.Student
        fields = (
            "last_name",
            "first_name",
            "middle_name",
            "birth_date",
            "snils",
            "gender",
            "class_name",
            "enrollment_date",
            "order_number",
            "order_date",
        )
        import_id_fields = ("snils",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def dehydrate_class_name(self, student: sm.Student) -> str:
        # The admin's queryset annotates the class of the open enrollment.
        return getattr(student, "current_class_name", None) or ""

    def _class_and_date(
        self, row: Any
    ) -> tuple[sm.SchoolClass | None, datetime.date | None, list[str]]:
        errors: list[str] = []
        try:
            day = RuDateWidget().clean(row.get("Дата зачисления"))
        except ValueError as error:
            return None, None, [str(error)]
        if day is None:
            return None, None, ["Не указана дата зачисления."]
        parsed = _parse_class_name(row.get("Класс"))
        if parsed is None:
            return (
                None,
                day,
                [
                    f"Класс «{row.get('Класс') or ''}» не распознан: "
                    "ожидается, например, 5А."
                ],
            )
        grade, letter = parsed
        classes = self._scoped(
            sm.SchoolClass.objects.filter(
                grade=grade,
                letter__iexact=letter,
                academic_year__start_date__lte=day,
                academic_year__end_date__gte=day,
            )
        ).select_related("academic_year")
        found = list(classes[:2])
        if not found:
            errors.append(
                f"Класс {grade}{letter} на дату {day:%d.%m.%Y} не найден: проверьте "
                "класс и дату зачисления (она должна быть внутри учебного года)."
            )
            return None, day, errors
        if len(found) > 1:
            return None, day, [f"Класс {grade}{letter} есть в нескольких школах."]
        return found[0], day, errors

    def row_errors(self, instance: Any, row: Any) -> dict[str, list[str]]:
        errors = super().row_errors(instance, row)
        school_class, day, class_errors = self._class_and_date(row)
        if class_errors:
            errors.setdefault(NON_FIELD_ERRORS, []).extend(class_errors)
        elif school_class and day and instance.pk:
            clash = (
                sm.Enrollment.objects.filter(student=instance)
                .overlapping(day, datetime.date.max)
                .exclude(school_class=school_class, start_date=day)
                .select_related("school_class")
                .first()
            )
            if clash is not None:
                errors.setdefault(NON_FIELD_ERRORS, []).append(
                    f"Обучающийся уже числится в классе {clash.school_class.name} "
                    f"с {clash.start_date:%d.%m.%Y}: оформите перевод, а не импорт."
                )
        return errors

    def links_missing(self, instance: Any, row: Any) -> bool:
        school_class, day, errors = self._class_and_date(row)
        if errors or school_class is None or day is None:
            return False
        return not sm.Enrollment.objects.filter(
            student=instance, school_class=school_class, start_date=day
        ).exists()

    def after_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        from school import services

        school_class, day, errors = self._class_and_date(row)
        if errors or school_class is None or day is None:
            return
        exists = sm.Enrollment.objects.filter(
            student=instance, school_class=school_class, start_date=day
        ).exists()
        if not exists:
            order = services.Order(
                number=str(row.get("Номер приказа") or "импорт").strip(),
                date=RuDateWidget().clean(row.get("Дата приказа")) or day,
            )
            services.enroll(instance, school_class, day, order)


class GuardianResource(ScopedPersonResource):
    """Guardians linked to a student of the school by «СНИЛС обучающегося»."""

    phone = fields.Field(attribute="phone", column_name="Телефон", widget=_text())
    student_snils = fields.Field(column_name="СНИЛС обучающегося")
    relation = fields.Field(column_name="Кем приходится")

    class Meta:
        model = sm.Guardian
        fields = (
            "last_name",
            "first_name",
            "middle_name",
            "birth_date",
            "snils",
            "phone",
            "student_snils",
            "relation",
        )
        import_id_fields = ("snils",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    RELATIONS = {label: value for value, label in sm.GuardianLink.Relation.choices}

    def _student_and_relation(
        self, row: Any
    ) -> tuple[sm.Student | None, str, list[str]]:
        snils = _snils_of(row.get("СНИЛС обучающегося"))
        if snils is None:
            return None, "", ["Не указан или неверен СНИЛС обучающегося."]
        student = self._scoped(sm.Student.objects.filter(snils=snils)).first()
        if student is None:
            return (
                None,
                "",
                [
                    f"Обучающийся со СНИЛС {format_snils(snils)} "
                    "в вашей школе не найден."
                ],
            )
        label = str(row.get("Кем приходится") or "").strip().lower()
        relation = self.RELATIONS.get(label)
        if relation is None:
            choices = ", ".join(self.RELATIONS)
            return (
                student,
                "",
                [f"«Кем приходится»: «{label}» не из списка ({choices})."],
            )
        return student, relation, []

    def row_errors(self, instance: Any, row: Any) -> dict[str, list[str]]:
        errors = super().row_errors(instance, row)
        _, _, link_errors = self._student_and_relation(row)
        if link_errors:
            errors.setdefault(NON_FIELD_ERRORS, []).extend(link_errors)
        return errors

    def get_instance(self, instance_loader: Any, row: Any) -> Any:
        # A guardian may already be linked to a child of another school. The row
        # is allowed because it links the guardian to a student of this school.
        snils = _snils_of(row.get("СНИЛС"))
        if snils is None:
            return None
        existing = sm.Guardian.objects.filter(snils=snils).first()
        if existing is None:
            return None
        student, _, errors = self._student_and_relation(row)
        if errors or student is None:
            return super().get_instance(instance_loader, row)
        return existing

    def links_missing(self, instance: Any, row: Any) -> bool:
        student, relation, errors = self._student_and_relation(row)
        if errors or student is None:
            return False
        return not sm.GuardianLink.objects.filter(
            guardian=instance, student=student, relation=relation
        ).exists()

    def after_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        student, relation, errors = self._student_and_relation(row)
        if errors or student is None:
            return
        sm.GuardianLink.objects.update_or_create(
            guardian=instance, student=student, defaults={"relation": relation}
        )


class StaffResource(ScopedPersonResource):
    """Staff with a role («Роль») in the importing user's school."""

    position = fields.Field(
        attribute="position", column_name="Должность", widget=_text()
    )
    role = fields.Field(column_name="Роль")
    school_name = fields.Field(column_name="Школа")

    class Meta:
        model = sm.StaffMember
        fields = (
            "last_name",
            "first_name",
            "middle_name",
            "birth_date",
            "snils",
            "position",
            "role",
            "school_name",
        )
        import_id_fields = ("snils",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    ROLES = {label: value for value, label in sm.StaffRole.Role.choices} | {
        "завуч": sm.StaffRole.Role.HEAD_OF_STUDIES
    }

    def _school_and_role(self, row: Any) -> tuple[sm.School | None, str, list[str]]:
        schools = self._scoped(sm.School.objects.all())
        name = str(row.get("Школа") or "").strip()
        if name:
            schools = schools.filter(short_name=name)
        found = list(schools[:2])
        if len(found) != 1:
            return (
                None,
                "",
                [
                    "Укажите школу в колонке «Школа» (краткое название)."
                    if len(found) > 1
                    else f"Школа «{name}» не найдена среди ваших школ."
                ],
            )
        label = str(row.get("Роль") or "").strip().lower()
        role = self.ROLES.get(label)
        if role is None:
            choices = ", ".join(self.ROLES)
            return found[0], "", [f"Роль «{label}» не из списка ({choices})."]
        return found[0], role, []

    def row_errors(self, instance: Any, row: Any) -> dict[str, list[str]]:
        errors = super().row_errors(instance, row)
        _, _, role_errors = self._school_and_role(row)
        if role_errors:
            errors.setdefault(NON_FIELD_ERRORS, []).extend(role_errors)
        return errors

    def get_instance(self, instance_loader: Any, row: Any) -> Any:
        # A teacher working in two schools gets a second role, not a second record.
        snils = _snils_of(row.get("СНИЛС"))
        if snils is None:
            return None
        return sm.StaffMember.objects.filter(snils=snils).first()

    def links_missing(self, instance: Any, row: Any) -> bool:
        school, role, errors = self._school_and_role(row)
        if errors or school is None:
            return False
        return not sm.StaffRole.objects.filter(
            staff=instance, school=school, role=role
        ).exists()

    def after_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        school, role, errors = self._school_and_role(row)
        if errors or school is None:
            return
        sm.StaffRole.objects.get_or_create(staff=instance, school=school, role=role)
