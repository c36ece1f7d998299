"""Slowing down guessing and floods, in one place (ADR 0011).

Log-in: every failed step (a wrong password, a wrong second-factor code) is a ``LoginAttempt``.
After a few free failures each further try must wait 1 s, 2 s, 4 s ... up to a cap, counted
three ways: per account *and* client address, per address, and (with many more free failures)
per account alone. An attacker on one address slows only himself: the owner of the account,
from another address, still gets in. The per-account count, which a spread-out attack could
push, does not apply to a browser that has logged in to that account before (a signed device
cookie, as OWASP's "device cookies" propose), and it is a delay, never a lock.

Public endpoints (sign-up, verification, the timestamp authority): a fixed-window count of
requests per client address (``RateCount``), with the rates in settings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from govdoc.accounts.errors import RateLimitedError
from govdoc.accounts.models import LoginAttempt, RateCount
from govdoc.core import clock

DEVICE_COOKIE = "govdoc_device"
_DEVICE_SALT = "govdoc.accounts.device"


def client_address(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or with ``GOVDOC_PROXY_COUNT`` proxies in front,
    the address the outermost trusted proxy saw (X-Forwarded-For, counted from the right, so a
    client cannot choose it by sending its own header)."""
    proxies = int(getattr(settings, "GOVDOC_PROXY_COUNT", 0))
    if proxies > 0:
        header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        hops = [h.strip() for h in header.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def client_key(request: HttpRequest) -> str:
    """SHA-256 of the client address: what the throttling tables keep."""
    address = client_address(request)
    return hashlib.sha256(address.encode()).hexdigest() if address else ""


# -- log-in ------------------------------------------------------------------------------------


def _delay(failures: int, free: int) -> float:
    """Seconds a new try must wait after the last failure: none for the first ``free``
    failures, then 1, 2, 4, ... seconds, capped."""
    if failures < free:
        return 0.0
    cap = float(settings.GOVDOC_LOGIN_MAX_DELAY)
    exponent = min(failures - free, 40)  # 2**40 s is past any cap
    return min(cap, 2.0**exponent)


@dataclass(frozen=True)
class Verdict:
    wait_seconds: int  # 0: go ahead
    reason: str = ""  # "account+address", "address" or "account"


def _wait(filter_q: Q, free: int, since: dt.datetime, now: dt.datetime) -> float:
    found = LoginAttempt.objects.filter(filter_q, at__gte=since).aggregate(n=Count("id"), last=Max("at"))
    count: int = found["n"] or 0
    last: dt.datetime | None = found["last"]
    if last is None:
        return 0.0
    remaining: float = (last + dt.timedelta(seconds=_delay(count, free)) - now).total_seconds()
    return max(0.0, remaining)


def login_verdict(request: HttpRequest, *, username: str) -> Verdict:
    """May this client try to log in to ``username`` now? Knows nothing of whether the account
    exists: the answer is the same for a made-up name."""
    name = username.strip().lower()
    now = clock.now()
    since = now - dt.timedelta(seconds=settings.GOVDOC_LOGIN_FAILURE_WINDOW)
    client = client_key(request)
    checks: list[tuple[str, Q, int]] = [
        ("account+address", Q(username=name, client=client), settings.GOVDOC_LOGIN_FREE_FAILURES),
        ("address", Q(client=client), settings.GOVDOC_LOGIN_ADDRESS_FREE_FAILURES),
    ]
    if not known_device(request, username=name):
        checks.append(("account", Q(username=name), settings.GOVDOC_LOGIN_ACCOUNT_FREE_FAILURES))
    worst = Verdict(0)
    for reason, q, free in checks:
        wait = math.ceil(_wait(q, free, since, now))
        if wait > worst.wait_seconds:
            worst = Verdict(wait, reason)
    return worst


def login_failure_add(request: HttpRequest, *, username: str, kind: str) -> None:
    """Count one failed step, and forget the failures that no longer count (older than the
    window: one indexed DELETE, usually of nothing)."""
    now = clock.now()
    LoginAttempt.objects.filter(
        at__lt=now - dt.timedelta(seconds=settings.GOVDOC_LOGIN_FAILURE_WINDOW)
    ).delete()
    LoginAttempt.objects.create(
        username=username.strip().lower(), at=now, client=client_key(request), kind=kind
    )


def login_failures_clear(request: HttpRequest, *, username: str) -> None:
    """After a full log-in: this client's failures on this account no longer count (those of
    other addresses do, so an attacker gains no fresh tries from the owner's success)."""
    LoginAttempt.objects.filter(username=username.strip().lower(), client=client_key(request)).delete()


def device_cookie_value(*, username: str) -> str:
    return signing.dumps({"u": username.strip().lower()}, salt=_DEVICE_SALT)


def known_device(request: HttpRequest, *, username: str) -> bool:
    """Has this browser logged in to ``username`` before (within the failure window's reach:
    the cookie is good for 180 days)?"""
    raw = request.COOKIES.get(DEVICE_COOKIE, "")
    if not raw:
        return False
    try:
        value = signing.loads(raw, salt=_DEVICE_SALT, max_age=dt.timedelta(days=180))
    except signing.BadSignature:
        return False
    return isinstance(value, dict) and value.get("u") == username.strip().lower()


# -- public endpoints --------------------------------------------------------------------------

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(text: str) -> tuple[int, int]:
    """``"60/m"`` → (60, 60): count per seconds. ``"0/m"`` or empty turns the limit off."""
    count, _, period = text.strip().partition("/")
    return int(count or 0), _PERIODS.get(period.strip().lower()[:1] or "m", 60)


def rate_limit(request: HttpRequest, *, scope: str, rate: str) -> None:
    """Count this request of the client to ``scope``; raise RateLimitedError (429, with the
    seconds to wait) once the client is over ``rate`` in the current window."""
    limit, seconds = parse_rate(rate)
    if limit <= 0:
        return
    now = clock.now()
    epoch = int(now.timestamp())
    start = dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)
    client = client_key(request)
    count = _increment(scope=scope, client=client, start=start)
    if count > limit:
        retry = max(1, math.ceil((start + dt.timedelta(seconds=seconds) - now).total_seconds()))
        raise RateLimitedError(
            _("Too many requests from your address."),
            retry_after=retry,
            scope=scope,
        )


def _increment(*, scope: str, client: str, start: dt.datetime) -> int:
    rows = RateCount.objects.filter(scope=scope, client=client, window_start=start)
    if rows.update(count=F("count") + 1) == 0:
        try:
            with transaction.atomic():
                RateCount.objects.create(scope=scope, client=client, window_start=start, count=1)
            # a new window: the old ones of this scope no longer count
            RateCount.objects.filter(scope=scope, window_start__lt=start - dt.timedelta(days=1)).delete()
            return 1
        except IntegrityError:  # another request made the row first
            rows.update(count=F("count") + 1)
    found = rows.values_list("count", flat=True).first()
    return int(found or 1)
