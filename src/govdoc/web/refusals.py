"""The answer to a request refused before GovDoc's own code could handle it, on a page.

Django refuses some requests while it reads them, before any view: a host name not in
``ALLOWED_HOSTS``, a form with too many fields or files, a multipart body it cannot parse, a
form larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``; ``RequestSizeLimitMiddleware`` refuses a
declared body over ``GOVDOC_MAX_REQUEST_BYTES``. Each answer here is the styled error page in
the visitor's language (under ``/api/`` a plain answer that ``ApiProblemMiddleware`` turns into
problem+json), and the reason is noted so that ``AuditOriginMiddleware`` records the refusal.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from govdoc.accounts.constants import DJANGO_LANGUAGE
from govdoc.audit.context import refusal_note
from govdoc.web.language import script_of

_API_PREFIX = "/api/"

# Checked in order: the specific kinds of SuspiciousOperation first.
_REASONS: list[tuple[type[BaseException], str]] = [
    (DisallowedHost, "disallowed-host"),
    (RequestDataTooBig, "request-too-large"),
    (TooManyFieldsSent, "too-many-fields"),
    (TooManyFilesSent, "too-many-files"),
    (MultiPartParserError, "multipart-invalid"),
    (SuspiciousOperation, "suspicious-request"),
]


def reason_of(exception: BaseException | None) -> str | None:
    """The refusal's stable code for an exception Django answers with 400, or None for a plain
    ``BadRequest`` a view raised on purpose (GovDoc's own code answered that request)."""
    for kind, reason in _REASONS:
        if isinstance(exception, kind):
            return reason
    return None


def refusal_page(request: HttpRequest, *, status: int, reason: str | None) -> HttpResponse:
    """The styled page for a refused request (400 or 413), in the visitor's language; noted
    for the audit log when ``reason`` is given."""
    if reason is not None:
        refusal_note(reason)
    if request.path.startswith(_API_PREFIX):
        return HttpResponse(status=status)  # ApiProblemMiddleware writes the problem+json
    # Django may refuse before ScriptMiddleware ran (CSRF and NUL checks read the form first),
    # so the language is chosen here, by the same rule.
    with translation.override(DJANGO_LANGUAGE[script_of(request)]):
        template = "413.html" if status == 413 else "400.html"
        size = filesizeformat(settings.GOVDOC_MAX_REQUEST_BYTES)
        limit = _("The request is too large: at most %(limit)s may be sent at once.") % {"limit": size}
        body = render_to_string(template, {"limit_text": limit}, request=request)
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """``handler400``: every request Django refuses as bad (see the module's docstring)."""
    reason = reason_of(exception)
    status = 413 if reason == "request-too-large" else 400
    return refusal_page(request, status=status, reason=reason)
