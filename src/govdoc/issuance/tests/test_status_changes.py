"""Revoking and superseding: only heads and administrators of the issuing agency."""

from __future__ import annotations

import pytest

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person, Unit
from govdoc.accounts.tests.factories import PersonFactory, grant
from govdoc.audit.models import AuditEvent
from govdoc.issuance.constants import IssuedStatus
from govdoc.issuance.errors import InvalidIssueInputError, IssuedStatusError, NotAllowedToChangeIssuedError
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.services import issued_revoke, issued_supersede
from govdoc.issuance.tests.conftest import Issue

pytestmark = pytest.mark.django_db

CHANGE_EVENTS = ("issuance.document_revoked", "issuance.document_superseded")


def _unchanged(issued: IssuedDocument) -> None:
    issued.refresh_from_db()
    assert issued.status == IssuedStatus.VALID
    assert issued.superseded_by_id is None and issued.reason == ""
    assert not AuditEvent.objects.filter(event__in=CHANGE_EVENTS).exists()


@pytest.mark.parametrize("role", [Role.HEAD_OF_UNIT, Role.HEAD_OF_AGENCY, Role.ADMINISTRATOR])
def test_heads_and_administrators_of_the_agency_may_revoke(issue: Issue, unit: Unit, role: Role) -> None:
    official = PersonFactory(username=f"official-{role}")
    grant(official, unit, role)
    issued = issue()
    revoked = issued_revoke(issued=issued, reason="Izdato greškom", actor=official)
    assert revoked.status == IssuedStatus.REVOKED and revoked.reason == "Izdato greškom"
    event = AuditEvent.objects.get(event="issuance.document_revoked")
    assert event.actor_id == str(official.pk) and event.data["reason"] == "Izdato greškom"


def test_others_may_neither_revoke_nor_supersede(
    issue: Issue, handler: Person, other_agency_head: Person, holder: Person, unit: Unit
) -> None:
    registry_clerk = PersonFactory(username="clerk")
    grant(registry_clerk, unit, Role.REGISTRY_CLERK)
    issued, replacement = issue(), issue()
    for outsider in (handler, registry_clerk, other_agency_head, holder):
        with pytest.raises(NotAllowedToChangeIssuedError):
            issued_revoke(issued=issued, reason="x", actor=outsider)
        with pytest.raises(NotAllowedToChangeIssuedError):
            issued_supersede(issued=issued, replacement=replacement, reason="x", actor=outsider)
    _unchanged(issued)


def test_supersede_links_the_replacement(issue: Issue, head: Person) -> None:
    issued, replacement = issue(), issue()
    issued_supersede(issued=issued, replacement=replacement, reason="Ispravka adrese", actor=head)
    issued.refresh_from_db()
    assert issued.status == IssuedStatus.SUPERSEDED and issued.superseded_by_id == replacement.pk
    replacement.refresh_from_db()
    assert replacement.status == IssuedStatus.VALID


def test_illegal_moves_are_refused_and_change_nothing(issue: Issue, head: Person) -> None:
    issued, other = issue(), issue()
    with pytest.raises(InvalidIssueInputError):
        issued_revoke(issued=issued, reason="  ", actor=head)
    with pytest.raises(IssuedStatusError):
        issued_supersede(issued=issued, replacement=issued, reason="sam sebe", actor=head)
    _unchanged(issued)
    issued_revoke(issued=other, reason="Izdato greškom", actor=head)
    with pytest.raises(IssuedStatusError):
        issued_supersede(issued=issued, replacement=other, reason="zamena opozvanim", actor=head)
    with pytest.raises(IssuedStatusError):
        issued_revoke(issued=other, reason="opet", actor=head)
    issued.refresh_from_db()
    assert issued.status == IssuedStatus.VALID
