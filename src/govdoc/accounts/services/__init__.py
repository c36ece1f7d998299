"""Writes for agencies, units, people, memberships and API tokens; each records its audit
event. Sign-up, e-mail confirmation and passwords are in ``accounts.services.signup`` (and
importable from here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from govdoc.accounts.constants import TOKEN_MAX_DAYS, AccountKind, Role, Script
from govdoc.accounts.errors import (
    ApiTokenInvalidError,
    CitizenCannotHoldOfficeError,
    DuplicateCodeError,
    RegistrationInvalidError,
    SystemAccountInvalidError,
    UnitOutsideAgencyError,
)
from govdoc.accounts.models import Agency, ApiToken, Membership, Person, Unit
from govdoc.audit.context import current_origin
from govdoc.audit.selectors import last_event
from govdoc.audit.services import record
from govdoc.core import clock


@transaction.atomic
def agency_create(
    *, code: str, name: str, name_cyrl: str = "", name_en: str = "", actor: Person | str | None
) -> Agency:
    if Agency.objects.filter(code=code).exists():
        raise DuplicateCodeError(f"an agency with code {code!r} already exists", code_value=code)
    agency = Agency.objects.create(code=code, name=name, name_cyrl=name_cyrl, name_en=name_en)
    record("accounts.agency_created", actor=actor, target=agency, data={"code": code, "name": name})
    return agency


@transaction.atomic
def unit_create(
    *,
    agency: Agency,
    code: str,
    name: str,
    parent: Unit | None = None,
    name_cyrl: str = "",
    name_en: str = "",
    actor: Person | str | None,
) -> Unit:
    if parent is not None and parent.agency_id != agency.pk:
        raise UnitOutsideAgencyError(
            "a unit's parent must belong to the same agency", parent_id=str(parent.pk)
        )
    try:
        with transaction.atomic():
            unit = Unit.objects.create(
                agency=agency, parent=parent, code=code, name=name, name_cyrl=name_cyrl, name_en=name_en
            )
    except IntegrityError as exc:
        raise DuplicateCodeError(f"unit {code!r} already exists in {agency.code}", code_value=code) from exc
    record(
        "accounts.unit_created",
        actor=actor,
        target=unit,
        data={"agency": agency.code, "code": code, "parent": str(parent.pk) if parent else None},
    )
    return unit


@transaction.atomic
def person_create(
    *,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_citizen: bool = False,
    national_id: str = "",
    preferred_script: str = Script.LATIN,
    is_staff: bool = False,
    is_superuser: bool = False,
    email_confirmed: bool = True,
    actor: Person | str | None,
) -> Person:
    """A person's account. People made by an administrator (or the demo) are confirmed; a
    citizen's own sign-up passes ``email_confirmed=False``: the account stays inactive until the
    link sent to the e-mail address is followed (:func:`signup_confirm`)."""
    if Person.objects.filter(username=username).exists():
        raise DuplicateCodeError(f"the username {username!r} is taken", username=username)
    person = Person(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_citizen=is_citizen,
        national_id=national_id,
        preferred_script=preferred_script,
        is_staff=is_staff,
        is_superuser=is_superuser,
        is_active=email_confirmed,
        date_joined=clock.now(),
        email_confirmed_at=clock.now() if email_confirmed else None,
    )
    if password:
        person.set_password(password)
    else:
        person.set_unusable_password()
    person.save()
    record(
        "accounts.person_created",
        actor=actor,
        target=person,
        data={
            "username": username,
            "is_citizen": is_citizen,
            "is_staff": is_staff,
            "email_confirmed": email_confirmed,
        },
    )
    return person


@transaction.atomic
def membership_grant(
    *,
    person: Person,
    unit: Unit,
    role: Role,
    position: str = "",
    valid_from: dt.date | None = None,
    actor: Person | str | None,
) -> Membership:
    if role == Role.CITIZEN or person.is_citizen:
        raise CitizenCannotHoldOfficeError("citizens hold no office in an agency", person_id=str(person.pk))
    if (role == Role.SYSTEM) != person.is_system:
        raise CitizenCannotHoldOfficeError(
            "the system role belongs to system accounts, and system accounts hold no other role",
            person_id=str(person.pk),
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                person=person,
                unit=unit,
                role=role,
                position=position,
                valid_from=valid_from or clock.today_local(),
            )
    except IntegrityError as exc:
        raise DuplicateCodeError("this person already holds that role in that unit", role=str(role)) from exc
    record(
        "accounts.membership_granted",
        actor=actor,
        target=membership,
        data={"person": str(person.pk), "unit": str(unit.pk), "role": str(role), "position": position},
    )
    return membership


@transaction.atomic
def membership_end(
    *, membership: Membership, valid_to: dt.date | None = None, actor: Person | str | None
) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    membership.valid_to = valid_to or clock.today_local()
    membership.save(update_fields=["valid_to"])
    record(
        "accounts.membership_ended",
        actor=actor,
        target=membership,
        data={"valid_to": str(membership.valid_to)},
    )
    return membership


_SCOPE = re.compile(r"^issue:[a-z0-9][a-z0-9-]{0,63}$")


def api_token_errors(
    *, person: Person, name: str, expires_at: dt.datetime | None, scopes: Sequence[str]
) -> dict[str, str]:
    """What is wrong with a token as asked, by field (empty: it may be issued)."""
    errors: dict[str, str] = {}
    if not name.strip() or len(name) > 100:
        errors["name"] = "name the system that uses the token (1 to 100 characters)"
    now = clock.now()
    if expires_at is None:
        errors["expires_at"] = "every token expires: give an expiry date"
    elif expires_at.tzinfo is None:
        errors["expires_at"] = "the expiry must carry a time zone"
    elif expires_at <= now:
        errors["expires_at"] = "the expiry must be in the future"
    elif expires_at > now + dt.timedelta(days=TOKEN_MAX_DAYS):
        errors["expires_at"] = f"a token lives at most {TOKEN_MAX_DAYS} days"
    bad = [scope for scope in scopes if not isinstance(scope, str) or not _SCOPE.match(scope)]
    if bad:
        errors["scopes"] = f"unknown scopes: {', '.join(map(str, bad))} (use issue:<service code>)"
    elif scopes and not person.is_system:
        errors["scopes"] = "only a system account's token carries scopes; a person's token acts as the person"
    if not person.is_active:
        errors["person"] = "the account is not active"
    return errors


@transaction.atomic
def api_token_issue(
    *,
    person: Person,
    name: str,
    expires_at: dt.datetime,
    scopes: Sequence[str] = (),
    actor: Person | str | None,
) -> tuple[ApiToken, str]:
    """Issue a token; the secret is returned once and never stored (only its SHA-256)."""
    errors = api_token_errors(person=person, name=name, expires_at=expires_at, scopes=scopes)
    if errors:
        raise ApiTokenInvalidError(
            "the token cannot be issued: " + "; ".join(f"{k}: {v}" for k, v in sorted(errors.items())),
            errors=errors,
        )
    clear = "gd_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        person=person,
        name=name.strip(),
        token_sha256=hashlib.sha256(clear.encode()).hexdigest(),
        scopes=sorted(set(scopes)),
        created_at=clock.now(),
        expires_at=expires_at,
    )
    record(
        "accounts.api_token_issued",
        actor=actor,
        target=token,
        data={
            "person": str(person.pk),
            "account_kind": str(person.account_kind),
            "name": token.name,
            "scopes": list(token.scopes),
            "expires_at": expires_at.isoformat(),
        },
    )
    return token, clear


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Person | str | None) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        record("accounts.api_token_revoked", actor=actor, target=token, data={"person": str(token.person_id)})
    return token


@transaction.atomic
def api_token_refusal_record(*, token: ApiToken, reason: str, path: str) -> None:
    """A known token was refused (expired, revoked, its account disabled): a security officer
    wants to know that it is still in use somewhere."""
    record(
        "accounts.api_token_refused",
        actor=token.person,
        target=token,
        data={"reason": reason, "path": path[:200]},
    )


# A token's use is recorded when it is used from a new address, or after this long unused: a
# security officer sees where and when each token works without one event per request.
TOKEN_USE_RECORD_AFTER = dt.timedelta(minutes=15)


def api_token_use_record(*, token: ApiToken, path: str) -> None:
    """Record that ``token`` opened the API (``accounts.api_token_used``), unless its last
    recorded use came from the same address less than 15 minutes ago."""
    here = current_origin()
    address = here.address if here is not None else ""
    last = last_event(
        event="accounts.api_token_used", target_type="accounts.apitoken", target_id=str(token.pk)
    )
    if (
        last is not None
        and last.client_address == address
        and clock.now() - last.occurred_at < TOKEN_USE_RECORD_AFTER
    ):
        return
    with transaction.atomic():
        record("accounts.api_token_used", actor=token.person, target=token, data={"path": path[:200]})


@transaction.atomic
def system_account_create(*, unit: Unit, username: str, name: str, actor: Person | str | None) -> Person:
    """An agency system's account: it never logs in to pages (no usable password, no session),
    belongs to ``unit`` (whose documents it issues) and acts only through scoped API tokens."""
    errors: dict[str, str] = {}
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{2,63}", username):
        errors["username"] = "3 to 64 lower-case letters, digits, '.', '_' or '-'"
    elif Person.objects.filter(username__iexact=username).exists():
        errors["username"] = "this username is taken"
    if not name.strip() or len(name) > 150:
        errors["name"] = "name the system (1 to 150 characters)"
    if errors:
        raise SystemAccountInvalidError(
            "the system account cannot be created: "
            + "; ".join(f"{k}: {v}" for k, v in sorted(errors.items())),
            errors=errors,
        )
    system = Person(username=username, first_name=name.strip()[:150], account_kind=AccountKind.SYSTEM)
    system.set_unusable_password()
    system.save()
    Membership.objects.create(
        person=system,
        unit=unit,
        role=Role.SYSTEM,
        position=name.strip()[:200],
        valid_from=clock.today_local(),
    )
    record(
        "accounts.system_account_created",
        actor=actor,
        target=system,
        data={
            "username": username,
            "name": name.strip(),
            "unit": str(unit.pk),
            "agency": str(unit.agency_id),
        },
    )
    return system


@transaction.atomic
def person_script_set(*, person: Person, script: str, actor: Person) -> Person:
    if script not in Script.values:
        raise RegistrationInvalidError(
            _("Choose Latin, Cyrillic or English."),
            fields={"script": _("Choose Latin, Cyrillic or English.")},
        )
    person = Person.objects.select_for_update().get(pk=person.pk)
    person.preferred_script = script
    person.save(update_fields=["preferred_script"])
    record("accounts.script_changed", actor=actor, target=person, data={"script": script})
    return person


from govdoc.accounts.services.signup import (  # noqa: E402  (re-exported: one place to import writes from)
    citizen_register,
    password_change,
    password_reset_complete,
    password_reset_person,
    password_reset_request,
    signup_confirm,
)

__all__ = [
    "agency_create",
    "api_token_errors",
    "api_token_issue",
    "api_token_refusal_record",
    "api_token_revoke",
    "api_token_use_record",
    "citizen_register",
    "membership_end",
    "membership_grant",
    "password_change",
    "password_reset_complete",
    "password_reset_person",
    "password_reset_request",
    "person_create",
    "person_script_set",
    "signup_confirm",
    "system_account_create",
    "unit_create",
]
