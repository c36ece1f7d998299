"""The registry page (delovodnik) of an agency: its keepers and heads search it and take it away
as a spreadsheet (recorded); a registry clerk cancels an entry made in error; others get 404."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from govdoc.audit.models import AuditEvent
from govdoc.documents import services
from govdoc.documents.models import RegistryEntry
from govdoc.documents.tests.samples import create_document
from tests.support import log_in, person

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def entries(demo: None) -> list[RegistryEntry]:
    clerk = person("registry")
    unit = clerk.memberships.get().unit
    made = []
    for title, direction, correspondent in [
        ("Zahtev za dostavu podataka", "incoming", "Gradska uprava grada Beograda, BEOGRAD-2026-000003"),
        ("Odgovor na zahtev", "outgoing", "Gradska uprava grada Beograda"),
        ("Plan rada odeljenja", "internal", ""),
    ]:
        made.append(
            services.document_register(
                document=create_document(unit=unit, actor=clerk, title=title),
                actor=clerk,
                direction=direction,
                correspondent=correspondent,
            )
        )
    return made


def test_the_registry_clerk_searches_the_registry_and_exports_it(entries: list[RegistryEntry]) -> None:
    client = log_in(Client(), person("registry"))

    page = client.get("/work/registry/", {"q": "zahtev", "lang": "en"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Zahtev za dostavu podataka" in body and "Odgovor na zahtev" in body
    assert "Plan rada odeljenja" not in body
    incoming = client.get("/work/registry/", {"direction": "incoming"}).content.decode()
    assert "Zahtev za dostavu podataka" in incoming and "Odgovor na zahtev" not in incoming

    export = client.get("/work/registry.csv", {"direction": "outgoing"})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    assert "attachment" in export["Content-Disposition"]
    text = export.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2
    assert rows[1][0] == entries[1].registry_number
    assert rows[1][3] == "Odgovor na zahtev"
    event = AuditEvent.objects.get(event="documents.registry_exported")
    assert event.data == {"entries": 1, "filters": {"direction": "outgoing"}}


def test_a_registry_clerk_cancels_an_entry_with_the_reason_and_it_stays_listed(
    entries: list[RegistryEntry],
) -> None:
    client = log_in(Client(), person("registry"))
    wrong = entries[2]

    refused = client.post(f"/work/registry/{wrong.pk}/cancel/", {"reason": "  "}, follow=True)
    assert RegistryEntry.objects.get(pk=wrong.pk).cancelled_at is None
    assert "reason" in refused.content.decode().lower() or "razlog" in refused.content.decode().lower()

    client.post(f"/work/registry/{wrong.pk}/cancel/", {"reason": "Zavedeno greškom."})
    listed = client.get("/work/registry/").content.decode()
    assert "Zavedeno greškom." in listed
    assert f"<s>{wrong.registry_number}</s>" in listed


@pytest.mark.parametrize("who", ["handler", "citizen", "handler-bg"])
def test_people_who_keep_no_registry_do_not_see_one(entries: list[RegistryEntry], who: str) -> None:
    client = log_in(Client(), person(who))

    assert client.get("/work/registry/").status_code in (302, 404)
    assert client.get("/work/registry.csv").status_code in (302, 404)
    assert client.post(f"/work/registry/{entries[0].pk}/cancel/", {"reason": "x"}).status_code in (302, 404)
    assert RegistryEntry.objects.get(pk=entries[0].pk).cancelled_at is None
