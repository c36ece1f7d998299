"""Every audit event recorded while a page or API request runs carries the client's address and
user agent (``govdoc.audit.context``): who did what, when, and from where. A request that is
refused (401 or 403, pages and API alike, a failed CSRF check included) is itself a security
event, ``security.request_refused``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from govdoc.accounts import throttle
from govdoc.audit.context import origin
from govdoc.audit.services import request_refusal_record

log = logging.getLogger(__name__)

REFUSED = (401, 403)


def client_address(request: HttpRequest) -> str:
    """The address the request came from: REMOTE_ADDR, or behind ``GOVDOC_PROXY_COUNT`` trusted
    proxies what the outermost one saw (the same address the log-in throttle counts)."""
    return throttle.client_address(request)


def _problem_type(response: HttpResponse) -> str:
    if response.get("Content-Type", "").startswith("application/problem+json"):
        try:
            return str(json.loads(response.content).get("type", ""))[:200]
        except (ValueError, AttributeError):
            return ""
    return ""


def _refusal_record(request: HttpRequest, response: HttpResponse) -> None:
    user = getattr(request, "user", None)
    actor = user if user is not None and getattr(user, "is_authenticated", False) else "anonymous"
    try:
        request_refusal_record(
            actor=actor,
            method=request.method or "",
            path=request.path,
            status=response.status_code,
            problem=_problem_type(response),
        )
    except DatabaseError:  # the refusal stands even if it cannot be recorded; say so in the log
        log.exception("could not record a refused request to %s", request.path)


class AuditOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with origin(client_address(request) or "unknown", str(request.META.get("HTTP_USER_AGENT", ""))):
            response = self.get_response(request)
            if response.status_code in REFUSED:
                _refusal_record(request, response)
            return response
