"""Per-address rate limits of public pages (sign-up, verification, the timestamp authority):
the count lives in ``accounts.throttle``; here a page answers 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from govdoc.accounts import throttle
from govdoc.accounts.errors import RateLimitedError

View = Callable[..., HttpResponse]


def rate_limited(
    scope: str, *, setting: str, methods: tuple[str, ...] = ("GET", "HEAD", "POST")
) -> Callable[[View], View]:
    """Count each request of ``methods`` per client address against ``settings.<setting>``."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                try:
                    throttle.rate_limit(request, scope=scope, rate=getattr(settings, setting))
                except RateLimitedError as exc:
                    return too_many(request, exc, plain=scope == "tsa")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def too_many(request: HttpRequest, exc: RateLimitedError, *, plain: bool = False) -> HttpResponse:
    if plain:
        response = HttpResponse(exc.message, status=429, content_type="text/plain; charset=utf-8")
    else:
        response = render(
            request, "web/too_many.html", {"message": exc.message, "retry_after": exc.retry_after}, status=429
        )
    response["Retry-After"] = str(exc.retry_after)
    return response
