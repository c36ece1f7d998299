from __future__ import annotations

import pytest
from django.test import Client

from govdoc.accounts.models import Person
from govdoc.documents import services
from govdoc.documents.models import Document

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["document", "documentversion", "storedfile", "registryentry", "registrycounter"]
)
def test_admin_lists_render_and_offer_no_add(
    admin_client: Client, document: Document, clerk: Person, model: str
) -> None:
    services.document_register(document=document, actor=clerk)
    page = admin_client.get(f"/admin/documents/{model}/")
    assert page.status_code == 200
    assert f"/admin/documents/{model}/add/" not in page.content.decode()


def test_a_document_opens_read_only_in_the_admin(admin_client: Client, document: Document) -> None:
    page = admin_client.get(f"/admin/documents/document/{document.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert document.title in html
    assert 'name="title"' not in html  # shown, not editable
    before = Document.objects.get(pk=document.pk).title
    admin_client.post(f"/admin/documents/document/{document.pk}/change/", {"title": "Changed"})
    assert Document.objects.get(pk=document.pk).title == before
