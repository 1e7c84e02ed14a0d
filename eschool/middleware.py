"""Request checks that apply to every page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

NULL_CHARACTER = "\x00"
NULL_CHARACTER_MESSAGE = (
    "Запрос содержит недопустимый символ (NUL). Вернитесь на предыдущую "
    "страницу и введите данные ещё раз."
)


class RejectNullCharactersMiddleware:
    """Answer 400 to a request whose path or form fields contain a NUL character.

    PostgreSQL text cannot store NUL, so such a value would otherwise fail
    deep inside a query with a server error. Uploaded files are not checked.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_null_character(request):
            logger.info("Rejected a request with a NUL character: %s", request.method)
            return render(
                request, "400.html", {"message": NULL_CHARACTER_MESSAGE}, status=400
            )
        return self.get_response(request)

    @staticmethod
    def _has_null_character(request: HttpRequest) -> bool:
        if NULL_CHARACTER in request.path:
            return True
        fields = list(request.GET.lists())
        if request.method == "POST":
            fields += request.POST.lists()
        return any(
            NULL_CHARACTER in value
            for key, values in fields
            for value in [key, *values]
        )
