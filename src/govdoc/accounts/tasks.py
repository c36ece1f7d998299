"""E-mails about a person's account, sent by the worker (enqueued in the transaction of the
change that needs them).

Only the person's id goes into the task row; the one-time link is made when the e-mail is
sent, so no usable link is ever stored in the database. Each e-mail is written in the language
and script the person chose (at sign-up, or later with the switch on every page).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from govdoc.accounts.constants import DJANGO_LANGUAGE, Script
from govdoc.accounts.tokens import password_reset_token, signup_confirmation_token, uid_of

CONFIRM_PATH = "/signup/confirm/{uid}/{token}/"
RESET_PATH = "/password/reset/{uid}/{token}/"

_SIGNATURE = "\n\n-- \nGovDoc\n"


def _link(path: str) -> str:
    return f"{settings.PUBLIC_URL}{path}"


def _language(script: str) -> str:
    """Django's language for a person's script (Serbian Latin when it is unknown)."""
    return DJANGO_LANGUAGE[Script(script) if script in Script.values else Script.LATIN]


@task()
def signup_confirmation_send(*, person_id: str) -> bool:
    """The link that confirms a new account's e-mail address (and so activates it)."""
    from govdoc.accounts.models import Person

    person = Person.objects.filter(pk=uuid.UUID(person_id), email_confirmed_at__isnull=True).first()
    if person is None or not person.email:
        return False
    link = _link(
        CONFIRM_PATH.format(uid=uid_of(person.pk), token=signup_confirmation_token.make_token(person))
    )
    with translation.override(_language(person.preferred_script)):
        body = _(
            "Hello {name},\n\n"
            "Confirm your e-mail address to activate the account “{username}” "
            "(the link works for three days):\n\n"
            "{link}\n\n"
            "If you did not sign up, ignore this message."
        ).format(name=person.get_full_name() or person.username, username=person.username, link=link)
        subject = _("GovDoc: confirm your account")
    sent = send_mail(
        subject=subject, message=body + _SIGNATURE, from_email=None, recipient_list=[person.email]
    )
    return bool(sent)


@task()
def signup_refusal_send(*, email: str, username: str, reason: str, script: str = Script.LATIN) -> bool:
    """Someone signed up with this e-mail address, but the username or the JMBG already has an
    account: say so to the address given, never on the page (no account enumeration). Written
    in the script chosen on the sign-up form."""
    with translation.override(_language(script)):
        if reason == "username_taken":
            what = _("The username “{username}” is taken: sign up again with another one.").format(
                username=username
            )
        else:
            what = _(
                "This JMBG already has an account and cannot be used for a new one. If the account is "
                "yours, log in or ask for a new password; if it is not, contact support."
            )
        body = (
            _("Hello,\n\nWe received a sign-up with this address.")
            + "\n\n"
            + what
            + "\n\n"
            + _("New password: {link}").format(link=_link("/password/reset/"))
            + "\n\n"
            + _("If you did not sign up, ignore this message.")
        )
        subject = _("GovDoc: sign-up not completed")
    sent = send_mail(subject=subject, message=body + _SIGNATURE, from_email=None, recipient_list=[email])
    return bool(sent)


@task()
def password_reset_send(*, person_id: str) -> bool:
    """A one-time link (an hour) to set a new password."""
    from govdoc.accounts.models import Person

    person = Person.objects.filter(pk=uuid.UUID(person_id)).first()
    if person is None or not person.email:
        return False
    link = _link(RESET_PATH.format(uid=uid_of(person.pk), token=password_reset_token.make_token(person)))
    with translation.override(_language(person.preferred_script)):
        body = _(
            "Hello {name},\n\n"
            "A new password was asked for the account “{username}”. "
            "Set it here (the link works once, for an hour):\n\n"
            "{link}\n\n"
            "If you did not ask, ignore this message: your password stays as it is."
        ).format(name=person.get_full_name() or person.username, username=person.username, link=link)
        subject = _("GovDoc: new password")
    sent = send_mail(
        subject=subject, message=body + _SIGNATURE, from_email=None, recipient_list=[person.email]
    )
    return bool(sent)
