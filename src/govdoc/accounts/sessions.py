"""Session policy: how long a log-in lasts and how fresh it must be (ADR 0011).

A session made by GovDoc's log-in carries a marker: when the person logged in, when they were
last seen, when they last proved who they are (password and second factor), and whether they
are an official. ``SessionPolicyMiddleware`` ends a session that was idle too long (30 minutes
for officials by default) or is older than the absolute limit, and any official's session that
did not pass the second factor (one made outside GovDoc's log-in). Signing, issuing and
revoking ask for a recent log-in (``require_recent_authentication``: the step-up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from govdoc.accounts.errors import ReauthenticationRequiredError
from govdoc.accounts.models import Person
from govdoc.core import clock

MARKER = "govdoc_auth"
# Writing the session on every request costs a database write; the idle clock tolerates this.
_SEEN_GRANULARITY = 15.0


def is_plain_citizen(person: Any) -> bool:
    return bool(getattr(person, "is_citizen", False)) and not person.is_staff and not person.is_superuser


def session_start(request: HttpRequest, person: Person, *, factors: list[str]) -> None:
    """Log ``person`` in (a new session key) with the policy marker."""
    login(request, person, backend="django.contrib.auth.backends.ModelBackend")
    request.session[MARKER] = marker_for(person, factors=factors)


def marker_for(person: Person, *, factors: list[str]) -> dict[str, Any]:
    """What a session of ``person`` that has just passed ``factors`` carries."""
    now = clock.now().timestamp()
    return {
        "login_at": now,
        "seen_at": now,
        "auth_at": now,
        "official": not is_plain_citizen(person),
        "factors": factors,
    }


def reauthenticated(request: HttpRequest) -> None:
    marker = dict(request.session.get(MARKER) or {})
    marker["auth_at"] = clock.now().timestamp()
    request.session[MARKER] = marker


def has_recent_authentication(request: HttpRequest) -> bool:
    marker = request.session.get(MARKER) or {}
    auth_at = float(marker.get("auth_at", 0))
    return clock.now().timestamp() - auth_at <= settings.GOVDOC_STEP_UP_SECONDS


def require_recent_authentication(request: HttpRequest) -> None:
    """For a browser session: raise ReauthenticationRequiredError when the last log-in is older
    than ``GOVDOC_STEP_UP_SECONDS``. (A bearer token is not a session and is not asked.)"""
    if not has_recent_authentication(request):
        raise ReauthenticationRequiredError(
            _("Please confirm it is you: log in again (password and code) to sign, issue or revoke."),
            confirm_url="/login/confirm/",
        )


def _expired_reason(marker: dict[str, Any], now: float) -> str:
    idle = (
        settings.GOVDOC_SESSION_IDLE_OFFICIAL
        if marker.get("official")
        else settings.GOVDOC_SESSION_IDLE_CITIZEN
    )
    if now - float(marker.get("login_at", 0)) > settings.GOVDOC_SESSION_ABSOLUTE:
        return "absolute"
    if now - float(marker.get("seen_at", 0)) > idle:
        return "idle"
    return ""


class SessionPolicyMiddleware:
    """After AuthenticationMiddleware: idle and absolute limits, and no official without the
    second factor, for pages and for the API's session authentication alike."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and "_auth_user_id" in session:
            self._apply(request)
        return self.get_response(request)

    @staticmethod
    def _apply(request: HttpRequest) -> None:
        user = request.user
        if not user.is_authenticated:
            return
        now = clock.now().timestamp()
        marker = request.session.get(MARKER)
        if marker is None:
            if is_plain_citizen(user):  # e.g. just signed up: a citizen's session needs no second factor
                request.session[MARKER] = {
                    "login_at": now,
                    "seen_at": now,
                    "auth_at": now,
                    "official": False,
                    "factors": ["password"],
                }
                return
            logout(request)  # an official's session that did not pass GovDoc's log-in
            return
        if marker.get("official") is False and not is_plain_citizen(user):
            logout(request)  # became an official since logging in: log in again, with the second factor
            return
        reason = _expired_reason(marker, now)
        if reason:
            logout(request)
            if reason == "idle":
                messages.info(
                    request, _("Your session ended after a period of inactivity. Please log in again.")
                )
            else:
                messages.info(request, _("Your session reached its time limit. Please log in again."))
            return
        if now - float(marker.get("seen_at", 0)) >= _SEEN_GRANULARITY:
            request.session[MARKER] = {**marker, "seen_at": now}
