"""Keeping issued documents verifiable for decades: archive timestamp renewal.

An issued document is sealed as PAdES B-LTA; its newest document timestamp must be renewed
before the timestamp authority's certificate or the hash algorithm ages out
(``signatures.services.archive_timestamp_renew``). The renewed PDF is the registered original
plus one incremental update, stored as a new sealed version of the same document; earlier
versions stay, and a copy a citizen downloaded before still verifies (its bytes are a
registered version).

:func:`issued_archive_renew_due` is what a periodic job calls (per agency, with an official or
system account that may write the agency's documents).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from govdoc.accounts.models import Agency, Person
from govdoc.accounts.selectors import agencies_all, person_by_username, units_of_agency
from govdoc.accounts.services import system_account_create
from govdoc.audit.services import record
from govdoc.core.errors import GovDocError
from govdoc.documents.services import version_add, version_seal
from govdoc.documents.storage import file_read
from govdoc.issuance.constants import IssuedStatus
from govdoc.issuance.errors import ArchiveKeeperError
from govdoc.issuance.models import IssuedDocument
from govdoc.signatures.engine.archive import DEFAULT_MARGIN
from govdoc.signatures.services import archive_renewal_due, archive_timestamp_renew

# Every document that was issued keeps its proof, whatever its registered status now.
_RENEWED = (IssuedStatus.VALID, IssuedStatus.REVOKED, IssuedStatus.SUPERSEDED)


@dataclass
class RenewalRun:
    checked: int = 0
    renewed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def issued_archive_renew(*, issued: IssuedDocument, actor: Person) -> IssuedDocument:
    """Add a new archive timestamp to the stored PDF of ``issued`` as a new sealed version.

    The timestamp is made outside the transaction (it calls the TSA); if another run stored a
    newer version meanwhile, this one keeps that and writes nothing.
    """
    if issued.version_id is None:
        return issued
    previous_version_id = issued.version_id
    pdf = file_read(issued.version.file)  # type: ignore[union-attr]
    renewed = archive_timestamp_renew(pdf)
    with transaction.atomic():
        issued = IssuedDocument.objects.select_for_update().select_related("document").get(pk=issued.pk)
        if issued.version_id != previous_version_id:
            return issued
        previous_sha256 = issued.pdf_sha256
        version = version_add(
            document=issued.document,
            content=renewed,
            filename=f"{issued.registry_number}.pdf",
            media_type="application/pdf",
            note="Archive timestamp renewed (PAdES B-LTA)",
            actor=actor,
        )
        version = version_seal(version=version, actor=actor)
        issued.version, issued.pdf_sha256 = version, version.file_id
        issued.save(update_fields=["version", "pdf_sha256"])
        record(
            "issuance.archive_timestamp_renewed",
            actor=actor,
            target=issued,
            data={
                "registry_number": issued.registry_number,
                "previous_pdf_sha256": previous_sha256,
                "pdf_sha256": issued.pdf_sha256,
                "version_id": str(version.pk),
            },
        )
    return issued


def issued_archive_renew_due(
    *, agency: Agency, actor: Person, margin: dt.timedelta = DEFAULT_MARGIN, limit: int = 500
) -> RenewalRun:
    """Renew the archive timestamp of every stored issued document of ``agency`` that needs it
    now; a failure of one document is reported and does not stop the others."""
    run = RenewalRun()
    candidates = (
        IssuedDocument.objects.filter(agency=agency, status__in=_RENEWED, version__isnull=False)
        .select_related("version__file", "document")
        .order_by("issued_at", "id")
    )
    for issued in candidates.iterator(chunk_size=100):
        if len(run.renewed) >= limit:
            break
        run.checked += 1
        try:
            if not archive_renewal_due(file_read(issued.version.file), margin=margin):  # type: ignore[union-attr]
                continue
            issued_archive_renew(issued=issued, actor=actor)
        except GovDocError as exc:
            run.failed[str(issued.pk)] = exc.message
            continue
        run.renewed.append(str(issued.pk))
    return run


def archive_keeper(agency: Agency) -> Person:
    """The agency's system account that renews archive timestamps (``<code>-archive``), made
    on first use in the agency's top unit (audited like every system account): renewal writes
    new versions of the agency's documents, so someone of the agency must hold the pen, and
    no official should have to."""
    username = f"{agency.code.lower()}-archive"
    keeper = person_by_username(username)
    if keeper is not None:
        return keeper
    unit = units_of_agency(agency=agency).filter(parent__isnull=True).order_by("code").first()
    if unit is None:
        unit = units_of_agency(agency=agency).order_by("code").first()
    if unit is None:
        raise ArchiveKeeperError(f"{agency.code} has no unit to keep its archive", agency_id=str(agency.pk))
    with transaction.atomic():
        return system_account_create(
            unit=unit, username=username, name=f"{agency.name}: čuvanje arhive", actor="issuance"
        )


def archive_renew_all(*, margin: dt.timedelta = DEFAULT_MARGIN, limit: int = 500) -> dict[str, RenewalRun]:
    """The periodic job: renew what is due in every agency, each by its archive keeper."""
    runs: dict[str, RenewalRun] = {}
    for agency in agencies_all():
        if not IssuedDocument.objects.filter(agency=agency).exists():
            continue
        runs[agency.code] = issued_archive_renew_due(
            agency=agency, actor=archive_keeper(agency), margin=margin, limit=limit
        )
    return runs
