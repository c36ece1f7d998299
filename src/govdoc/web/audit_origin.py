"""Every audit event recorded while a page or API request runs carries the client's address and
user agent (``govdoc.audit.context``): who did what, when, and from where."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from govdoc.audit.context import origin


def client_address(request: HttpRequest) -> str:
    """The address the request came from, as the server saw it."""
    return str(request.META.get("REMOTE_ADDR") or "")


class AuditOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with origin(client_address(request) or "unknown", str(request.META.get("HTTP_USER_AGENT", ""))):
            return self.get_response(request)
