"""The compiled schemas (fastjsonschema) that check every envelope refuse everything the
published schemas refuse, read by the generic validator (jsonschema): a quicker check must not
be a laxer one. Every value below is one change away from a valid manifest or batch."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from govdoc.distribution import envelopes
from govdoc.distribution.tests.test_envelopes import _manifest

ODD = (None, True, 0, -1, 1.5, "", "x" * 5000, "Not A Code!", [], {}, "2026-13-45", "8C0F8F3E")


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*path, index))


def _changed(value: Any, path: tuple[Any, ...], new: Any, *, remove: bool = False) -> Any:
    changed = copy.deepcopy(value)
    if not path:
        return new
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    if remove:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return changed


def _variants(good: dict[str, Any]) -> Iterator[Any]:
    for path in _paths(good):
        for odd in ODD:
            yield _changed(good, path, odd)
        if path:
            yield _changed(good, path, None, remove=True)
    for path in _paths(good):
        inner = good
        for step in path:
            inner = inner[step]
        if isinstance(inner, dict):
            yield _changed(good, path, {**inner, "smuggled": 1})


def _both(name: str, value: Any) -> tuple[bool, bool]:
    generic = not list(Draft202012Validator(envelopes.schema(name)).iter_errors(value))
    fast = not envelopes.schema_errors(name, value)
    return generic, fast


@pytest.mark.parametrize(
    ("name", "good"),
    [
        (envelopes.MANIFEST_SCHEMA, json.loads(_manifest())),
        (
            envelopes.MANIFEST_SCHEMA,
            json.loads(
                _manifest(
                    document={
                        "title": "Odgovor",
                        "kind": "resenje",
                        "classification_code": "02-05",
                        "disclosure": "public",
                        "retention_years": None,
                        "in_reply_to": {
                            "node": "rs-b.example",
                            "consignment_id": "0b0e5a52-7a1d-4d3e-9a43-6c1f2a9d8e77",
                        },
                    }
                )
            ),
        ),
        (
            envelopes.BATCH_SCHEMA,
            json.loads(
                envelopes.batch_build(
                    batch_id=uuid.UUID("6f1c2b7e-58a4-4a1b-9a55-3d1c2b7e9f10"),
                    created_at="2026-11-29T10:00:00+00:00",
                    sender={"node": "rs-a.example", "agency": "mup"},
                    recipient={"node": "rs-b.example", "agency": "beograd"},
                    manifests=[_manifest(), _manifest(consignment_id=uuid.uuid4())],
                )
            ),
        ),
    ],
)
def test_the_compiled_schema_refuses_whatever_the_published_one_refuses(
    name: str, good: dict[str, Any]
) -> None:
    assert _both(name, good) == (True, True)
    tried = refused = 0
    for value in _variants(good):
        generic, fast = _both(name, value)
        tried += 1
        refused += not generic
        assert fast <= generic, f"the compiled schema let through what the published one refuses: {value!r}"
    assert tried > 100 and refused > tried // 2


def test_a_refusal_still_names_every_reason() -> None:
    good = json.loads(_manifest())
    broken = {**good, "format": "govdoc.envelope/2", "files": []}
    reasons = envelopes.schema_errors(envelopes.MANIFEST_SCHEMA, broken)
    assert len(reasons) == 2
    assert any(r.startswith("format:") for r in reasons) and any(r.startswith("files:") for r in reasons)


def test_a_date_time_that_is_not_one_is_refused() -> None:
    # jsonschema checks date-time only with an optional package; the compiled schema always does
    good = json.loads(_manifest())
    reasons = envelopes.schema_errors(envelopes.MANIFEST_SCHEMA, {**good, "created_at": "yesterday"})
    assert reasons == ["created_at: must be date-time"]
