"""The start page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    """Show the sign-in page, or send a signed-in user to their main page."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "home.html")
    if hasattr(user, "staff_member"):
        return redirect("journal:day")
    if hasattr(user, "guardian") or hasattr(user, "student"):
        return redirect("diary:week")
    if user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/no_role.html")
