"""The journal grid's cell markup, built in Python.

A 30 × 40 grid has 1,200 cells; building each through a template include
costs more than the rest of the page, so the cell is one function here and
both the page and the htmx answer use it.
"""

from __future__ import annotations

import json

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from journal.grid import GridCell, GridRow
from journal.models import FinalMark

FINAL_CHOICES = [("", "—"), *FinalMark.Value.choices]

register = template.Library()

_ATTRS = (
    'class="grid-input" autocomplete="off" spellcheck="false" '
    'hx-trigger="change" hx-sync="closest table:queue all" '
    'hx-target="closest td" hx-swap="outerHTML" '
    'hx-include="closest td, #grid-work-type, #grid-reason"'
)


def cell_html(
    cell: GridCell,
    label: str,
    editable: bool,
    url: str,
    typed: str | None = None,
    error: str = "",
) -> str:
    key = f"{cell.lesson.pk}-{cell.student_id}"
    classes = "grid-cell"
    if cell.lesson.is_control_work:
        classes += " grid-control"
    if error:
        classes += " grid-cell-error"
    parts = [f'<td class="{classes}" id="c{key}">']
    if editable:
        value = cell.text if typed is None else typed
        described = f' aria-invalid="true" aria-describedby="e{key}"' if error else ""
        parts.append(
            f'<input type="text" name="value" value="{escape(value)}" '
            f'aria-label="{escape(label)}, {cell.lesson.date:%d.%m}"{described} '
            f'hx-post="{url}" {_ATTRS}>'
            f'<input type="hidden" name="state" value="{cell.state}">'
        )
    else:
        parts.append(escape(cell.text))
    if error:
        parts.append(
            f'<span class="grid-error" role="alert" id="e{key}">{escape(error)}</span>'
        )
    parts.append("</td>")
    return "".join(parts)


def cell_url(lesson_id: int, student_id: int) -> str:
    return reverse("journal:grid_cell", args=[lesson_id, student_id])


@register.simple_tag
def grid_row_cells(row: GridRow, editable: bool) -> SafeString:
    """All lesson cells of one pupil's row."""
    label = row.student.short_name
    # One reverse() per row; the lesson id is the only part that varies.
    template_url = cell_url(0, row.student.pk)
    head, tail = template_url.split("/0/", 1)
    return mark_safe(  # noqa: S308 - every value inside is escaped above
        "".join(
            cell_html(cell, label, editable, f"{head}/{cell.lesson.pk}/{tail}")
            for cell in row.cells
        )
    )


@register.simple_tag
def grid_cell(
    cell: GridCell, label: str, typed: str | None = None, error: str = ""
) -> SafeString:
    """One editable cell, as the htmx answer to its save."""
    url = cell_url(cell.lesson.pk, cell.student_id)
    return mark_safe(  # noqa: S308 - every value inside is escaped above
        cell_html(cell, label, True, url, typed, error)
    )


def final_cell_html(
    *,
    assignment_id: int,
    kind: str,
    period_id: int | None,
    student_id: int,
    mark: FinalMark | None,
    editable: bool,
    label: str,
    error: str = "",
) -> str:
    """The cell of a period, year, exam or certificate mark."""
    period = str(period_id or "")
    classes = "grid-final grid-cell-error" if error else "grid-final"
    # ``kind`` may come from a refused POST, so it is escaped like any input.
    cell_id = escape(f"f{kind}{period}-{student_id}")
    parts = [f'<td class="{classes}" id="{cell_id}">']
    if editable:
        url = reverse("journal:final_mark", args=[assignment_id, student_id])
        version = mark.version if mark else 0
        options = "".join(
            f'<option value="{value}"'
            f"{' selected' if mark and mark.value == value else ''}>"
            f"{escape(text)}</option>"
            for value, text in FINAL_CHOICES
        )
        invalid = ' aria-invalid="true"' if error else ""
        hx_vals = escape(
            json.dumps({"kind": kind, "period": period, "version": str(version)})
        )
        parts.append(
            f'<select name="value" aria-label="{escape(label)}"{invalid} '
            f'hx-post="{url}" hx-trigger="change" hx-target="closest td" '
            'hx-swap="outerHTML" hx-include="#grid-reason" '
            f'hx-vals="{hx_vals}">{options}</select>'
        )
    else:
        parts.append(escape(str(mark)) if mark else "—")
    if mark and mark.set_by_hand:
        parts.append(
            ' <span class="final-hand" title="Выставлена учителем, отличается '
            'от предложенной">вручную</span>'
        )
    if error:
        parts.append(f'<span class="grid-error" role="alert">{escape(error)}</span>')
    parts.append("</td>")
    return "".join(parts)


@register.simple_tag
def final_cell(
    assignment_id: int,
    kind: str,
    period_id: int | None,
    student_id: int,
    mark: FinalMark | None,
    editable: bool,
    label: str,
    error: str = "",
) -> SafeString:
    return mark_safe(  # noqa: S308 - every value inside is escaped
        final_cell_html(
            assignment_id=assignment_id,
            kind=kind,
            period_id=period_id,
            student_id=student_id,
            mark=mark,
            editable=editable,
            label=label,
            error=error,
        )
    )
