"""The press space's pages: thin views over press.services and press.selectors."""

from __future__ import annotations

from django.shortcuts import render

from . import policies


def home(request):
    """The public landing page: the services at launch, registration and sign-in."""
    member = policies.membership(request.user)
    return render(request, "press/home.html", {"press_member": member})
