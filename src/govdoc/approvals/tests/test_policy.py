"""The approval policy check: a pure function over the policy, the steps and who holds what."""

from __future__ import annotations

import pytest
from django.utils import translation

from govdoc.approvals.policy import (
    ApprovalPolicy,
    AssigneeRoles,
    ProposedStep,
    policy_errors,
    policy_refusals,
)

# Review by the head of the handling unit, final approval by the head of agency, or by a head
# of unit where the delegation table allows it for the document type (전결).
POLICY: ApprovalPolicy = {
    "steps": [
        {"kind": "review", "holders": [{"role": "head_of_unit", "scope": "unit"}]},
        {
            "kind": "approval",
            "holders": [
                {"role": "head_of_agency", "scope": "agency"},
                {"role": "head_of_unit", "scope": "delegation"},
            ],
        },
    ]
}
PEOPLE = {
    "hu": AssigneeRoles("Jelena Jovanović", frozenset({"head_of_unit"}), frozenset({"head_of_unit"})),
    "hu2": AssigneeRoles("Other Head", frozenset(), frozenset({"head_of_unit"})),
    "ha": AssigneeRoles("Nikola Nikolić", frozenset(), frozenset({"head_of_agency"})),
    "rc": AssigneeRoles("Milica Milić", frozenset({"registry_clerk"}), frozenset({"registry_clerk"})),
    "h2": AssigneeRoles("Petra Handler", frozenset({"handler"}), frozenset({"handler"})),
}


def _steps(*items: tuple[str, str, int]) -> list[ProposedStep]:
    return [ProposedStep(kind, who, pos) for kind, who, pos in items]


def test_the_policys_own_line_passes() -> None:
    assert policy_refusals(POLICY, _steps(("review", "hu", 1), ("approval", "ha", 2)), PEOPLE) == []


def test_the_drafter_may_add_reviews_and_consents() -> None:
    steps = _steps(("review", "h2", 1), ("review", "hu", 2), ("consent", "rc", 3), ("approval", "ha", 4))
    assert policy_refusals(POLICY, steps, PEOPLE) == []


def test_one_approval_by_a_registry_clerk_is_refused_with_both_reasons() -> None:
    """The attack found: the line shrunk to one approval step held by a registry clerk."""
    reasons = policy_refusals(POLICY, _steps(("approval", "rc", 1)), PEOPLE)

    assert reasons == [
        "the line lacks the required review step (held by head of unit of the handling unit)",
        "the final approval step at position 1 is held by Milica Milić (registry clerk), who may not "
        "hold it: it must be held by head of agency of the agency, or head of unit where the "
        "delegation table allows it for this document type",
    ]


def test_a_unit_scoped_step_needs_the_role_in_the_handling_unit() -> None:
    reasons = policy_refusals(POLICY, _steps(("review", "hu2", 1), ("approval", "ha", 2)), PEOPLE)

    assert len(reasons) == 1
    assert reasons[0].startswith("the review step at position 1 is held by Other Head (head of unit)")


def test_a_head_of_unit_approves_only_while_a_delegation_rule_names_the_role() -> None:
    steps = _steps(("review", "hu", 1), ("approval", "hu2", 2))

    assert policy_refusals(POLICY, steps, PEOPLE, delegated_roles=frozenset({"head_of_unit"})) == []
    assert policy_refusals(POLICY, steps, PEOPLE) != []
    assert policy_refusals(POLICY, steps, PEOPLE, delegated_roles=frozenset({"handler"})) != []


def test_required_steps_must_come_in_the_policys_order() -> None:
    reasons = policy_refusals(POLICY, _steps(("approval", "ha", 1), ("review", "hu", 2)), PEOPLE)

    assert reasons
    assert reasons == [
        "the final approval step at position 1 is out of the policy's order (review, then final approval)"
    ]


def test_an_assignee_with_no_role_in_the_agency_holds_nothing() -> None:
    reasons = policy_refusals(POLICY, _steps(("review", "hu", 1), ("approval", "stranger", 2)), PEOPLE)

    assert len(reasons) == 1
    assert "held by stranger (no role in the agency)" in reasons[0]


def test_a_policy_is_checked_for_its_shape() -> None:
    assert policy_errors(POLICY) == {}
    assert policy_errors([]) == {"approval_policy": "must be an object with a list of steps"}
    assert "approval_policy.steps" in policy_errors({"steps": []})
    no_final = {"steps": [{"kind": "review", "holders": [{"role": "handler", "scope": "unit"}]}]}
    assert "approval_policy.steps" in policy_errors(no_final)
    bad = {"steps": [{"kind": "approval", "holders": [{"role": "citizen", "scope": "everywhere"}]}]}
    assert policy_errors(bad) == {
        "approval_policy.steps.0.holders.0.role": "must be an official's role",
        "approval_policy.steps.0.holders.0.scope": "must be one of unit, agency, delegation",
    }


def test_a_drafter_added_reviewer_with_a_delegated_role_cannot_end_the_line_early() -> None:
    """A review by someone the delegation table names decides finally (전결) and skips the rest:
    an extra reviewer placed first would bypass the required review."""
    delegated = frozenset({"head_of_unit"})
    early = _steps(("review", "hu2", 1), ("review", "hu", 2), ("approval", "ha", 3))

    reasons = policy_refusals(POLICY, early, PEOPLE, delegated_roles=delegated)

    assert reasons == [
        "the review step at position 1 is a delegated decision of Other Head that ends the line "
        "before the required steps (review): put them first"
    ]
    # a delegated role the policy does not allow to decide finally
    handler_delegated = policy_refusals(
        POLICY,
        _steps(("review", "h2", 1), ("review", "hu", 2), ("approval", "ha", 3)),
        PEOPLE,
        delegated_roles=frozenset({"handler"}),
    )
    assert len(handler_delegated) == 1 and "the policy does not" in handler_delegated[0]
    # after the required steps, a delegated reviewer may decide finally
    late = _steps(("review", "hu", 1), ("review", "hu2", 2), ("approval", "ha", 3))
    assert policy_refusals(POLICY, late, PEOPLE, delegated_roles=delegated) == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "the line lacks the required review step (held by head of unit of the handling unit)"),
        ("sr-latn", "liniji nedostaje obavezan korak „pregled” (može ga dobiti: šef jedinice u jedinici"),
        ("sr", "линији недостаје обавезан корак „преглед” (може га добити: шеф јединице у јединици"),
    ],
)
def test_the_refusals_are_in_the_readers_language(language: str, said: str) -> None:
    """Officials read the reasons on the application's page and in the API, in their language;
    the names of the people stay as they were typed."""
    with translation.override(language):
        reasons = policy_refusals(POLICY, _steps(("approval", "rc", 1)), PEOPLE)
    assert reasons[0].startswith(said)
    assert "Milica Milić" in reasons[1]
