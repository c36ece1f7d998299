"""Sample files and a document maker shared by the documents and API tests."""

from __future__ import annotations

from typing import Any

from govdoc.accounts.models import Person, Unit
from govdoc.documents import services
from govdoc.documents.models import Document

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PDF_CORRECTED = (
    b"%PDF-1.7\n1 0 obj << /Type /Catalog /Lang (sr) >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


def create_document(*, unit: Unit, actor: Person, **overrides: Any) -> Document:
    fields: dict[str, Any] = {
        "agency": unit.agency,
        "owner_unit": unit,
        "author": actor,
        "title": "Rešenje o izdavanju lične karte",
        "doc_type": "resenje",
        "classification_code": "02-01",
        "disclosure": "public",
        "content": PDF,
        "filename": "resenje.pdf",
        "media_type": "application/pdf",
        "actor": actor,
    }
    fields.update(overrides)
    return services.document_create(**fields)
