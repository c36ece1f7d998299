"""The second factor of a log-in: an authenticator app (TOTP, RFC 6238) and recovery codes.

Officials and administrators (anyone who is not only a citizen) must pass it; they enrol on
their first log-in. Citizens may. The TOTP secret is stored encrypted (Fernet, a key derived
from the installation's secret key), never logged, never shown again after enrolment;
recovery codes are kept as SHA-256 hashes and each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from govdoc.accounts import totp
from govdoc.accounts.errors import SecondFactorInvalidError
from govdoc.accounts.models import Person, SecondFactor
from govdoc.audit.services import record
from govdoc.core import clock

ISSUER = "GovDoc"
RECOVERY_CODE_COUNT = 10
_DEMO_SALT = b"govdoc-demo-totp-2026"


def _fernet() -> Fernet:
    key = hashlib.sha256(b"govdoc.second-factor:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode("ascii")


def secret_of(factor: SecondFactor) -> str:
    try:
        return _fernet().decrypt(factor.secret_encrypted.encode()).decode()
    except InvalidToken as exc:  # the secret key changed: the person must enrol again
        raise SecondFactorInvalidError(_("This authenticator can no longer be read; enrol again.")) from exc


def required_for(person: Person) -> bool:
    """Officials and administrators always; a citizen who enrolled of their own accord too."""
    if not person.is_citizen or person.is_staff or person.is_superuser:
        return True
    return confirmed_factor(person) is not None


def confirmed_factor(person: Person) -> SecondFactor | None:
    return SecondFactor.objects.filter(person=person, confirmed_at__isnull=False).first()


def demo_secret(username: str) -> str:
    """The fixed, published TOTP secret of a demo official (demo installations only)."""
    digest = hashlib.sha256(_DEMO_SALT + username.encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def is_demo_secret(person: Person) -> bool:
    factor = confirmed_factor(person)
    return factor is not None and hmac.compare_digest(secret_of(factor), demo_secret(person.username))


@transaction.atomic
def enrolment_start(*, person: Person) -> tuple[SecondFactor, str]:
    """An unconfirmed authenticator with a new secret (or the one started before): returns it
    with the secret, which the person adds to an authenticator app."""
    factor = SecondFactor.objects.select_for_update().filter(person=person).first()
    if factor is not None and factor.confirmed_at is None:
        return factor, secret_of_or_new(factor)
    if factor is not None:
        raise SecondFactorInvalidError(_("An authenticator is already enrolled for this account."))
    secret = totp.new_secret()
    factor = SecondFactor.objects.create(
        person=person, secret_encrypted=_encrypt(secret), created_at=clock.now()
    )
    record("accounts.second_factor_enrolment_started", actor=person, target=person, data={"kind": "totp"})
    return factor, secret


def secret_of_or_new(factor: SecondFactor) -> str:
    try:
        return secret_of(factor)
    except SecondFactorInvalidError:
        secret = totp.new_secret()
        factor.secret_encrypted = _encrypt(secret)
        factor.save(update_fields=["secret_encrypted"])
        return secret


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(code.strip().replace("-", "").lower().encode()).hexdigest()


def _new_recovery_codes() -> list[str]:
    out = []
    for _index in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 40 bits each; shown as xxxxx-xxxxx
        out.append(f"{raw[:5]}-{raw[5:]}")
    return out


@transaction.atomic
def enrolment_confirm(*, person: Person, code: str) -> list[str]:
    """The first code from the app proves it holds the secret: the authenticator is enrolled.
    Returns the recovery codes, shown this once."""
    factor = SecondFactor.objects.select_for_update().get(person=person)
    step = totp.matching_step(secret_of(factor), code, unix_seconds=clock.now().timestamp())
    if step is None:
        raise SecondFactorInvalidError(
            _("The code is not correct. Check the time on your phone and try again.")
        )
    codes = _new_recovery_codes()
    factor.confirmed_at, factor.last_step = clock.now(), step
    factor.recovery_hashes = [_hash_recovery(c) for c in codes]
    factor.save(update_fields=["confirmed_at", "last_step", "recovery_hashes"])
    record("accounts.second_factor_enrolled", actor=person, target=person, data={"kind": "totp"})
    return codes


@transaction.atomic
def code_check(*, person: Person, code: str) -> str:
    """Check a code from the authenticator app (±1 time step) or a recovery code. A TOTP code
    whose time step was used already is refused (no replay); a recovery code works once.
    Returns what passed: "totp" or "recovery_code"."""
    factor = (
        SecondFactor.objects.select_for_update().filter(person=person, confirmed_at__isnull=False).first()
    )
    if factor is None:
        raise SecondFactorInvalidError(_("No authenticator is enrolled for this account."))
    text = code.strip().replace(" ", "")
    if text.isdigit():
        step = totp.matching_step(secret_of(factor), text, unix_seconds=clock.now().timestamp())
        if step is None:
            raise SecondFactorInvalidError(_("The code is not correct."))
        if step <= factor.last_step:
            raise SecondFactorInvalidError(
                _("This code was used already; wait for the next one."), reused=True
            )
        factor.last_step = step
        factor.save(update_fields=["last_step"])
        return "totp"
    digest = _hash_recovery(text)
    if text and digest in factor.recovery_hashes:
        factor.recovery_hashes = [h for h in factor.recovery_hashes if h != digest]
        factor.save(update_fields=["recovery_hashes"])
        record(
            "accounts.recovery_code_used",
            actor=person,
            target=person,
            data={"left": len(factor.recovery_hashes)},
        )
        return "recovery_code"
    raise SecondFactorInvalidError(_("The code is not correct."))


@transaction.atomic
def demo_factor_set(*, person: Person, actor: str) -> None:
    """Give a demo official the published demo secret, already enrolled (demo data only)."""
    SecondFactor.objects.filter(person=person).delete()
    SecondFactor.objects.create(
        person=person,
        secret_encrypted=_encrypt(demo_secret(person.username)),
        confirmed_at=clock.now(),
        created_at=clock.now(),
    )
    record("accounts.second_factor_enrolled", actor=actor, target=person, data={"kind": "totp", "demo": True})


@transaction.atomic
def factor_reset(*, person: Person, actor: Person | str) -> None:
    """An administrator removes a lost authenticator: the person enrols again at next log-in."""
    deleted, _per_model = SecondFactor.objects.filter(person=person).delete()
    if deleted:
        record("accounts.second_factor_reset", actor=actor, target=person, data={})
