"""E-mails about a person's account, sent by the worker (enqueued in the transaction of the
change that needs them).

Only the person's id goes into the task row; the one-time link is made when the e-mail is
sent, so no usable link is ever stored in the database.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django_tasks import task

from govdoc.accounts.tokens import password_reset_token, signup_confirmation_token, uid_of

CONFIRM_PATH = "/signup/confirm/{uid}/{token}/"
RESET_PATH = "/password/reset/{uid}/{token}/"

_SIGNATURE = "\n\n-- \nGovDoc\n"


def _link(path: str) -> str:
    return f"{settings.PUBLIC_URL}{path}"


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
    body = _(
        "Dobar dan / Hello {name},\n\n"
        "Potvrdite adresu e-pošte da biste aktivirali nalog „{username}“ (veza važi tri dana):\n"
        "Confirm your e-mail address to activate the account '{username}' "
        "(the link works for three days):\n\n"
        "{link}\n\n"
        "Ako se niste vi registrovali, zanemarite ovu poruku. / "
        "If you did not sign up, ignore this message."
    ).format(name=person.get_full_name() or person.username, username=person.username, link=link)
    sent = send_mail(
        subject=_("GovDoc: potvrdite nalog / confirm your account"),
        message=body + _SIGNATURE,
        from_email=None,
        recipient_list=[person.email],
    )
    return bool(sent)


@task()
def signup_refusal_send(*, email: str, username: str, reason: str) -> bool:
    """Someone signed up with this e-mail address, but the username or the JMBG already has an
    account: say so to the address given, never on the page (no account enumeration)."""
    if reason == "username_taken":
        what = _(
            "Korisničko ime „{username}“ je zauzeto: registrujte se ponovo sa drugim imenom.\n"
            "The username '{username}' is taken: sign up again with another one."
        ).format(username=username)
    else:
        what = _(
            "Za ovaj JMBG već postoji nalog, pa se ne može upotrebiti za novi. "
            "Ako je nalog vaš, prijavite se "
            "ili zatražite novu lozinku; ako nije, obratite se podršci.\n"
            "This JMBG already has an account and cannot be used for a new one. If the account is "
            "yours, log in or ask for a new password; if it is not, contact support."
        )
    body = (
        _(
            "Dobar dan / Hello,\n\nPrimili smo registraciju sa ovom adresom. / "
            "We received a sign-up with this address.\n\n"
        )
        + what
        + "\n\n"
        + _("Nova lozinka / New password: {link}").format(link=_link("/password/reset/"))
        + "\n\n"
        + _(
            "Ako se niste vi registrovali, zanemarite ovu poruku. / "
            "If you did not sign up, ignore this message."
        )
    )
    sent = send_mail(
        subject=_("GovDoc: registracija nije završena / sign-up not completed"),
        message=body + _SIGNATURE,
        from_email=None,
        recipient_list=[email],
    )
    return bool(sent)


@task()
def password_reset_send(*, person_id: str) -> bool:
    """A one-time link (an hour) to set a new password."""
    from govdoc.accounts.models import Person

    person = Person.objects.filter(pk=uuid.UUID(person_id)).first()
    if person is None or not person.email:
        return False
    link = _link(RESET_PATH.format(uid=uid_of(person.pk), token=password_reset_token.make_token(person)))
    body = _(
        "Dobar dan / Hello {name},\n\n"
        "Zatražena je nova lozinka za nalog „{username}“. "
        "Postavite je ovde (veza važi jedan sat i samo jednom):\n"
        "A new password was asked for the account '{username}'. "
        "Set it here (the link works once, for an hour):\n\n"
        "{link}\n\n"
        "Ako niste vi tražili, zanemarite ovu poruku: lozinka ostaje ista. / "
        "If you did not ask, ignore this message: your password stays as it is."
    ).format(name=person.get_full_name() or person.username, username=person.username, link=link)
    sent = send_mail(
        subject=_("GovDoc: nova lozinka / new password"),
        message=body + _SIGNATURE,
        from_email=None,
        recipient_list=[person.email],
    )
    return bool(sent)
