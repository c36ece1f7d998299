"""Writes for agencies, units, people and memberships; each records its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext as _

from govdoc.accounts.constants import TOKEN_MAX_DAYS, AccountKind, Role, Script
from govdoc.accounts.errors import (
    AccountLinkInvalidError,
    ApiTokenInvalidError,
    CitizenCannotHoldOfficeError,
    DuplicateCodeError,
    PasswordInvalidError,
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


def _password_problems(password: str, *, person: Person) -> str | None:
    """Django's AUTH_PASSWORD_VALIDATORS (length, likeness to the person's own data, the list of
    the 20,000 most common passwords from breaches, all digits), as one message for the field."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user=person)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


def citizen_register(
    *,
    username: str,
    password: str,
    first_name: str,
    last_name: str,
    email: str,
    national_id: str,
    preferred_script: str,
) -> None:
    """Sign-up of a citizen with a local account. Every problem of the form is reported per
    field (RegistrationInvalidError); nothing else is said on the page.

    A good form always ends the same way, so the page cannot tell anyone whether a username or
    a JMBG already has an account (ADR 0012): a new account is made *inactive* and the link that
    confirms the e-mail address (and activates it) is sent there; when the username or the JMBG
    is taken, no account is made and the e-mail address given is told why. Returns nothing, so
    no caller can answer differently.
    """
    from django.contrib.auth.hashers import make_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from govdoc.accounts.jmbg import jmbg_problem
    from govdoc.accounts.tasks import signup_confirmation_send, signup_refusal_send

    username, email, national_id = username.strip(), email.strip(), national_id.strip()
    errors: dict[str, str] = {}
    if not re.fullmatch(r"[\w.@+-]{3,150}", username):
        errors["username"] = _("Use 3 to 150 letters, digits or . @ + - _")
    if not first_name.strip():
        errors["first_name"] = _("Enter your first name.")
    if not last_name.strip():
        errors["last_name"] = _("Enter your last name.")
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Enter a valid e-mail address.")
    problem = jmbg_problem(national_id, today=clock.today_local())
    if problem:
        errors["national_id"] = problem
    if preferred_script not in Script.values:
        errors["preferred_script"] = _("Choose Latin, Cyrillic or English.")
    candidate = Person(
        username=username, email=email, first_name=first_name, last_name=last_name, national_id=national_id
    )
    problem = _password_problems(password, person=candidate)
    if problem:
        errors["password"] = problem
    if errors:
        raise RegistrationInvalidError(_("The registration form has errors."), errors=errors)

    with transaction.atomic():
        _signups_expired_remove(username=username, national_id=national_id)
        reason, holder = _signup_conflict(username=username, national_id=national_id)
        if reason is None:
            try:
                with transaction.atomic():
                    person = person_create(
                        username=username,
                        password=password,
                        first_name=first_name.strip(),
                        last_name=last_name.strip(),
                        email=email,
                        is_citizen=True,
                        national_id=national_id,
                        preferred_script=preferred_script,
                        email_confirmed=False,
                        actor="self-registration",
                    )
            except (IntegrityError, DuplicateCodeError):
                # another sign-up took the username or the JMBG a moment ago
                reason, holder = _signup_conflict(username=username, national_id=national_id)
                reason = reason or "username_taken"
            else:
                signup_confirmation_send.enqueue(person_id=str(person.pk))
                return
        # Hashing the password costs as long as making the account would (argon2): the answer
        # takes the same time whether the username or JMBG is taken or not.
        make_password(password)
        record(
            "accounts.signup_refused",
            actor="self-registration",
            target=holder,
            data={"reason": reason, "username": username},
        )
        signup_refusal_send.enqueue(email=email, username=username, reason=reason, script=preferred_script)


def _signups_expired_remove(*, username: str, national_id: str) -> None:
    """A sign-up whose confirmation link expired unused (a mistyped address, say) no longer
    holds its username or JMBG: it is removed, audited, when someone signs up with either."""
    from govdoc.accounts.tokens import signup_confirmation_token

    expired_before = clock.now() - signup_confirmation_token.max_age
    stale = Person.objects.filter(
        Q(username__iexact=username) | Q(national_id=national_id),
        is_active=False,
        email_confirmed_at__isnull=True,
        last_login__isnull=True,
        date_joined__lt=expired_before,
    )
    for person in stale:
        try:
            with transaction.atomic():
                record(
                    "accounts.signup_expired_removed",
                    actor="self-registration",
                    target=person,
                    data={"username": person.username, "date_joined": person.date_joined.isoformat()},
                )
                person.delete()
        except (ProtectedError, IntegrityError):
            continue  # something refers to it after all: it stays, and so does the refusal


def _signup_conflict(*, username: str, national_id: str) -> tuple[str | None, Person | None]:
    taken = Person.objects.filter(username__iexact=username).first()
    if taken is not None:
        return "username_taken", taken
    holder = Person.objects.filter(national_id=national_id).first()
    if holder is not None:
        return "national_id_taken", holder
    return None, None


def _person_from_link(uidb64: str) -> Person | None:
    from govdoc.accounts.tokens import pk_from_uid

    pk = pk_from_uid(uidb64)
    if pk is None:
        return None
    try:
        return Person.objects.filter(pk=uuid.UUID(pk)).first()
    except ValueError:
        return None


@transaction.atomic
def signup_confirm(*, uidb64: str, token: str) -> Person:
    """Follow the link of the confirmation e-mail: the account becomes active. A link works once
    and for three days; AccountLinkInvalidError otherwise."""
    from govdoc.accounts.tokens import signup_confirmation_token

    person = _person_from_link(uidb64)
    if person is not None:
        person = Person.objects.select_for_update().get(pk=person.pk)
    if (
        person is None
        or person.email_confirmed_at is not None
        or not signup_confirmation_token.check_token(person, token)
    ):
        raise AccountLinkInvalidError(
            _("This confirmation link is not valid: it was used already, or it expired (after three days).")
        )
    person.email_confirmed_at = clock.now()
    person.is_active = True
    person.save(update_fields=["email_confirmed_at", "is_active"])
    record("accounts.email_confirmed", actor=person, target=person, data={})
    return person


def _new_password_errors(*, person: Person, new_password: str, new_password_again: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    problem = _password_problems(new_password, person=person)
    if problem:
        errors["new_password"] = problem
    elif new_password != new_password_again:
        errors["new_password_again"] = _("The two new passwords are not the same.")
    return errors


def password_change(
    *, person: Person, old_password: str, new_password: str, new_password_again: str
) -> Person:
    """A logged-in person changes their password (the old one, the new one twice). Every other
    session of theirs ends: Django checks each session against the password hash. A wrong old
    password is audited (someone may be at an unattended computer)."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        errors: dict[str, str] = {}
        if not person.check_password(old_password):
            errors["old_password"] = _("This is not your current password.")
            record(
                "accounts.password_change_refused",
                actor=person,
                target=person,
                data={"reason": "old_password"},
            )
        errors.update(
            _new_password_errors(
                person=person, new_password=new_password, new_password_again=new_password_again
            )
        )
        if not errors.get("new_password") and new_password and new_password == old_password:
            errors["new_password"] = _("Choose a password other than the current one.")
        if not errors:
            person.set_password(new_password)
            person.save(update_fields=["password"])
            record("accounts.password_changed", actor=person, target=person, data={"how": "change"})
            return person
    raise PasswordInvalidError(_("The password was not changed."), errors=errors)


@transaction.atomic
def password_reset_request(*, login: str) -> None:
    """Someone forgot their password and gave a username or an e-mail address. Each matching
    account (active, or waiting for its e-mail confirmation) gets a one-time link by e-mail;
    the caller learns nothing either way (no account enumeration)."""
    from govdoc.accounts.tasks import password_reset_send

    login = login.strip()
    if not login or len(login) > 254:
        return
    query = (
        Q(username__iexact=login) if "@" not in login else Q(email__iexact=login) | Q(username__iexact=login)
    )
    people = (
        Person.objects.filter(query, account_kind=AccountKind.PERSON)
        .filter(Q(is_active=True) | Q(email_confirmed_at__isnull=True))
        .exclude(email="")
    )
    for person in people[:5]:
        if not person.has_usable_password():
            continue  # accounts without a password log in another way (eID)
        record("accounts.password_reset_requested", actor=None, target=person, data={})
        password_reset_send.enqueue(person_id=str(person.pk))


def password_reset_person(*, uidb64: str, token: str) -> Person | None:
    """The person a reset link is for, while it is valid (unused, less than an hour old)."""
    from govdoc.accounts.tokens import password_reset_token

    person = _person_from_link(uidb64)
    if person is None or not password_reset_token.check_token(person, token):
        return None
    if not person.is_active and person.email_confirmed_at is not None:
        return None  # disabled by an administrator: a link does not bring it back
    return person


@transaction.atomic
def password_reset_complete(*, uidb64: str, token: str, new_password: str, new_password_again: str) -> Person:
    """Set a new password through a reset link. The link then stops working (the password hash
    it covers changed), every session of the person ends, and an account still waiting for
    its e-mail confirmation is confirmed (the link reached that address)."""
    person = password_reset_person(uidb64=uidb64, token=token)
    if person is None:
        raise AccountLinkInvalidError(
            _(
                "This link is not valid: it was used already, or it expired (after an hour). "
                "Ask for a new one."
            )
        )
    person = Person.objects.select_for_update().get(pk=person.pk)
    errors = _new_password_errors(
        person=person, new_password=new_password, new_password_again=new_password_again
    )
    if errors:
        raise PasswordInvalidError(_("The password was not changed."), errors=errors)
    person.set_password(new_password)
    fields = ["password"]
    if person.email_confirmed_at is None:
        person.email_confirmed_at, person.is_active = clock.now(), True
        fields += ["email_confirmed_at", "is_active"]
        record("accounts.email_confirmed", actor=person, target=person, data={"how": "password_reset"})
    person.save(update_fields=fields)
    record("accounts.password_changed", actor=person, target=person, data={"how": "reset"})
    return person


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
