"""At most one document per issue key: a second call returns the first, and a call that died
or failed half-way is finished by the next one with the registry number it already took."""

from __future__ import annotations

import pytest

from govdoc.audit.models import AuditEvent
from govdoc.documents.models import RegistryEntry
from govdoc.issuance import services
from govdoc.issuance.constants import IssuedStatus
from govdoc.issuance.errors import IssuanceFailedError
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.tests.conftest import Issue

pytestmark = pytest.mark.django_db

KEY = "application:3f1c2f1e-7d53-4b57-9d3a-0a7b1f0f4e11"


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no handler catches it."""


def test_issuing_twice_with_one_key_gives_one_document_and_one_registry_number(issue: Issue) -> None:
    first = issue(issue_key=KEY)
    again = issue(issue_key=KEY)

    assert again.pk == first.pk
    assert first.status == IssuedStatus.VALID
    assert IssuedDocument.objects.count() == 1
    assert RegistryEntry.objects.count() == 1
    assert AuditEvent.objects.filter(event="issuance.document_issued").count() == 1


def test_without_a_key_every_call_issues_a_new_document(issue: Issue) -> None:
    issue()
    issue()
    assert IssuedDocument.objects.filter(status=IssuedStatus.VALID).count() == 2


def test_an_issuance_killed_after_taking_its_number_is_finished_with_that_number(
    issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed(**_kw: object) -> bytes:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(services, "pdf_seal", killed)
        with pytest.raises(Killed):
            issue(issue_key=KEY)
    [left] = IssuedDocument.objects.all()
    assert left.status == IssuedStatus.PENDING  # what a killed worker leaves behind

    finished = issue(issue_key=KEY)

    assert (finished.pk, finished.registry_number) == (left.pk, left.registry_number)
    assert finished.status == IssuedStatus.VALID
    assert RegistryEntry.objects.count() == 1  # no number skipped, none used twice
    assert AuditEvent.objects.filter(event="issuance.document_issue_resumed", target_id=str(left.pk)).exists()


def test_a_failed_issuance_is_taken_up_again_by_its_retry(
    issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(**_kw: object) -> bytes:
        raise OSError("the HSM is not answering")

    with monkeypatch.context() as patch:
        patch.setattr(services, "pdf_seal", unavailable)
        with pytest.raises(IssuanceFailedError):
            issue(issue_key=KEY)
    [failed] = IssuedDocument.objects.all()
    assert failed.status == IssuedStatus.FAILED

    retried = issue(issue_key=KEY)

    assert (retried.pk, retried.status) == (failed.pk, IssuedStatus.VALID)
    assert retried.reason == ""
    failure = AuditEvent.objects.get(event="issuance.document_issue_failed", target_id=str(failed.pk))
    assert failure.data["error"] == "OSError: the HSM is not answering"  # the history stays readable
    assert IssuedDocument.objects.count() == 1


def test_a_revoked_document_is_not_issued_again_by_a_late_retry(issue: Issue, head: object) -> None:
    from govdoc.issuance.services import issued_revoke

    first = issue(issue_key=KEY)
    issued_revoke(issued=first, reason="Izdat greškom.", actor=head)  # type: ignore[arg-type]

    late = issue(issue_key=KEY)

    assert (late.pk, late.status) == (first.pk, IssuedStatus.REVOKED)
    assert IssuedDocument.objects.count() == 1


def test_an_issuance_nobody_finishes_is_marked_failed_by_the_sweep_and_still_finished_by_its_retry(
    issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from govdoc.core import clock

    def killed(**_kw: object) -> bytes:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(services, "pdf_seal", killed)
        with pytest.raises(Killed):
            issue(issue_key=KEY)
    [left] = IssuedDocument.objects.all()

    assert services.issued_interrupted_sweep() == 0  # just begun: someone may still finish it
    with clock.frozen(clock.now() + dt.timedelta(minutes=31)):
        assert services.issued_interrupted_sweep() == 1
    left.refresh_from_db()
    assert left.status == IssuedStatus.FAILED
    assert left.reason.startswith("IssuanceInterruptedError: issuing")

    assert issue(issue_key=KEY).status == IssuedStatus.VALID
