"""Request checks shared by every page."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from govdoc.web.refusals import refusal_page


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


class SecurityHeadersMiddleware:
    """Headers a security officer expects on every answer: a strict Content-Security-Policy
    (no inline script or style anywhere), a Permissions-Policy that turns off device features
    GovDoc never uses, and ``Cache-Control: no-store`` on everything but static files, so no
    page, file or API answer with personal data is kept by a browser or a shared cache.
    HSTS and the redirect to HTTPS are Django's SecurityMiddleware (settings ``SECURE_*``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp: str = settings.GOVDOC_CONTENT_SECURITY_POLICY
        self.permissions: str = settings.GOVDOC_PERMISSIONS_POLICY
        self.static_prefix: str = settings.STATIC_URL

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", self.permissions)
        if not request.path.startswith(self.static_prefix):
            cache = response.headers.get("Cache-Control", "")
            if "no-store" not in cache:
                # An explicit "private, no-cache" is tightened too: no-store wins.
                response.headers["Cache-Control"] = "no-store"
        return response


class RequestSizeLimitMiddleware:
    """A request whose declared body is larger than ``GOVDOC_MAX_REQUEST_BYTES`` is refused
    (413) before any of it is read: the styled page, or problem+json under ``/api/``, and a
    ``security.request_refused`` event. ``govdoc serve`` (waitress) does not read such a body
    at all and hands the request here without it (``cli.webserver``), so this is GovDoc's one
    answer to it under any WSGI server."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit: int = settings.GOVDOC_MAX_REQUEST_BYTES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refusal_page(request, status=400, reason="content-length-invalid")
        if declared > self.limit:
            return refusal_page(request, status=413, reason="request-too-large")
        return self.get_response(request)
