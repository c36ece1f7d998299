"""Writes of the signatures domain: sealing PDFs, issuing and revoking certificates.

Signing is slow (tens of milliseconds) and touches no database row, so it runs outside the
transaction; the audit event that records it is written right after, in its own transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import re

from cryptography import x509
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govdoc.accounts.models import Agency, Person
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject
from govdoc.signatures import keyring
from govdoc.signatures.engine import archive, cms, pades
from govdoc.signatures.engine.errors import CorruptPdfError, KeyBackendError, NotAPdfError
from govdoc.signatures.engine.keys import KeyBackend
from govdoc.signatures.engine.validation import TrustConfig
from govdoc.signatures.errors import (
    CertificateNotFoundError,
    PinBlockedError,
    PinChangeRequiredError,
    PinInvalidError,
    PinRequiredError,
    WrongPinError,
)
from govdoc.signatures.models import SigningPin
from govdoc.signatures.pki import IssuedCertificate, Progress

SEAL_LOCATION = "Republic of Serbia"


def pdf_seal(
    *,
    pdf: bytes,
    agency: Agency,
    actor: Person | str | None,
    reason: str | None = None,
    certify: bool = False,
    progress: Progress | None = None,
    also_trusted: tuple[tuple[x509.Certificate, ...], tuple[bytes, ...]] = ((), ()),
) -> bytes:
    """Seal a PDF with the agency's e-seal as PAdES B-LTA: a signature timestamp, the
    validation data (certificates, CRLs) in the document security store, and a document
    timestamp over it all, so the seal can be checked at its proven time for decades
    (renewed by :func:`archive_timestamp_renew`). A PDF 1.x input keeps its version (ADR 0009).

    ``also_trusted``: root certificates and CRLs trusted besides this installation's, for a
    PDF that came sealed from another node (a countersignature): the validation data of its
    last timestamp, which the new archive timestamp must cover, chains to that node's root.
    """
    key = keyring.eseal_key(agency.code, name=agency.name, progress=progress)
    try:
        signed = pades.sign_pdf(
            pdf,
            key=key,
            timestamper=keyring.timestamper(),
            reason=reason or f"Electronic seal of {agency.name}",
            location=SEAL_LOCATION,
            certify=certify,
            embed_validation_info=_trust_with(keyring.trust_now(), also_trusted),
            archive_timestamp=True,
        )
    except (NotAPdfError, CorruptPdfError) as exc:
        with transaction.atomic():
            record(
                "signatures.pdf_seal_refused",
                actor=actor,
                target=agency,
                data={
                    "input_sha256": hashlib.sha256(pdf).hexdigest(),
                    "code": exc.code,
                    "reason": exc.message,
                },
            )
        raise
    with transaction.atomic():
        record(
            "signatures.pdf_sealed",
            actor=actor,
            target=agency,
            data={
                "input_sha256": hashlib.sha256(pdf).hexdigest(),
                "output_sha256": hashlib.sha256(signed).hexdigest(),
                "certificate_serial": format(key.certificate.serial_number, "x"),
                "certified": certify,
            },
        )
    return signed


def _trust_with(
    trust: TrustConfig, also: tuple[tuple[x509.Certificate, ...], tuple[bytes, ...]]
) -> TrustConfig:
    roots, crls = also
    if not roots and not crls:
        return trust
    return dataclasses.replace(trust, roots=(*trust.roots, *roots), crls=(*trust.crls, *crls))


def archive_timestamp_renew(pdf: bytes) -> bytes:
    """``pdf`` with a new archive timestamp: the validation data of its newest document
    timestamp stored, and a new document timestamp from this installation's TSA over all of it.

    Pure with respect to the database (a periodic job stores the result: see
    ``issuance.services.issued_archive_renew``). Raises the engine's NotAPdfError /
    CorruptPdfError for bad input and ArchiveRenewalError when the document no longer verifies
    as authentic (then a new timestamp would prove nothing).
    """
    return archive.archive_timestamp_add(pdf, timestamper=keyring.timestamper(), trust=keyring.trust_now())


def archive_renewal_due(pdf: bytes, *, margin: dt.timedelta = archive.DEFAULT_MARGIN) -> bool:
    """True when ``pdf``'s newest archive timestamp must be renewed now (none yet, its TSA
    certificate expires within ``margin``, or its hash algorithm is no longer strong)."""
    return archive.archive_status(pdf).renewal_due(at=clock.now(), margin=margin)


def detached_seal(*, data: bytes, key: KeyBackend) -> bytes:
    """A detached CMS signature with a timestamp over ``data`` (no audit: callers record the act)."""
    return cms.sign_detached(data, key=key, timestamper=keyring.timestamper())


@transaction.atomic
def person_certificate_issue(
    *,
    person: Person,
    pin: str,
    organization: str,
    actor: Person | str | None,
    pin_change_required: bool = True,
) -> str:
    """Give an official a personal signing key, encrypted under a first PIN. Returns the serial.

    Whoever provisions the key knows that first PIN, so by default its holder must change it
    (:func:`signing_pin_change`) before the key signs anything; the demo, whose PIN is published
    for the walk-through, passes ``pin_change_required=False``."""
    cert = keyring.pki().person_certificate_issue(
        str(person.pk),
        full_name=person.get_full_name() or person.username,
        organization=organization,
        email=person.email or None,
        pin=pin,
    )
    serial = format(cert.serial_number, "x")
    SigningPin.objects.create(person=person, certificate_serial=serial, change_required=pin_change_required)
    record(
        "signatures.certificate_issued",
        actor=actor,
        target=person,
        data={"serial": serial, "kind": "person", "pin_change_required": pin_change_required},
    )
    return serial


@transaction.atomic
def certificate_revoke(
    *, serial: str, reason: str, actor: Person | str | None, effective_at: dt.datetime | None = None
) -> IssuedCertificate:
    """Revoke a certificate now, or from ``effective_at`` (a key compromise dated back to when
    the key was last known safe: every seal made after that stops being authentic, while
    seals made before stay authentic because their timestamps prove when they were made)."""
    revoked = keyring.pki().revoke(serial, reason=reason, effective_at=effective_at)
    keyring.forget()
    record(
        "signatures.certificate_revoked",
        actor=actor,
        data={
            "serial": revoked.serial,
            "holder": revoked.holder,
            "reason": reason,
            "effective_at": revoked.revoked_at.isoformat() if revoked.revoked_at else None,
        },
    )
    return revoked


# -- the signing PIN ---------------------------------------------------------------------------
#
# A wrong PIN is audited, and wrong PINs in a row block the key: from the 5th for a growing
# time, from the 10th until an administrator unblocks it (``signing_pin_unblock``). The count
# is kept per certificate (``SigningPin``). Each try runs with that row locked, so tries at the
# same moment are taken one after the other and the limit holds (ADR 0012).

PIN_WAIT_AFTER = {
    5: dt.timedelta(minutes=1),
    6: dt.timedelta(minutes=5),
    7: dt.timedelta(minutes=30),
    8: dt.timedelta(hours=2),
    9: dt.timedelta(hours=8),
}
PIN_BLOCK_AT = 10
PIN_MIN_DIGITS, PIN_MAX_DIGITS = 6, 12


def signing_pin_problem(pin: str) -> str | None:
    """What makes ``pin`` a bad new signing PIN, or None: 6 to 12 digits, not one digit
    repeated, not a run such as 123456 or 987654, not a short block repeated (121212)."""
    if not re.fullmatch(rf"\d{{{PIN_MIN_DIGITS},{PIN_MAX_DIGITS}}}", pin):
        return _("A signing PIN has 6 to 12 digits.")
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps in ({0}, {1}, {9}):
        return _("This PIN is too easy to guess (one digit repeated, or a run like 123456).")
    if re.fullmatch(r"(\d{1,4})\1+", pin):
        return _("This PIN is too easy to guess (a short block repeated, like 121212).")
    return None


def _current_certificate_serial(person: Person) -> str:
    cert = keyring.ensure().person_certificate(str(person.pk))
    if cert is None:
        raise CertificateNotFoundError(
            _("this official has no signing certificate yet"), person_id=str(person.pk)
        )
    return format(cert.serial_number, "x")


def _pin_row_locked(person: Person, serial: str) -> SigningPin:
    # A key issued before PINs were counted gets its row on first use (no change asked).
    row, _created = SigningPin.objects.get_or_create(certificate_serial=serial, defaults={"person": person})
    return SigningPin.objects.select_for_update().get(pk=row.pk)


def _refusal_if_blocked(row: SigningPin, person: Person) -> PinBlockedError | None:
    """The key is blocked: the try is refused without looking at the PIN (and recorded)."""
    now = clock.now()
    if row.blocked:
        error = PinBlockedError(
            _("Your signing key is blocked after too many wrong PINs: ask an administrator to unblock it."),
            person_id=str(person.pk),
        )
    elif row.blocked_until is not None and row.blocked_until > now:
        local = row.blocked_until.astimezone(clock.DISPLAY_TZ)
        error = PinBlockedError(
            _("Too many wrong PINs: your signing key is blocked until {time}.").format(
                time=f"{local:%H:%M:%S}"
            ),
            person_id=str(person.pk),
            until=row.blocked_until.isoformat(),
        )
    else:
        return None
    record(
        "signatures.pin_refused",
        actor=person,
        target=person,
        data={"serial": row.certificate_serial, "reason": "blocked" if row.blocked else "waiting"},
    )
    return error


def _wrong_pin(row: SigningPin, person: Person, *, during: str) -> WrongPinError:
    """Count and record a wrong PIN; block the key when the count calls for it."""
    row.failures += 1
    fields = ["failures"]
    data: JSONObject = {"serial": row.certificate_serial, "failures": row.failures, "during": during}
    record("signatures.pin_wrong", actor=person, target=person, data=data)
    if row.failures >= PIN_BLOCK_AT:
        row.blocked, row.blocked_until = True, None
        fields += ["blocked", "blocked_until"]
        record("signatures.pin_blocked", actor=person, target=person, data={**data, "until": "administrator"})
        message = ngettext(
            "The signing PIN is not correct. After %(n)d wrong PIN in a row your key is blocked: "
            "ask an administrator to unblock it.",
            "The signing PIN is not correct. After %(n)d wrong PINs in a row your key is blocked: "
            "ask an administrator to unblock it.",
            row.failures,
        ) % {"n": row.failures}
    elif row.failures in PIN_WAIT_AFTER:
        row.blocked_until = clock.now() + PIN_WAIT_AFTER[row.failures]
        fields.append("blocked_until")
        record(
            "signatures.pin_blocked",
            actor=person,
            target=person,
            data={**data, "until": row.blocked_until.isoformat()},
        )
        local = row.blocked_until.astimezone(clock.DISPLAY_TZ)
        message = ngettext(
            "The signing PIN is not correct. After %(n)d wrong PIN in a row your key is blocked "
            "until %(time)s.",
            "The signing PIN is not correct. After %(n)d wrong PINs in a row your key is blocked "
            "until %(time)s.",
            row.failures,
        ) % {"n": row.failures, "time": f"{local:%H:%M:%S}"}
    else:
        left = min(PIN_WAIT_AFTER) - row.failures
        message = ngettext(
            "The signing PIN is not correct. After %(left)d more wrong PIN your key is blocked for a while.",
            "The signing PIN is not correct. After %(left)d more wrong PINs your key is blocked for a while.",
            left,
        ) % {"left": left}
    row.save(update_fields=fields)
    return WrongPinError(message, person_id=str(person.pk), failures=row.failures)


def _pin_right(row: SigningPin) -> None:
    if row.failures or row.blocked_until:
        row.failures, row.blocked_until = 0, None
        row.save(update_fields=["failures", "blocked_until"])


def person_key_open(*, person: Person, pin: str) -> KeyBackend:
    """An official's personal key, opened with the PIN given for this one decision (never
    kept). Refused while the key is blocked or its provisioned PIN is not yet changed; a wrong
    PIN is counted and audited (committed even though the caller gets the error)."""
    if not pin:
        raise PinRequiredError(_("Enter your signing PIN."), person_id=str(person.pk))
    serial = _current_certificate_serial(person)
    refusal: Exception | None = None
    with transaction.atomic():
        row = _pin_row_locked(person, serial)
        refusal = _refusal_if_blocked(row, person)
        if refusal is None and row.change_required:
            refusal = PinChangeRequiredError(
                _(
                    "Your signing PIN was set when your key was made: change it (Workspace, "
                    "'Change signing PIN') before you sign."
                ),
                person_id=str(person.pk),
            )
        if refusal is None:
            try:
                key = keyring.person_key(str(person.pk), pin=pin)
            except WrongPinError:
                refusal = _wrong_pin(row, person, during="signing")
            else:
                _pin_right(row)
    if refusal is not None:
        raise refusal
    return key


def signing_pin_change(*, person: Person, old_pin: str, new_pin: str, new_pin_again: str) -> SigningPin:
    """The official changes their signing PIN (the current one, the new one twice): the key
    file is encrypted again under the new PIN. A wrong current PIN counts as any wrong PIN."""
    errors: dict[str, str] = {}
    problem = signing_pin_problem(new_pin)
    if problem:
        errors["new_pin"] = problem
    elif new_pin != new_pin_again:
        errors["new_pin_again"] = _("The two new PINs are not the same.")
    elif new_pin == old_pin:
        errors["new_pin"] = _("Choose a PIN other than the current one.")
    if not old_pin:
        errors["old_pin"] = _("Enter your current signing PIN.")
    if errors:
        raise PinInvalidError(_("The signing PIN was not changed."), errors=errors)
    serial = _current_certificate_serial(person)
    refusal: Exception | None = None
    with transaction.atomic():
        row = _pin_row_locked(person, serial)
        refusal = _refusal_if_blocked(row, person)
        if refusal is None:
            try:
                keyring.pki().person_key_rewrap(str(person.pk), old_pin=old_pin, new_pin=new_pin)
            except KeyBackendError:
                wrong = _wrong_pin(row, person, during="pin_change")
                refusal = PinInvalidError(wrong.message, errors={"old_pin": wrong.message})
            else:
                row.failures, row.blocked_until = 0, None
                row.change_required, row.changed_at = False, clock.now()
                row.save(update_fields=["failures", "blocked_until", "change_required", "changed_at"])
                record("signatures.pin_changed", actor=person, target=person, data={"serial": serial})
    if refusal is not None:
        raise refusal
    return row


@transaction.atomic
def signing_pin_unblock(*, person: Person, actor: Person | str | None) -> SigningPin:
    """An administrator unblocks an official's key after wrong PINs (once they know it was
    the official who forgot the PIN, not someone guessing it)."""
    serial = _current_certificate_serial(person)
    row = _pin_row_locked(person, serial)
    before = {"failures": row.failures, "blocked": row.blocked}
    row.failures, row.blocked, row.blocked_until = 0, False, None
    row.save(update_fields=["failures", "blocked", "blocked_until"])
    record("signatures.pin_unblocked", actor=actor, target=person, data={"serial": serial, **before})
    return row
