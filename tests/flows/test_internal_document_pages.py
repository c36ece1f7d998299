"""An internal document through the officials' pages: the handler drafts a report with no
recipients only by ticking "internal document" (forgetting the recipients of a letter is still
refused beside the field), the head of unit approves it on /work/, the worker numbers, seals and
files it; the outgoing pages say so and the agency's registry lists it as internal, on the page
and in its export."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdoc.accounts.models import Agency, Person, Unit
from govdoc.distribution.models import Delivery, OutgoingDocument
from govdoc.documents.tests.samples import text_pdf
from tests.support import PIN, log_in, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TITLE = "Izvestaj o studiji izvodljivosti projekta eUprava 2027"


def _as(username: str) -> Client:
    return log_in(Client(), Person.objects.get(username=username))


def _form(**overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "unit": str(Unit.objects.get(code="pu-beograd").pk),
        "title": TITLE,
        "kind": "izvestaj",
        "classification_code": "404-02",
        "retention": "10",
        "disclosure": "public",
        "legal_ground": "",
        "file": SimpleUploadedFile("izvestaj.pdf", text_pdf("Projekat je izvodljiv."), "application/pdf"),
    }
    form.update(overrides)
    return form


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err_{field}">([^<]+)</p>', page)
    return found.group(1) if found else ""


def test_an_internal_report_is_drafted_deliberately_approved_filed_and_registered(demo: None) -> None:
    handler, head = _as("handler"), _as("head-unit")
    beograd = Agency.objects.get(code="beograd")

    forgot = handler.post("/work/outgoing/new/?lang=en", _form())
    assert forgot.status_code == 400
    assert _field_error(forgot.content.decode(), "recipients") == "Name at least one recipient."
    both = handler.post(
        "/work/outgoing/new/?lang=en", _form(internal="yes", recipients=[f"agency:{beograd.pk}"])
    )
    assert both.status_code == 400
    assert _field_error(both.content.decode(), "recipients") == "An internal document has no recipients."
    assert not OutgoingDocument.objects.exists()

    drafted = handler.post("/work/outgoing/new/", _form(internal="yes"))
    assert drafted.status_code == 302, drafted.content.decode()[:800]
    outgoing = OutgoingDocument.objects.get()
    assert outgoing.internal
    page = handler.get(f"/work/outgoing/{outgoing.pk}/").content.decode()
    assert 'id="internal-document"' in page and 'id="deliveries"' not in page
    sent = handler.post(
        f"/work/outgoing/{outgoing.pk}/",
        {"action": "send", "approver": str(Person.objects.get(username="head-unit").pk)},
    )
    assert sent.status_code == 302
    step_id = re.search(r'id="step-([0-9a-f-]+)"', head.get("/work/").content.decode())
    assert step_id is not None
    decided = head.post(f"/work/steps/{step_id.group(1)}/decide/", {"decision": "approve", "pin": PIN})
    assert decided.status_code == 302
    run_worker()

    outgoing.refresh_from_db()
    assert outgoing.status == "filed" and outgoing.registry_entry is not None
    number = outgoing.registry_entry.registry_number
    assert not Delivery.objects.filter(outgoing=outgoing).exists()
    page = handler.get(f"/work/outgoing/{outgoing.pk}/", {"lang": "en"}).content.decode()
    assert 'data-status="filed">Filed<' in page and 'id="filed-at"' in page and number in page
    listed = handler.get("/work/outgoing/", {"lang": "en"}).content.decode()
    assert "Internal document" in listed and number in listed

    clerk = _as("registry")
    registry = clerk.get("/work/registry/", {"direction": "internal", "lang": "en"}).content.decode()
    assert number in registry and TITLE in registry
    export = clerk.get("/work/registry.csv", {"direction": "internal"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8").lstrip("\ufeff"))))
    assert any(number in row and "internal" in ",".join(row).lower() for row in rows[1:]), rows
