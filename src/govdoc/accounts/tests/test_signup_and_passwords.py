"""Sign-up confirmed by e-mail with the same answer whether a username or JMBG is taken; the
JMBG's checksum and date; password rules, change and reset by a one-time, expiring link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from govdoc.accounts import jmbg, services
from govdoc.accounts.errors import AccountLinkInvalidError, PasswordInvalidError, RegistrationInvalidError
from govdoc.accounts.models import Person
from govdoc.accounts.tests.factories import PersonFactory
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.jobs.tests.worker import run_queued_tasks

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "zelena-livada-pored-reke"


def send_mail() -> None:
    """What the worker does: e-mails are tasks written with the change."""
    run_queued_tasks()


def link_in(message: mail.EmailMessage, kind: str) -> tuple[str, str]:
    found = re.search(rf"/{kind}/([^/\s]+)/([^/\s]+)/", str(message.body))
    assert found, message.body
    return found.group(1), found.group(2)


def register(**changes: str) -> None:
    form = {
        "username": "jovana",
        "password": GOOD_PASSWORD,
        "first_name": "Jovana",
        "last_name": "Jovanović",
        "email": "jovana@example.rs",
        "national_id": "0101990710008",
        "preferred_script": "sr-latn",
    }
    services.citizen_register(**{**form, **changes})


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0101990710008", None),
        ("0101990710006", "kontrolna"),  # the last (control) digit does not match
        ("3102990710000", "datum rođenja"),  # 31 February
        ("0101030710000", "datum rođenja"),  # born in 2030: later than today
        ("01019907100", "13 cifara"),
        ("010199071000a", "13 cifara"),
    ],
)
def test_a_jmbg_is_checked_by_its_control_digit_and_date(value: str, problem: str | None) -> None:
    found = jmbg.jmbg_problem(value, today=dt.date(2026, 11, 29))
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_the_control_digit_is_the_official_mod_11() -> None:
    # 7·(0+0)+6·(1+7)+5·(0+1)+4·(1+0)+3·(9+0)+2·(9+0) = 102; 102 mod 11 = 3; 11-3 = 8
    assert jmbg.control_digit("010199071000") == 8


def test_sign_up_makes_an_inactive_account_and_mails_the_link_that_confirms_it() -> None:
    register()
    person = Person.objects.get(username="jovana")
    assert not person.is_active
    send_mail()
    [message] = mail.outbox
    assert message.to == ["jovana@example.rs"]
    uid, token = link_in(message, "signup/confirm")

    confirmed = services.signup_confirm(uidb64=uid, token=token)
    assert confirmed.is_active and confirmed.email_confirmed_at is not None
    assert AuditEvent.objects.filter(event="accounts.email_confirmed", target_id=str(person.pk)).exists()
    with pytest.raises(AccountLinkInvalidError, match="već je iskorišćena"):
        services.signup_confirm(uidb64=uid, token=token)


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ("sr-latn", "potvrdite adresu e-pošte"),
        ("sr-cyrl", "потврдите адресу е-поште"),
        ("en", "Confirm your e-mail address"),
    ],
)
def test_the_e_mails_are_in_the_script_the_person_chose(script: str, said: str) -> None:
    register(preferred_script=script)
    register(username="drugi", email="drugi@example.rs", preferred_script=script)  # the JMBG is taken
    services.password_reset_request(login="jovana")
    send_mail()
    confirm, refusal, reset = mail.outbox
    assert said in confirm.body and "Jovana Jovanović" in confirm.body  # names stay as typed
    refused = {"sr-latn": "već postoji nalog", "sr-cyrl": "већ постоји налог", "en": "already has an account"}
    assert refused[script] in refusal.body
    subject = {
        "sr-latn": "GovDoc: nova lozinka",
        "sr-cyrl": "GovDoc: нова лозинка",
        "en": "GovDoc: new password",
    }
    assert reset.subject == subject[script]


def test_a_confirmation_link_expires_after_three_days() -> None:
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with clock.frozen(start):
        register()
        send_mail()
    uid, token = link_in(mail.outbox[0], "signup/confirm")
    with clock.frozen(start + dt.timedelta(days=3, minutes=1)), pytest.raises(AccountLinkInvalidError):
        services.signup_confirm(uidb64=uid, token=token)
    assert not Person.objects.get(username="jovana").is_active


@pytest.mark.parametrize(
    ("taken", "changes", "said"),
    [
        ("username", {"username": "Marko", "national_id": "0101990710008"}, "„Marko“ je zauzeto"),
        ("national_id", {"username": "drugi", "national_id": "0202985710009"}, "već postoji nalog"),
    ],
)
def test_a_taken_username_or_jmbg_is_told_only_by_e_mail(
    taken: str, changes: dict[str, str], said: str
) -> None:
    holder = PersonFactory(username="marko", national_id="0202985710009", email="marko@example.rs")
    before = Person.objects.count()

    register(email="someone@example.rs", **changes)  # no error: the page says "check your e-mail"

    assert Person.objects.count() == before
    send_mail()
    [message] = mail.outbox
    assert message.to == ["someone@example.rs"]
    assert said in message.body
    assert "marko@example.rs" not in message.body
    refused = AuditEvent.objects.get(event="accounts.signup_refused")
    assert refused.target_id == str(holder.pk)
    assert refused.data["reason"] == f"{taken}_taken"


def test_form_errors_are_per_field_and_nothing_is_sent() -> None:
    with pytest.raises(RegistrationInvalidError) as caught:
        register(national_id="0101990710006", password="jovanovic123")
    errors = caught.value.details["errors"]
    assert isinstance(errors, dict)
    assert set(errors) == {"national_id", "password"}
    assert not Person.objects.exists()
    send_mail()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "password",
    [
        "kratka-1",  # shorter than 12
        "123456789012",  # digits only (and common)
        "1q2w3e4r5t6y",  # among the most common passwords seen in breaches
        "jovanovic123",  # like the person's own name
    ],
)
def test_weak_passwords_are_refused_at_sign_up(password: str) -> None:
    with pytest.raises(RegistrationInvalidError) as caught:
        register(password=password)
    assert "password" in caught.value.details["errors"]  # type: ignore[operator]


def test_a_password_change_needs_the_old_password_and_a_good_new_one_twice() -> None:
    person = PersonFactory(username="ana")
    for old, new, again, field in (
        ("wrong-password", GOOD_PASSWORD, GOOD_PASSWORD, "old_password"),
        ("correct-horse-battery", "password1234", "password1234", "new_password"),
        ("correct-horse-battery", GOOD_PASSWORD, GOOD_PASSWORD + "x", "new_password_again"),
    ):
        with pytest.raises(PasswordInvalidError) as caught:
            services.password_change(
                person=person, old_password=old, new_password=new, new_password_again=again
            )
        assert field in caught.value.details["errors"]  # type: ignore[operator]
    assert AuditEvent.objects.filter(event="accounts.password_change_refused").count() == 1

    services.password_change(
        person=person,
        old_password="correct-horse-battery",
        new_password=GOOD_PASSWORD,
        new_password_again=GOOD_PASSWORD,
    )
    person.refresh_from_db()
    assert person.check_password(GOOD_PASSWORD)
    assert AuditEvent.objects.filter(event="accounts.password_changed", target_id=str(person.pk)).exists()


def test_a_reset_link_is_sent_for_a_username_or_an_address_and_nothing_is_said_otherwise() -> None:
    PersonFactory(username="ana", email="ana@example.rs")
    services.password_reset_request(login="ANA")
    services.password_reset_request(login="ana@example.rs")
    services.password_reset_request(login="nobody")
    services.password_reset_request(login="nobody@example.rs")
    send_mail()
    assert [m.to for m in mail.outbox] == [["ana@example.rs"], ["ana@example.rs"]]
    assert AuditEvent.objects.filter(event="accounts.password_reset_requested").count() == 2


def test_a_reset_link_works_once_and_for_an_hour() -> None:
    person = PersonFactory(username="ana", email="ana@example.rs")
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with clock.frozen(start):
        services.password_reset_request(login="ana")
        send_mail()
    uid, token = link_in(mail.outbox[0], "password/reset")
    with clock.frozen(start + dt.timedelta(minutes=61)):
        assert services.password_reset_person(uidb64=uid, token=token) is None
    with clock.frozen(start + dt.timedelta(minutes=30)):
        with pytest.raises(PasswordInvalidError):
            services.password_reset_complete(
                uidb64=uid, token=token, new_password="123456789012", new_password_again="123456789012"
            )
        services.password_reset_complete(
            uidb64=uid, token=token, new_password=GOOD_PASSWORD, new_password_again=GOOD_PASSWORD
        )
        with pytest.raises(AccountLinkInvalidError):
            services.password_reset_complete(
                uidb64=uid,
                token=token,
                new_password=GOOD_PASSWORD + "2",
                new_password_again=GOOD_PASSWORD + "2",
            )
    person.refresh_from_db()
    assert person.check_password(GOOD_PASSWORD)
    assert AuditEvent.objects.filter(event="accounts.password_changed", data__how="reset").count() == 1


def test_a_reset_confirms_a_sign_up_whose_e_mail_was_lost_but_never_revives_a_disabled_account() -> None:
    register()
    PersonFactory(
        username="disabled", email="gone@example.rs", is_active=False, email_confirmed_at=clock.now()
    )
    services.password_reset_request(login="jovana@example.rs")
    services.password_reset_request(login="disabled")
    send_mail()
    resets = [m for m in mail.outbox if "/password/reset/" in m.body and "jovana@example.rs" in m.to]
    assert [m.to for m in mail.outbox if "gone@example.rs" in m.to] == []
    uid, token = link_in(resets[0], "password/reset")
    person = services.password_reset_complete(
        uidb64=uid, token=token, new_password=GOOD_PASSWORD + "!", new_password_again=GOOD_PASSWORD + "!"
    )
    assert person.is_active and person.email_confirmed_at is not None


def test_a_sign_up_never_confirmed_frees_its_username_and_jmbg_once_its_link_expired() -> None:
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with clock.frozen(start):
        register(email="typo@exmaple.rs")
    with clock.frozen(start + dt.timedelta(days=1)):
        register()  # within three days: still held
    assert Person.objects.get(username="jovana").email == "typo@exmaple.rs"
    with clock.frozen(start + dt.timedelta(days=3, hours=1)):
        register()
    person = Person.objects.get(username="jovana")
    assert person.email == "jovana@example.rs" and not person.is_active
    assert AuditEvent.objects.filter(event="accounts.signup_expired_removed").count() == 1
