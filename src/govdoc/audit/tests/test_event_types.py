"""The audit log's event types are one enumerated list: the code uses no other, and the list
readers get in docs/ is the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction

from govdoc.audit import services
from govdoc.audit.errors import UnknownEventTypeError
from govdoc.audit.event_types import KNOWN, markdown
from govdoc.audit.models import AuditEvent

ROOT = Path(__file__).resolve().parents[4]
RECORDED = re.compile(r"\brecord\(\s*\"([a-z_]+\.[a-z_]+)\"")


def test_every_recorded_event_in_the_code_is_a_listed_type() -> None:
    used: dict[str, str] = {}
    for path in (ROOT / "src" / "govdoc").rglob("*.py"):
        if "tests" in path.parts:
            continue
        for name in RECORDED.findall(path.read_text(encoding="utf-8")):
            used.setdefault(name, str(path.relative_to(ROOT)))
    assert len(used) > 60  # the scan found the code's events
    unknown = {name: where for name, where in used.items() if name not in KNOWN}
    assert unknown == {}


def test_the_published_list_is_the_code_list() -> None:
    published = (ROOT / "docs" / "audit-events.md").read_text(encoding="utf-8")
    assert published == markdown(), "regenerate: python -m govdoc.audit.event_types > docs/audit-events.md"


@pytest.mark.django_db
def test_an_unlisted_event_type_is_refused_and_nothing_is_written() -> None:
    with pytest.raises(UnknownEventTypeError), transaction.atomic():
        services.record("documents.something_new", actor="clerk")
    assert not AuditEvent.objects.exists()
