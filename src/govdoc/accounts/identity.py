"""Who is logging in: identity providers behind one interface, and the log-in's steps.

GovDoc ships local accounts (username + password, argon2). A national eID over OpenID Connect
is another provider with the same interface (``authenticate`` returns a Person or raises
InvalidCredentialsError); it is chosen by ``GOVDOC_IDENTITY_PROVIDERS``.

Every step of every log-in (the pages, the administrators' site, a step-up before signing)
passes here: the throttle is asked first (``throttle.login_verdict``: progressive delays, no
lock an attacker could set off), each failure is counted and audited with the client address,
and the full log-in is audited once both factors passed.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.contrib.auth import authenticate as django_authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govdoc.accounts import second_factor, throttle
from govdoc.accounts.errors import InvalidCredentialsError, LoginThrottledError, SecondFactorInvalidError
from govdoc.accounts.models import Person
from govdoc.audit.event_types import EventType
from govdoc.audit.services import record


class IdentityProvider(Protocol):
    name: str

    def authenticate(self, request: HttpRequest, *, username: str, password: str) -> Person:
        """The person, or InvalidCredentialsError."""
        ...


class LocalPasswordProvider:
    """Local accounts: Django's password check (argon2)."""

    name = "local"

    def authenticate(self, request: HttpRequest, *, username: str, password: str) -> Person:
        user = django_authenticate(request, username=username.strip(), password=password)
        # A system account never logs in to pages, even if someone gave it a password.
        if not isinstance(user, Person) or user.is_system:
            raise InvalidCredentialsError(_("The username or password is not correct."), username=username)
        return user


def providers() -> list[IdentityProvider]:
    paths = getattr(settings, "GOVDOC_IDENTITY_PROVIDERS", ["govdoc.accounts.identity.LocalPasswordProvider"])
    return [import_string(path)() for path in paths]


def _throttle_check(request: HttpRequest, *, username: str, step: str) -> None:
    verdict = throttle.login_verdict(request, username=username)
    if verdict.wait_seconds:
        with transaction.atomic():
            record(
                "accounts.login_throttled",
                actor=None,
                data={
                    "username": username.strip(),
                    "client": throttle.client_address(request),
                    "step": step,
                    "wait_seconds": verdict.wait_seconds,
                    "counted": verdict.reason,
                },
            )
        raise LoginThrottledError(
            ngettext(
                "Too many failed attempts. Please wait %(seconds)d second and try again.",
                "Too many failed attempts. Please wait %(seconds)d seconds and try again.",
                verdict.wait_seconds,
            )
            % {"seconds": verdict.wait_seconds},
            retry_after=verdict.wait_seconds,
        )


def authenticate(request: HttpRequest, *, username: str, password: str) -> Person:
    """The first factor: try the configured providers in order; the first that knows the
    person decides. Raises LoginThrottledError (wait) or InvalidCredentialsError."""
    username = username.strip()
    _throttle_check(request, username=username, step="password")
    for provider in providers():
        try:
            return provider.authenticate(request, username=username, password=password)
        except InvalidCredentialsError:
            continue
    with transaction.atomic():
        throttle.login_failure_add(request, username=username, kind="password")
        record(
            "accounts.login_failed",
            actor=None,
            data={"username": username, "client": throttle.client_address(request)},
        )
    raise InvalidCredentialsError(_("The username or password is not correct."), username=username)


def second_factor_verify(request: HttpRequest, *, person: Person, code: str) -> str:
    """The second factor: a code from the authenticator app or a recovery code. Wrong codes
    count toward the same throttle as wrong passwords. Returns "totp" or "recovery_code"."""
    _throttle_check(request, username=person.username, step="second_factor")
    try:
        return second_factor.code_check(person=person, code=code)
    except SecondFactorInvalidError as exc:
        with transaction.atomic():
            throttle.login_failure_add(request, username=person.username, kind="second_factor")
            record(
                "accounts.second_factor_failed",
                actor=person,
                target=person,
                data={"client": throttle.client_address(request), "reused": bool(exc.details.get("reused"))},
            )
        raise


def enrolment_confirm(request: HttpRequest, *, person: Person, code: str) -> list[str]:
    """The first code from a newly added authenticator; wrong ones are throttled as above."""
    _throttle_check(request, username=person.username, step="second_factor")
    try:
        return second_factor.enrolment_confirm(person=person, code=code)
    except SecondFactorInvalidError:
        with transaction.atomic():
            throttle.login_failure_add(request, username=person.username, kind="second_factor")
            record(
                "accounts.second_factor_failed",
                actor=person,
                target=person,
                data={"client": throttle.client_address(request), "enrolment": True},
            )
        raise


def login_succeeded(
    request: HttpRequest, *, person: Person, factors: list[str], step_up: bool = False
) -> None:
    """Both factors passed: this client's failures on the account are forgotten; audited."""
    with transaction.atomic():
        throttle.login_failures_clear(request, username=person.username)
        record(
            EventType.REAUTHENTICATED if step_up else EventType.LOGIN_SUCCEEDED,
            actor=person,
            target=person,
            data={"factors": factors, "client": throttle.client_address(request)},  # type: ignore[dict-item]
        )
