"""An administrator sets an agency's approval policy for a kind of document: a policy that is
not sound is refused beside the field; a sound one governs the lines of that kind."""

from __future__ import annotations

import json
from typing import Any

import pytest

from govdoc.accounts.constants import Role
from govdoc.approvals.errors import LinePolicyError
from govdoc.approvals.services import StepSpec
from govdoc.audit.models import AuditEvent
from govdoc.distribution import services
from govdoc.distribution.models import KindPolicy
from govdoc.distribution.tests.conftest import Offices, official

pytestmark = pytest.mark.django_db

URL = "/admin/distribution/kindpolicy/add/"


def _post(admin_client: Any, offices: Offices, policy: object) -> Any:
    return admin_client.post(
        URL, {"agency": str(offices.ministry.pk), "kind": "resenje", "approval_policy": json.dumps(policy)}
    )


def test_a_policy_that_is_not_sound_is_refused_and_nothing_is_saved(
    admin_client: Any, offices: Offices
) -> None:
    answer = _post(
        admin_client,
        offices,
        {"steps": [{"kind": "approval", "holders": [{"role": "king", "scope": "unit"}]}]},
    )

    assert answer.status_code == 200  # the form again, with the message beside the field
    assert "errorlist" in answer.content.decode()  # Django's list of errors beside the field
    assert not KindPolicy.objects.exists()


def test_a_sound_policy_governs_the_lines_of_its_kind(admin_client: Any, offices: Offices) -> None:
    head_of_agency = official("ministar", offices.unit, Role.HEAD_OF_AGENCY, sign=True)
    policy = {"steps": [{"kind": "approval", "holders": [{"role": "head_of_agency", "scope": "agency"}]}]}

    assert _post(admin_client, offices, policy).status_code == 302
    assert AuditEvent.objects.filter(event="admin.object_created").exists()

    decision = offices.draft(kind="resenje")
    with pytest.raises(LinePolicyError):  # the head of unit's approval no longer suffices for a decision
        services.outgoing_send_for_approval(outgoing=decision, steps=offices.line(), actor=offices.drafter)
    sent = services.outgoing_send_for_approval(
        outgoing=decision, steps=[StepSpec("approval", head_of_agency.pk, 1)], actor=offices.drafter
    )
    assert sent.status == "in_approval"
    # a letter keeps the default policy
    services.outgoing_send_for_approval(outgoing=offices.draft(), steps=offices.line(), actor=offices.drafter)
