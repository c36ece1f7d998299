"""Many issuances at once (PostgreSQL): no document gets another's content, and the registry
numbers stay unique and gap-free although nothing holds the registry lock while rendering."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection, connections

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Person
from govdoc.accounts.tests.factories import PersonFactory
from govdoc.documents.models import RegistryEntry
from govdoc.documents.storage import file_read
from govdoc.issuance.constants import IssuedStatus
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.tests.conftest import Issue, tool
from govdoc.signatures import keyring

# The lead scales this to 200 with GOVDOC_ISSUANCE_CONCURRENT=200; each thread holds its own
# database connection, so PostgreSQL then needs max_connections above 200 (default 100).
CONCURRENT = int(os.environ.get("GOVDOC_ISSUANCE_CONCURRENT", "20"))

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_documents_issued_at_once_each_name_only_their_recipient(
    issue: Issue, handler: Person, tmp_path: Path
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises all writers, so there is no race to test")
    pdftotext = tool("pdftotext")
    recipients = [
        PersonFactory(
            username=f"holder{i}",
            first_name=f"Ime{i:03d}",
            last_name=f"Prezime{i:03d}",
            preferred_script=Script.LATIN,
        )
        for i in range(10, 10 + CONCURRENT)
    ]
    keyring.ensure()  # the PKI is made once, before the race, as at a server's start

    def one(recipient: Person) -> str:
        try:
            return str(issue(recipient=recipient, context={"notes": []}).pk)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        ids = list(pool.map(one, recipients))

    issued = {
        str(d.recipient_id): d
        for d in IssuedDocument.objects.filter(pk__in=ids).select_related("version__file")
    }
    assert len(issued) == CONCURRENT
    names = [f"Ime{i:03d} Prezime{i:03d}" for i in range(10, 10 + CONCURRENT)]
    for recipient, name in zip(recipients, names, strict=True):
        document = issued[str(recipient.pk)]
        assert document.status == IssuedStatus.VALID
        assert document.version is not None
        path = tmp_path / f"{recipient.username}.pdf"
        path.write_bytes(file_read(document.version.file))
        text = subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert name in text
        assert [other for other in names if other != name and other in text] == []
        assert document.registry_number in text

    numbers = sorted(RegistryEntry.objects.values_list("number", flat=True))
    assert numbers == list(range(1, CONCURRENT + 1))
    assert len({d.registry_number for d in issued.values()}) == CONCURRENT
    assert len({d.verification_code for d in issued.values()}) == CONCURRENT
