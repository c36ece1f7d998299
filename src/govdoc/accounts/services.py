"""Writes for agencies, units, people and memberships; each records its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.db import IntegrityError, transaction

from govdoc.accounts.constants import Role, Script
from govdoc.accounts.errors import (
    CitizenCannotHoldOfficeError,
    DuplicateCodeError,
    RegistrationInvalidError,
    UnitOutsideAgencyError,
)
from govdoc.accounts.models import Agency, ApiToken, Membership, Person, Unit
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
    actor: Person | str | None,
) -> Person:
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
        data={"username": username, "is_citizen": is_citizen, "is_staff": is_staff},
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


@transaction.atomic
def api_token_issue(
    *, person: Person, name: str, expires_at: dt.datetime | None = None, actor: Person | str | None
) -> tuple[ApiToken, str]:
    """Issue a token; the clear text is returned once and never stored."""
    clear = "gd_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        person=person,
        name=name,
        token_sha256=hashlib.sha256(clear.encode()).hexdigest(),
        created_at=clock.now(),
        expires_at=expires_at,
    )
    record(
        "accounts.api_token_issued", actor=actor, target=token, data={"person": str(person.pk), "name": name}
    )
    return token, clear


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Person | str | None) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        record("accounts.api_token_revoked", actor=actor, target=token, data={})
    return token


@transaction.atomic
def citizen_register(
    *,
    username: str,
    password: str,
    first_name: str,
    last_name: str,
    email: str,
    national_id: str,
    preferred_script: str,
) -> Person:
    """Sign-up of a citizen with a local account. Every problem is reported per field."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    username = username.strip()
    errors: dict[str, str] = {}
    if not re.fullmatch(r"[\w.@+-]{3,150}", username):
        errors["username"] = "Use 3 to 150 letters, digits or . @ + - _"
    elif Person.objects.filter(username__iexact=username).exists():
        errors["username"] = "This username is taken."
    if not first_name.strip():
        errors["first_name"] = "Enter your first name."
    if not last_name.strip():
        errors["last_name"] = "Enter your last name."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter a valid e-mail address."
    if not re.fullmatch(r"\d{13}", national_id):
        errors["national_id"] = "The JMBG has exactly 13 digits."
    if preferred_script not in Script.values:
        errors["preferred_script"] = "Choose Latin, Cyrillic or English."
    try:
        validate_password(password, user=Person(username=username, email=email))
    except ValidationError as exc:
        errors["password"] = " ".join(exc.messages)
    if errors:
        raise RegistrationInvalidError("The registration form has errors.", errors=errors)
    return person_create(
        username=username,
        password=password,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        is_citizen=True,
        national_id=national_id,
        preferred_script=preferred_script,
        actor="self-registration",
    )


@transaction.atomic
def person_script_set(*, person: Person, script: str, actor: Person) -> Person:
    if script not in Script.values:
        raise RegistrationInvalidError(
            "unknown script", fields={"script": "Choose Latin, Cyrillic or English."}
        )
    person = Person.objects.select_for_update().get(pk=person.pk)
    person.preferred_script = script
    person.save(update_fields=["preferred_script"])
    record("accounts.script_changed", actor=actor, target=person, data={"script": script})
    return person
