"""The signing PIN: wrong PINs are audited and block the key (progressively, then until an
administrator unblocks it); the first PIN, set by whoever provisioned the key, must be changed;
a change encrypts the key file again under the new PIN. Real keys, the installation's PKI."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from tests.support import log_in

from govdoc.accounts.models import Person
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.signatures import services
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.errors import PinBlockedError, PinChangeRequiredError, PinInvalidError, WrongPinError
from govdoc.signatures.models import SigningPin
from govdoc.signatures.selectors import detached_verify

pytestmark = pytest.mark.django_db

PIN = "246813"
# The certificates are made now. Frozen times stay within a day of it: a clock moved further
# would make the shared development PKI publish a CRL dated in the future.
START = clock.now().replace(microsecond=0)


@pytest.fixture
def signer(handler: Person) -> Person:
    services.person_certificate_issue(
        person=handler, pin=PIN, organization="MUP", actor="test", pin_change_required=False
    )
    return handler


def _wrong(person: Person, at: dt.datetime) -> WrongPinError:
    with clock.frozen(at), pytest.raises(WrongPinError) as caught:
        services.person_key_open(person=person, pin="000000")
    return caught.value


def _signs(person: Person, pin: str = PIN) -> bool:
    key = services.person_key_open(person=person, pin=pin)
    signature = services.detached_seal(data=b"odluka", key=key)
    return detached_verify(b"odluka", signature).state is Verdict.AUTHENTIC


def test_each_wrong_pin_is_audited_with_who_and_which_key(signer: Person) -> None:
    error = _wrong(signer, START)
    assert "još 4 pogrešna PIN-a" in error.message
    [event] = AuditEvent.objects.filter(event="signatures.pin_wrong")
    assert event.actor_id == str(signer.pk) and event.target_id == str(signer.pk)
    row = SigningPin.objects.get(person=signer)
    assert event.data == {"serial": row.certificate_serial, "failures": 1, "during": "signing"}


def test_five_wrong_pins_block_the_key_for_a_minute_then_longer_then_until_an_administrator(
    signer: Person,
) -> None:
    at = START
    for _ in range(4):
        _wrong(signer, at)
    assert "blokiran do" in _wrong(signer, at).message  # the 5th
    with clock.frozen(at + dt.timedelta(seconds=30)), pytest.raises(PinBlockedError):
        services.person_key_open(person=signer, pin=PIN)  # even the right PIN waits
    assert AuditEvent.objects.filter(event="signatures.pin_refused").count() == 1

    waits = []
    for _ in range(4):  # the 6th to the 9th: each after the previous wait has passed
        at = SigningPin.objects.get(person=signer).blocked_until + dt.timedelta(seconds=1)  # type: ignore[operator]
        _wrong(signer, at)
        waits.append(SigningPin.objects.get(person=signer).blocked_until - at)  # type: ignore[operator]
    assert [round(w.total_seconds() / 60) for w in waits] == [5, 30, 120, 480]

    at = SigningPin.objects.get(person=signer).blocked_until + dt.timedelta(seconds=1)  # type: ignore[operator]
    assert "administrator" in _wrong(signer, at).message  # the 10th
    with clock.frozen(at + dt.timedelta(days=1)), pytest.raises(PinBlockedError, match="administrator"):
        services.person_key_open(person=signer, pin=PIN)
    assert AuditEvent.objects.filter(event="signatures.pin_wrong").count() == 10
    assert AuditEvent.objects.filter(event="signatures.pin_blocked").count() == 6

    services.signing_pin_unblock(person=signer, actor="admin-ivana")
    unblocked = AuditEvent.objects.get(event="signatures.pin_unblocked")
    assert unblocked.actor_label == "admin-ivana" and unblocked.data["failures"] == 10
    with clock.frozen(at + dt.timedelta(days=1)):
        assert _signs(signer)


def test_a_right_pin_resets_the_count(signer: Person) -> None:
    for _ in range(4):
        _wrong(signer, START)
    with clock.frozen(START):
        assert _signs(signer)
    assert "još 4 pogrešna PIN-a" in _wrong(signer, START).message


def test_the_provisioned_pin_must_be_changed_before_the_key_signs(handler: Person) -> None:
    services.person_certificate_issue(person=handler, pin=PIN, organization="MUP", actor="admin")
    with pytest.raises(PinChangeRequiredError):
        services.person_key_open(person=handler, pin=PIN)

    for old, new, again, field in (
        (PIN, "123456", "123456", "new_pin"),
        (PIN, "111111", "111111", "new_pin"),
        (PIN, "987654", "987654", "new_pin"),
        (PIN, "121212", "121212", "new_pin"),
        (PIN, "58203", "58203", "new_pin"),
        (PIN, "58203a", "58203a", "new_pin"),
        (PIN, "582039", "582093", "new_pin_again"),
        (PIN, PIN, PIN, "new_pin"),
        ("000000", "582039", "582039", "old_pin"),
    ):
        with pytest.raises(PinInvalidError) as caught:
            services.signing_pin_change(person=handler, old_pin=old, new_pin=new, new_pin_again=again)
        assert set(caught.value.details["errors"]) == {field}, (new, caught.value.details)  # type: ignore[arg-type]
    # only the wrong current PIN counted as a wrong PIN
    assert SigningPin.objects.get(person=handler).failures == 1

    services.signing_pin_change(person=handler, old_pin=PIN, new_pin="582039", new_pin_again="582039")

    row = SigningPin.objects.get(person=handler)
    assert not row.change_required and row.failures == 0 and row.changed_at is not None
    assert AuditEvent.objects.filter(event="signatures.pin_changed", target_id=str(handler.pk)).exists()
    with pytest.raises(WrongPinError):
        services.person_key_open(person=handler, pin=PIN)
    assert _signs(handler, "582039")  # the same key and certificate, under the new PIN


def test_an_official_changes_the_pin_on_a_page(handler: Person) -> None:
    services.person_certificate_issue(person=handler, pin=PIN, organization="MUP", actor="admin")
    client = log_in(Client(), handler)  # password and second factor passed
    assert 'id="pin-change-required"' in client.get("/work/").content.decode()

    wrong = client.post("/work/pin/", {"old_pin": "000000", "new_pin": "582039", "new_pin_again": "582039"})
    assert wrong.status_code == 400 and 'id="err_old_pin"' in wrong.content.decode()
    easy = client.post("/work/pin/", {"old_pin": PIN, "new_pin": "123456", "new_pin_again": "123456"})
    assert easy.status_code == 400 and 'id="err_new_pin"' in easy.content.decode()
    done = client.post("/work/pin/", {"old_pin": PIN, "new_pin": "582039", "new_pin_again": "582039"})
    assert done.status_code == 302
    assert 'id="pin-change-required"' not in client.get("/work/").content.decode()


def test_a_blocked_key_cannot_have_its_pin_changed_either(signer: Person) -> None:
    for _ in range(5):
        _wrong(signer, START)
    with clock.frozen(START), pytest.raises(PinBlockedError):
        services.signing_pin_change(person=signer, old_pin=PIN, new_pin="582039", new_pin_again="582039")
