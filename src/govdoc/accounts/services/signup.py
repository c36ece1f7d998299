"""Citizens' sign-up (confirmed by e-mail, the same answer whether a username or JMBG is
taken: ADR 0012) and passwords (change, reset by a one-time link); each write records its
audit event."""

from __future__ import annotations

import re
import uuid

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext as _

from govdoc.accounts.constants import AccountKind, Script
from govdoc.accounts.errors import (
    AccountLinkInvalidError,
    DuplicateCodeError,
    PasswordInvalidError,
    RegistrationInvalidError,
)
from govdoc.accounts.models import Person

# The package defines person_create before it imports this module (see its end).
from govdoc.accounts.services import person_create
from govdoc.audit.services import record
from govdoc.core import clock


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
