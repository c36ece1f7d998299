"""Every error answer under ``/api/`` is problem+json, also the ones no API operation wrote.

ninja's handlers in ``errors.py`` cover what happens inside an operation. Around it, Django and
ninja answer by themselves: an unknown path (404), a method the path does not take (405), a
multipart body that cannot be parsed or has too many fields (400), a body over the size limit
(413), a failed CSRF check (403), a crash (500). Those answers are HTML or plain text; this
middleware turns each into problem+json with a stable ``type``, keeping the headers that matter
(``Allow``, ``WWW-Authenticate``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from govdoc.api.errors import PROBLEM_CONTENT_TYPE, problem
from govdoc.audit.context import refusal_noted

_API_PREFIX = "/api/"

# status -> (type code, title)
_BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "The request cannot be read (a malformed body, form or header)."),
    401: ("unauthenticated", "Authentication is required."),
    403: ("forbidden", "The request is not allowed."),
    404: ("not-found", "There is no such API path."),
    405: ("method-not-allowed", "This API path does not take that method."),
    406: ("not-acceptable", "The requested representation is not available."),
    411: ("length-required", "The request needs a Content-Length."),
    413: ("request-too-large", "The request body is larger than this server accepts."),
    415: ("unsupported-media-type", "The request body's media type is not accepted."),
    429: ("too-many-requests", "Too many requests; try again later."),
    500: ("internal-error", "The server failed to answer; the failure is logged."),
}
# A request refused before any API code ran, by the reason noted (``audit.context``).
_BY_REASON: dict[str, str] = {
    "content-length-invalid": "The request's Content-Length is not a number.",
    "disallowed-host": "The request's Host is not served here.",
    "multipart-invalid": "The multipart form body cannot be parsed.",
    "too-many-fields": "The form has more fields than the server accepts.",
    "too-many-files": "The form has more files than the server accepts.",
    "request-too-large": "The request body is larger than this server accepts.",
    "suspicious-request": "The request was refused as suspicious.",
}
_REPLACED_HEADERS = {"content-type", "content-length"}


def as_problem(response: HttpResponse) -> HttpResponse:
    status = response.status_code
    code, title = _BY_STATUS.get(status, (f"http-{status}", response.reason_phrase or "Error"))
    detail = None
    reason = refusal_noted()
    if reason in _BY_REASON:
        code, title = reason, _BY_REASON[reason]
    if status == 405 and response.has_header("Allow"):
        detail = f"Allowed: {response['Allow']}."
    elif status == 403 and b"CSRF" in getattr(response, "content", b""):
        code, title = "csrf-failed", "The CSRF check failed: send the X-CSRFToken header with a session."
    out = problem(status, code, title, detail=detail)
    for header, value in response.headers.items():  # Allow, WWW-Authenticate, security headers
        if header.lower() not in _REPLACED_HEADERS:
            out[header] = value
    return out


class ApiProblemMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(_API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            return as_problem(response)
        return response
