"""The page of an application that a BPMN procedure handles (the demo's certificate that no
criminal proceedings are pending): what the procedure waits for, the handler's "the application
is complete", and a step taken too early refused on the page with nothing changed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.support import log_in

from govdoc.accounts.models import Person
from govdoc.applications.models import Application
from govdoc.procedures.models import ProcessInstance
from govdoc.signatures.tests.conftest import make_sample_pdf

SERVICE = "uverenje-da-se-ne-vodi-krivicni-postupak"
FORM = {
    "ime_prezime": "Ana Petrović",
    "jmbg": "0101990710006",
    "ime_oca": "Petar",
    "adresa": "Bulevar kralja Aleksandra 73",
    "svrha": "radi zaposlenja",
}


def _client(username: str) -> Client:
    return log_in(Client(), Person.objects.get(username=username))


@pytest.fixture
def applied(demo: None) -> Application:
    pdf = make_sample_pdf("LK")
    response = _client("citizen").post(
        f"/services/{SERVICE}/apply/",
        {
            **FORM,
            "file_licna_karta": SimpleUploadedFile("lk.pdf", pdf, "application/pdf"),
            "file_dokaz_o_uplati": SimpleUploadedFile("uplata.pdf", pdf, "application/pdf"),
        },
    )
    assert response.status_code == 302
    return Application.objects.get()


def _waiting(application: Application) -> set[str]:
    instance = ProcessInstance.objects.get(application=application)
    return set(instance.open_tasks.values_list("spec_name", flat=True))


def test_the_page_shows_what_the_procedure_waits_for_and_refuses_a_step_taken_too_early(
    applied: Application,
) -> None:
    head, handler = _client("head-unit-pr"), _client("handler-pr")
    url = f"/work/applications/{applied.pk}/"
    page = head.get(url, {"lang": "en"}).content.decode()
    assert 'id="handling"' in page and "Handling of a citizen" in page
    assert 'data-task="assign"' in page

    handler_id = Person.objects.get(username="handler-pr").pk
    assert head.post(url, {"action": "assign", "handler": handler_id}).status_code == 302
    assert _waiting(applied) == {"review"}

    # Sending the decision before the review: refused, on the page, nothing changed.
    refused = handler.post(url, {"action": "send"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409
    assert "Pregledati zahtev (obrađivač)" in refused.content.decode()  # what it waits for, in her language
    applied.refresh_from_db()
    assert (applied.status, applied.approval_line_id) == ("assigned", None)

    page = handler.get(url).content.decode()
    assert 'value="review"' in page
    assert handler.post(url, {"action": "review"}).status_code == 302
    assert _waiting(applied) == {"send_decision"}
    assert 'value="review"' not in handler.get(url).content.decode()
    assert handler.post(url, {"action": "send"}).status_code == 302
    applied.refresh_from_db()
    assert applied.status == "in_approval"
    assert _waiting(applied) == {"approve_decision"}


def test_a_step_of_the_application_in_the_work_list_leads_to_the_application(applied: Application) -> None:
    instance = ProcessInstance.objects.get(application=applied)
    task = instance.open_tasks.get(spec_name="assign")
    response = _client("head-unit-pr").get(f"/work/procedures/{instance.pk}/tasks/{task.task_id}/")
    assert response.status_code == 302
    assert response["Location"] == f"/work/applications/{applied.pk}/"
