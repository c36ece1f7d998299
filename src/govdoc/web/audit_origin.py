"""Every audit event recorded while a page or API request runs carries the client's address and
user agent (``govdoc.audit.context``): who did what, when, and from where. A request that is
refused (401 or 403, pages and API alike, a failed CSRF check included) is itself a security
event, ``security.request_refused``.

So is a request refused before GovDoc's own code could handle it: a body over the size limit,
a form or multipart body Django cannot parse (too many fields or files, a broken boundary), a
host name not served here. Whatever refuses it notes the reason (``audit.context.refusal_note``);
here it is recorded, once per client address, reason and ``REFUSAL_RECORD_EVERY``, so a client
sending broken requests in a loop cannot fill the audit log. This middleware is the outermost,
so its origin covers every other middleware's refusals too."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from govdoc.accounts import throttle
from govdoc.audit.context import origin, refusal_noted
from govdoc.audit.services import request_refusal_record

log = logging.getLogger(__name__)

REFUSED = (401, 403)
# Refusals noted before GovDoc's code ran are recorded at most this often per address and reason.
REFUSAL_RECORD_EVERY = dt.timedelta(minutes=15)


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


def _refusal_record(request: HttpRequest, response: HttpResponse, *, reason: str | None) -> None:
    user = getattr(request, "user", None)
    actor = user if user is not None and getattr(user, "is_authenticated", False) else "anonymous"
    try:
        request_refusal_record(
            actor=actor,
            method=request.method or "",
            path=request.path,
            status=response.status_code,
            problem=_problem_type(response),
            reason=reason or "",
            once_per=REFUSAL_RECORD_EVERY if reason else None,
        )
    except DatabaseError:  # the refusal stands even if it cannot be recorded; say so in the log
        log.exception("could not record a refused request to %s", request.path)


class AuditOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with origin(client_address(request) or "unknown", str(request.META.get("HTTP_USER_AGENT", ""))):
            response = self.get_response(request)
            reason = refusal_noted()
            if reason is not None or response.status_code in REFUSED:
                _refusal_record(request, response, reason=reason)
            return response
