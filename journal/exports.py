"""XLSX exports: a class-subject journal and a class report card (табель)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from journal.class_teacher import PupilSummary
from journal.grid import JournalGrid
from school.models import Period, SchoolClass, TeachingAssignment

BOLD = Font(bold=True)


def _save(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _first_sheet(workbook: Workbook) -> Worksheet:
    sheet = workbook.active
    if not isinstance(sheet, Worksheet):  # a new workbook always has one
        raise TypeError("A new workbook has no worksheet.")
    return sheet


def _sheet_title(text: str) -> str:
    # Excel forbids some characters in sheet names and cuts them at 31.
    for char in "[]:*?/\\":
        text = text.replace(char, " ")
    return text[:31]


def journal_xlsx(grid: JournalGrid) -> bytes:
    """The grid as a sheet: pupils down, lessons across, then the results."""
    assignment = grid.assignment
    workbook = Workbook()
    sheet = _first_sheet(workbook)
    sheet.title = _sheet_title(
        f"{assignment.school_class.name} {assignment.subject.short_name}"
    )
    sheet.append(
        [
            f"{assignment.school_class.name}, {assignment.subject.name}, "
            f"{grid.period} ({grid.period.start_date:%d.%m.%Y} — "
            f"{grid.period.end_date:%d.%m.%Y}), учитель {assignment.teacher.short_name}"
        ]
    )
    sheet.append(
        ["Ученик"]
        + [f"{lesson.date:%d.%m}" for lesson in grid.lessons]
        + ["Средний балл", "Предлагается", "За период"]
    )
    for cell in sheet[2]:
        cell.font = BOLD
    for row in grid.rows:
        sheet.append(
            [row.student.short_name]
            + [cell.text for cell in row.cells]
            + [
                row.average.display,
                row.suggestion,
                str(row.period_mark) if row.period_mark else "",
            ]
        )
    sheet.append([])
    sheet.append(["Дата", "Тема урока", "Домашнее задание"])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for lesson in grid.lessons:
        sheet.append([f"{lesson.date:%d.%m.%Y}", lesson.topic, lesson.homework])
    sheet.column_dimensions["A"].width = 24
    for index in range(2, len(grid.lessons) + 2):
        sheet.column_dimensions[get_column_letter(index)].width = 6
    return _save(workbook)


def report_card_xlsx(
    school_class: SchoolClass,
    period: Period,
    assignments: list[TeachingAssignment],
    pupils: list[PupilSummary],
) -> bytes:
    """The табель: period marks of every pupil in every subject, and absences."""
    workbook = Workbook()
    sheet = _first_sheet(workbook)
    sheet.title = _sheet_title(f"Табель {school_class.name}")
    sheet.append([f"Табель класса {school_class.name}: {period}"])
    sheet.append(
        ["Ученик"]
        + [assignment.subject.short_name for assignment in assignments]
        + ["Пропущено уроков", "из них по болезни", "по уважительной причине"]
    )
    for cell in sheet[2]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True)
    for pupil in pupils:
        sheet.append(
            [pupil.student.short_name]
            + [
                str(item.period_mark) if item.period_mark else ""
                for item in pupil.subjects
            ]
            + [pupil.missed, pupil.absences["Б"], pupil.absences["УП"]]
        )
    sheet.column_dimensions["A"].width = 24
    return _save(workbook)
