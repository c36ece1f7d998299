"""Request checks shared by every page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class RejectNulMiddleware:
    """A NUL character is never part of legitimate text, and PostgreSQL refuses to store one
    (a 500 on a later INSERT). Refuse it in any submitted field or query, before any view runs.
    The API has its own parser that does the same with a problem+json answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and self._has_nul(request):
            return HttpResponseBadRequest("A field contains a NUL character.")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        sources = [request.GET]
        if request.method == "POST":
            sources.append(request.POST)
        for data in sources:
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return True
        if request.method == "POST":
            for _key, uploads in request.FILES.lists():
                if any("\x00" in (upload.name or "") for upload in uploads):
                    return True
        return False
