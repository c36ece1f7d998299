"""Writes of the issuance domain about verifiers: the record of each verification of an issued
document, which its holder sees (who checked it, how and when)."""

from __future__ import annotations

from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from govdoc.core import clock
from govdoc.issuance.constants import Channel, ShownStatus
from govdoc.issuance.errors import InvalidIssueInputError
from govdoc.issuance.models import IssuedDocument, VerificationEvent


def client_address_hash(address: str) -> str:
    """A keyed hash of a network address: the holder can tell two checks from one place apart,
    nobody can turn it back into the address (a plain SHA-256 of an IPv4 address is undone by
    trying all 2^32)."""
    return (
        salted_hmac("govdoc.issuance.client-address", address, algorithm="sha256").hexdigest()
        if address
        else ""
    )


@transaction.atomic
def verification_record(
    *,
    issued: IssuedDocument,
    channel: str,
    status: ShownStatus,
    verifier_label: str = "",
    client_address: str = "",
    verdict: str = "",
    identical: bool | None = None,
) -> VerificationEvent:
    """Record one verification so the holder sees who checked their document and when.

    Not in the audit chain: verifications come from the public, unauthenticated, in numbers
    the chain's single head row should not serialise; this table is their record.
    """
    if channel not in Channel.values:
        raise InvalidIssueInputError(
            _("%(field)s must be one of %(values)s")
            % {"field": "channel", "values": ", ".join(Channel.values)},
            field="channel",
        )
    return VerificationEvent.objects.create(
        issued=issued,
        at=clock.now(),
        channel=channel,
        status=status,
        verdict=verdict,
        identical=identical,
        verifier_label=verifier_label.strip()[:200],
        client_hash=client_address_hash(client_address),
    )
