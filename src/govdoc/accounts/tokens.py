"""One-time, expiring links sent by e-mail: the sign-up confirmation and the password reset.

Django's ``PasswordResetTokenGenerator`` (an HMAC under the secret key over the account's state
and a timestamp): a link stops working once it is used, because what it hashes changes (the
password hash for a reset; the confirmation time for a sign-up). Each kind has its own salt and
lifetime, and both read the project's clock so tests can move time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from govdoc.core import clock


class _ExpiringToken(PasswordResetTokenGenerator):
    max_age: dt.timedelta

    def _now(self) -> dt.datetime:
        return clock.now().replace(tzinfo=None)

    def check_token(self, user: Any, token: str | None) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        age = self._num_seconds(self._now()) - ts
        return 0 <= age <= self.max_age.total_seconds()


class PasswordResetToken(_ExpiringToken):
    """Valid for an hour; used once (the password hash changes)."""

    key_salt = "govdoc.accounts.tokens.PasswordResetToken"
    max_age = dt.timedelta(hours=1)


class SignupConfirmationToken(_ExpiringToken):
    """Valid for three days; used once (the account becomes confirmed)."""

    key_salt = "govdoc.accounts.tokens.SignupConfirmationToken"
    max_age = dt.timedelta(days=3)

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        confirmed = user.email_confirmed_at.isoformat() if user.email_confirmed_at else ""
        return f"{user.pk}{user.email}{user.is_active}{confirmed}{timestamp}"


password_reset_token = PasswordResetToken()
signup_confirmation_token = SignupConfirmationToken()


def uid_of(person_pk: object) -> str:
    return urlsafe_base64_encode(force_bytes(str(person_pk)))


def pk_from_uid(uidb64: str) -> str | None:
    try:
        return force_str(urlsafe_base64_decode(uidb64))
    except (ValueError, TypeError):
        return None
