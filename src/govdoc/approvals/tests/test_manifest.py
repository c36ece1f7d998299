"""The sealed export of a line, checked offline by ``manifest_verify``."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from govdoc.approvals import services
from govdoc.approvals.manifest import manifest_verify, seal_payload
from govdoc.approvals.tests.conftest import Office, decide
from govdoc.audit.models import AuditEvent
from govdoc.signatures import keyring
from govdoc.signatures.engine.model import Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def export(office: Office) -> bytes:
    line = office.submitted()
    decide(line, office.reviewer, comment="U redu.")
    decide(line, office.consent_a, comment="Saglasna.")
    decide(line, office.consent_b)
    decide(line, office.approver, comment="Odobreno.")
    return services.line_manifest_export(line=line, actor=office.drafter)


def tags(problems: list[str]) -> set[str]:
    return {problem.split(":", 1)[0] for problem in problems}


def edit(data: bytes, change: Any) -> bytes:
    document = json.loads(data)
    change(document)
    return json.dumps(document, ensure_ascii=False).encode()


def test_exported_manifest_of_an_approved_line_verifies(office: Office, export: bytes) -> None:
    report = manifest_verify(export, trust=keyring.trust())

    assert report.problems == []
    assert report.ok and report.state is Verdict.AUTHENTIC
    assert [(d.position, d.kind, d.decided_by) for d in report.decisions] == [
        (1, "review", "Marko Marković"),
        (2, "consent", "Ivana Ivanović"),
        (2, "consent", "Dragan Dragić"),
        (3, "approval", "Milica Milić"),
    ]
    assert all(d.state is Verdict.AUTHENTIC and d.timestamp_time for d in report.decisions)
    assert report.decisions[0].comment == "U redu."
    document = json.loads(export)
    assert document["line"]["status"] == "approved"
    assert document["line"]["version_sha256"] == office.document.current_version.file_id  # type: ignore[union-attr]
    assert len(document["certificates"]) == 4
    assert AuditEvent.objects.filter(event="approvals.manifest_exported").count() == 1


def test_one_changed_byte_in_a_comment_is_named(export: bytes) -> None:
    def change_comment(document: dict[str, Any]) -> None:
        entry = document["decisions"][0]
        raw = base64.b64decode(entry["manifest"])
        assert b"U redu." in raw
        entry["manifest"] = base64.b64encode(raw.replace(b"U redu.", b"U redu!")).decode()

    report = manifest_verify(edit(export, change_comment), trust=keyring.trust())

    assert not report.ok
    assert report.state is Verdict.ALTERED
    assert {"seal", "signature"} <= tags(report.problems)
    assert any(p.startswith("signature: decision 1 ") for p in report.problems)


def test_a_dropped_decision_is_named(export: bytes) -> None:
    report = manifest_verify(edit(export, lambda d: d["decisions"].pop(1)), trust=keyring.trust())

    assert not report.ok
    assert {"seal", "chain", "missing"} <= tags(report.problems)
    assert any("Ivana Ivanović" in p and p.startswith("missing:") for p in report.problems)


def test_two_swapped_decisions_are_named(export: bytes) -> None:
    def swap(document: dict[str, Any]) -> None:
        decisions = document["decisions"]
        decisions[0], decisions[1] = decisions[1], decisions[0]

    report = manifest_verify(edit(export, swap), trust=keyring.trust())

    assert not report.ok
    assert {"seal", "chain", "order"} <= tags(report.problems)


def test_the_inner_checks_catch_a_drop_even_without_the_seal(export: bytes) -> None:
    """Were the seal forged, the decisions still have to link up and cover every step."""

    def drop_last(document: dict[str, Any]) -> None:
        document["decisions"].pop()

    report = manifest_verify(edit(export, drop_last), trust=keyring.trust())
    assert {"missing", "outcome"} <= tags(report.problems)


def test_not_a_manifest_cannot_be_verified() -> None:
    for data in (b"", b"\xff\xfe", b"[]", b'{"format": "something else"}'):
        report = manifest_verify(data, trust=keyring.trust())
        assert report.state is Verdict.CANNOT_BE_VERIFIED and not report.ok
        assert tags(report.problems) == {"format"}


def test_a_truncated_manifest_cannot_be_verified(export: bytes) -> None:
    report = manifest_verify(edit(export, lambda d: d["line"].pop("steps")), trust=keyring.trust())
    assert report.state is Verdict.CANNOT_BE_VERIFIED
    assert tags(report.problems) == {"format"}


def test_the_seal_covers_every_member_but_itself(export: bytes) -> None:
    document = json.loads(export)
    assert seal_payload(document) == seal_payload({**document, "seal": "anything"})
    report = manifest_verify(
        edit(export, lambda d: d.update(exported_at="2000-01-01T00:00:00+00:00")), trust=keyring.trust()
    )
    assert tags(report.problems) == {"seal"}


def test_a_rejected_line_exports_with_its_skipped_steps_and_verifies(office: Office) -> None:
    line = office.submitted()
    decide(line, office.reviewer, "reject", comment="Nije nadležno.")

    data = services.line_manifest_export(line=line)
    report = manifest_verify(data, trust=keyring.trust())

    assert report.ok, report.problems
    assert [(d.decision, d.comment) for d in report.decisions] == [("reject", "Nije nadležno.")]
    skipped = {s["skip_reason"] for s in json.loads(data)["line"]["steps"] if s["status"] == "skipped"}
    assert skipped == {"line rejected"}


def test_a_line_still_in_progress_is_reported_incomplete(office: Office) -> None:
    line = office.submitted()
    decide(line, office.reviewer)

    report = manifest_verify(services.line_manifest_export(line=line), trust=keyring.trust())

    assert not report.ok
    assert tags(report.problems) == {"incomplete"}
    assert (
        report.state is Verdict.ALTERED or report.state is Verdict.AUTHENTIC
    )  # signatures themselves are fine
    assert [d.state for d in report.decisions] == [Verdict.AUTHENTIC]


def test_a_decision_signed_by_someone_else_than_it_names_is_named(office: Office, export: bytes) -> None:
    """A decision re-signed with another official's key no longer matches its named decider."""

    def resign(document: dict[str, Any]) -> None:
        from govdoc.approvals.tests.conftest import PIN
        from govdoc.signatures.services import detached_seal

        entry = document["decisions"][0]
        raw = base64.b64decode(entry["manifest"])
        impostor = keyring.person_key(str(office.consent_b.pk), pin=PIN)
        entry["signature"] = base64.b64encode(detached_seal(data=raw, key=impostor)).decode()
        entry["certificate"] = 2  # Dragan Dragić's certificate, listed for the third decision

    report = manifest_verify(edit(export, resign), trust=keyring.trust())

    assert any(p.startswith("signer: decision 1 ") and "Dragan Dragić" in p for p in report.problems)
