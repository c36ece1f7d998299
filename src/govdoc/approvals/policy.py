"""Approval policies: which steps a line must have, and who may hold each.

A policy belongs to what is being approved (a citizen service's output document, or a document
type that officials draft); this module knows neither. ``policy_refusals`` is pure: it takes the
policy, the proposed steps and what each assignee holds today, and returns every reason the line
is refused (an empty list: the line may go). ``policy_errors`` checks a policy's own shape, for
the catalogues that store one.

Rules (the agency's legal department signs off on these):

- every required step of the policy is on the line, in the policy's order, with its kind;
- a required step is held by someone the policy allows: a role in the handling unit, a role
  anywhere in the agency, or a role that a *current* delegation rule (전결 규정) for the
  document type names;
- the drafter may add review and consent steps (held by any official of the agency: the
  approvals domain checks that), never a second approval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from govdoc.accounts.constants import OFFICIAL_ROLES, role_in_sentence

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

HolderScope = Literal["unit", "agency", "delegation"]
HOLDER_SCOPES: frozenset[str] = frozenset({"unit", "agency", "delegation"})
PolicyStepKind = Literal["review", "consent", "approval"]
POLICY_STEP_KINDS: tuple[str, ...] = ("review", "consent", "approval")
# What the drafter may add beyond the policy's required steps.
ADDABLE_KINDS: frozenset[str] = frozenset({"review", "consent"})


class PolicyHolder(TypedDict):
    """Who may hold a step: ``role`` in the handling unit (``unit``), anywhere in the agency
    (``agency``), or anywhere in the agency while a current delegation rule for the document
    type names that role (``delegation``)."""

    role: str
    scope: HolderScope


class PolicyStep(TypedDict):
    kind: PolicyStepKind
    holders: list[PolicyHolder]  # any one of them may hold the step


class ApprovalPolicy(TypedDict):
    """The required steps, in the order they must come on the line."""

    steps: list[PolicyStep]


@dataclass(frozen=True)
class ProposedStep:
    kind: str
    assignee_id: str
    position: int


@dataclass(frozen=True)
class AssigneeRoles:
    """What one assignee holds today, for the line's agency and handling unit."""

    name: str
    unit_roles: frozenset[str] = field(default_factory=frozenset)
    agency_roles: frozenset[str] = field(default_factory=frozenset)


# ------------------------------------------------------------------------------ wording
# Read by officials on the application's page and in the API's problem details: in the reader's
# language (gettext when the text is made, during the request).

_SCOPE_WORDS: dict[str, str] = {
    "unit": gettext_noop("%(role)s of the handling unit"),
    "agency": gettext_noop("%(role)s of the agency"),
    "delegation": gettext_noop("%(role)s where the delegation table allows it for this document type"),
}
_KIND_NAMES: dict[str, StrPromise] = {
    "review": pgettext_lazy("step kind in a sentence", "review"),
    "consent": pgettext_lazy("step kind in a sentence", "consent"),
    "approval": pgettext_lazy("step kind in a sentence", "final approval"),
}


def _role_name(role: str) -> str:
    return role_in_sentence(role)


def _kind_name(kind: str) -> str:
    return str(_KIND_NAMES.get(kind, kind))


def holders_text(holders: Sequence[PolicyHolder]) -> str:
    """'head of agency of the agency, or head of unit where the delegation table allows it ...'"""
    words = [_(_SCOPE_WORDS[h["scope"]]) % {"role": _role_name(h["role"])} for h in holders]
    return _(", or ").join(words) or _("no one")


def refusal_message(subject: str, reasons: Sequence[str]) -> str:
    """One sentence for a line refused by ``subject``'s policy (a service's code), every reason."""
    return _("the approval line breaks the approval policy of %(service)s: %(reasons)s") % {
        "service": subject,
        "reasons": "; ".join(reasons),
    }


def _roles_text(roles: AssigneeRoles) -> str:
    held = sorted(roles.agency_roles)
    return ", ".join(_role_name(r) for r in held) or _("no role in the agency")


# ------------------------------------------------------------------------------ checks


def may_hold(
    holders: Sequence[PolicyHolder], roles: AssigneeRoles, *, delegated_roles: frozenset[str]
) -> bool:
    """May someone holding ``roles`` hold a step that ``holders`` describe?"""
    for holder in holders:
        role, scope = holder["role"], holder["scope"]
        if scope == "unit" and role in roles.unit_roles:
            return True
        if scope == "agency" and role in roles.agency_roles:
            return True
        if scope == "delegation" and role in roles.agency_roles and role in delegated_roles:
            return True
    return False


def policy_refusals(
    policy: ApprovalPolicy,
    steps: Sequence[ProposedStep],
    assignees: Mapping[str, AssigneeRoles],
    *,
    delegated_roles: frozenset[str] = frozenset(),
) -> list[str]:
    """Every reason the proposed line breaks ``policy``; empty when it keeps it.

    ``assignees`` maps each assignee id to what they hold today; ``delegated_roles`` are the
    roles that a current delegation rule of the agency names for the document type.
    """
    ordered = sorted(steps, key=lambda s: s.position)
    required = policy["steps"]
    matched: dict[int, int] = {}  # index in ``required`` -> index in ``ordered``
    used: set[int] = set()
    # Greedy in-order matching: the earliest fitting step for each required step. For a
    # subsequence match with a per-pair test, taking the earliest fit never loses a solution.
    cursor = 0
    for r_index, wanted in enumerate(required):
        for o_index in range(cursor, len(ordered)):
            step = ordered[o_index]
            roles = assignees.get(step.assignee_id)
            if (
                step.kind == wanted["kind"]
                and roles is not None
                and may_hold(wanted["holders"], roles, delegated_roles=delegated_roles)
            ):
                matched[r_index], cursor = o_index, o_index + 1
                used.add(o_index)
                break
    reasons: list[str] = []
    blamed: set[int] = set()
    for r_index, wanted in enumerate(required):
        if r_index in matched:
            continue
        kind_name = _kind_name(wanted["kind"])
        allowed = holders_text(wanted["holders"])
        wrong = [
            i for i, s in enumerate(ordered) if s.kind == wanted["kind"] and i not in used and i not in blamed
        ]
        if wrong:
            blamed.add(wrong[0])
            step = ordered[wrong[0]]
            roles = assignees.get(step.assignee_id) or AssigneeRoles(name=step.assignee_id)
            if may_hold(wanted["holders"], roles, delegated_roles=delegated_roles):
                order = _(", then ").join(_kind_name(w["kind"]) for w in required)
                reasons.append(
                    _("the %(kind)s step at position %(position)s is out of the policy's order (%(order)s)")
                    % {"kind": kind_name, "position": step.position, "order": order}
                )
                continue
            reasons.append(
                _(
                    "the %(kind)s step at position %(position)s is held by %(name)s (%(roles)s), "
                    "who may not hold it: it must be held by %(allowed)s"
                )
                % {
                    "kind": kind_name,
                    "position": step.position,
                    "name": roles.name,
                    "roles": _roles_text(roles),
                    "allowed": allowed,
                }
            )
        else:
            reasons.append(
                _("the line lacks the required %(kind)s step (held by %(allowed)s)")
                % {"kind": kind_name, "allowed": allowed}
            )
    reasons += _delegated_decision_refusals(required, ordered, matched, assignees, delegated_roles)
    for o_index, step in enumerate(ordered):
        if o_index in used or o_index in blamed:
            continue
        if step.kind not in ADDABLE_KINDS:
            reasons.append(
                _(
                    "the %(kind)s step at position %(position)s is not one the policy allows; "
                    "the drafter may add only review and consent steps"
                )
                % {"kind": _kind_name(step.kind), "position": step.position}
            )
    return reasons


def _delegated_decision_refusals(
    required: Sequence[PolicyStep],
    ordered: Sequence[ProposedStep],
    matched: Mapping[int, int],
    assignees: Mapping[str, AssigneeRoles],
    delegated_roles: frozenset[str],
) -> list[str]:
    """A review held by someone whose role the delegation table names for the document type is
    a delegated decision (전결): it ends the line, and the steps after it are skipped. So it must
    be held by someone the policy lets give the final decision, and every other required step
    must come before it; otherwise a drafter could add a reviewer who ends the line early."""
    approval_holders = next((w["holders"] for w in required if w["kind"] == "approval"), None)
    for step in ordered:
        roles = assignees.get(step.assignee_id)
        if step.kind != "review" or roles is None or not roles.agency_roles & delegated_roles:
            continue
        if approval_holders is not None and not may_hold(
            approval_holders, roles, delegated_roles=delegated_roles
        ):
            return [
                _(
                    "the review step at position %(position)s is held by %(name)s (%(roles)s), whom the "
                    "delegation table lets decide this document type finally, but the policy does not: "
                    "the final decision must be held by %(allowed)s"
                )
                % {
                    "position": step.position,
                    "name": roles.name,
                    "roles": _roles_text(roles),
                    "allowed": holders_text(approval_holders),
                }
            ]
        skipped = [
            _kind_name(required[r]["kind"])
            for r, o in sorted(matched.items())
            if ordered[o].position > step.position and required[r]["kind"] != "approval"
        ]
        if skipped:
            return [
                _(
                    "the review step at position %(position)s is a delegated decision of %(name)s that "
                    "ends the line before the required steps (%(steps)s): put them first"
                )
                % {"position": step.position, "name": roles.name, "steps": ", ".join(skipped)}
            ]
        return []  # the line ends here
    return []


def policy_errors(policy: object, *, where: str = "approval_policy") -> dict[str, str]:
    """Problems with a stored policy's shape, by field path (empty: the policy is sound)."""
    if not isinstance(policy, dict):
        return {where: _("must be an object with a list of steps")}
    if set(policy) - {"steps"}:
        unknown = ", ".join(sorted(map(str, set(policy) - {"steps"})))
        return {where: _("unknown keys: %(keys)s") % {"keys": unknown}}
    steps = policy.get("steps")
    if not isinstance(steps, list) or not steps:
        return {f"{where}.steps": _("name at least the final approval step")}
    errors: dict[str, str] = {}
    kinds: list[object] = []
    for i, step in enumerate(steps):
        at = f"{where}.steps.{i}"
        if not isinstance(step, dict) or set(step) - {"kind", "holders"}:
            errors[at] = _("must be an object with a kind and its holders")
            continue
        kinds.append(step.get("kind"))
        if step.get("kind") not in POLICY_STEP_KINDS:
            errors[f"{at}.kind"] = _("must be one of %(values)s") % {"values": "review, consent, approval"}
        holders = step.get("holders")
        if not isinstance(holders, list) or not holders:
            errors[f"{at}.holders"] = _("name at least one holder")
            continue
        for j, holder in enumerate(holders):
            h_at = f"{at}.holders.{j}"
            if not isinstance(holder, dict) or set(holder) != {"role", "scope"}:
                errors[h_at] = _("must be an object with %(keys)s") % {"keys": "role, scope"}
                continue
            if holder["role"] not in OFFICIAL_ROLES:
                errors[f"{h_at}.role"] = _("must be an official's role")
            if holder["scope"] not in HOLDER_SCOPES:
                errors[f"{h_at}.scope"] = _("must be one of %(values)s") % {
                    "values": "unit, agency, delegation"
                }
    if kinds.count("approval") != 1 or (kinds and kinds[-1] != "approval"):
        errors.setdefault(f"{where}.steps", _("exactly one final approval step, and it comes last"))
    return errors
