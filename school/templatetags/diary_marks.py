"""Template filters for final marks in the diary."""

from __future__ import annotations

from django import template

from diary.selectors import final_display
from journal.models import FinalMark

register = template.Library()


@register.filter
def final_value(mark: FinalMark | None) -> str:
    """Render a final mark as parents read it: «5», «н/а», «осв», «зачёт»."""
    return final_display(mark)
