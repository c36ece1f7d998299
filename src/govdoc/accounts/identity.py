"""Who is logging in: identity providers behind one interface.

GovDoc ships local accounts (username + password, argon2, lockout after repeated failures). A
national eID over OpenID Connect is another provider with the same interface (``authenticate``
returns a Person or None); it is chosen by ``GOVDOC_IDENTITY_PROVIDERS``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Protocol

from django.conf import settings
from django.contrib.auth import authenticate as django_authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils.module_loading import import_string

from govdoc.accounts.errors import AccountLockedError, InvalidCredentialsError
from govdoc.accounts.models import LoginAttempt, Person
from govdoc.audit.services import record
from govdoc.core import clock

LOCK_AFTER_FAILURES = 5
LOCK_WINDOW = dt.timedelta(minutes=15)


class IdentityProvider(Protocol):
    name: str

    def authenticate(self, request: HttpRequest, *, username: str, password: str) -> Person:
        """The person, or InvalidCredentialsError / AccountLockedError."""
        ...


def _client(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    return hashlib.sha256(address.encode()).hexdigest() if address else ""


class LocalPasswordProvider:
    """Local accounts: Django's password check, locked for 15 minutes after 5 failures."""

    name = "local"

    def authenticate(self, request: HttpRequest, *, username: str, password: str) -> Person:
        username = username.strip()
        since = clock.now() - LOCK_WINDOW
        if (
            LoginAttempt.objects.filter(username__iexact=username, at__gte=since).count()
            >= LOCK_AFTER_FAILURES
        ):
            raise AccountLockedError(
                "Too many failed attempts: this account is locked for 15 minutes.", username=username
            )
        user = django_authenticate(request, username=username, password=password)
        # A system account never logs in to pages, even if someone gave it a password.
        if not isinstance(user, Person) or user.is_system:
            with transaction.atomic():
                LoginAttempt.objects.create(username=username, at=clock.now(), client=_client(request))
                record("accounts.login_failed", actor=None, data={"username": username})
            raise InvalidCredentialsError("The username or password is not correct.", username=username)
        with transaction.atomic():
            LoginAttempt.objects.filter(username__iexact=username).delete()
            record("accounts.login_succeeded", actor=user, target=user, data={"provider": self.name})
        return user


def providers() -> list[IdentityProvider]:
    paths = getattr(settings, "GOVDOC_IDENTITY_PROVIDERS", ["govdoc.accounts.identity.LocalPasswordProvider"])
    return [import_string(path)() for path in paths]


def authenticate(request: HttpRequest, *, username: str, password: str) -> Person:
    """Try the configured providers in order; the first that knows the person decides."""
    error: Exception | None = None
    for provider in providers():
        try:
            return provider.authenticate(request, username=username, password=password)
        except InvalidCredentialsError as exc:
            error = exc
    raise error or InvalidCredentialsError("No identity provider is configured.")
