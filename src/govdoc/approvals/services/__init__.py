"""Writes of the approvals domain: lines, signed decisions, delegation rules, absences.

Every write runs in one transaction with its audit event; every service that changes a line
or its steps locks the line row first (then a step), so decisions on one line are serialized
and the hash chain of decisions never forks.

Signing a decision: the PIN opens the official's key *before* any lock is taken (a wrong PIN
changes nothing and blocks nobody); the decision is then validated under the line and step
locks, and signed while they are held, so exactly one decision can take a pending step and
the losers of a race fail before they sign. See docs/adr/0004-signed-approval-decisions.md.
"""

from govdoc.approvals.services._base import (
    ABSENCE_MANAGER_ROLES,
    DOC_TYPE_MAX,
    RULE_MANAGER_ROLES,
    Actor,
    StepSpec,
    content_changed,
)
from govdoc.approvals.services.decisions import post_report_acknowledge, step_decide
from govdoc.approvals.services.delegation import (
    absence_create,
    absence_end,
    delegation_rule_create,
    delegation_rule_end,
)
from govdoc.approvals.services.export import line_manifest_export
from govdoc.approvals.services.lines import (
    line_cancel,
    line_create,
    line_steps_replace,
    line_submit,
    line_withdraw,
)

__all__ = [
    "ABSENCE_MANAGER_ROLES",
    "DOC_TYPE_MAX",
    "RULE_MANAGER_ROLES",
    "Actor",
    "StepSpec",
    "absence_create",
    "absence_end",
    "content_changed",
    "delegation_rule_create",
    "delegation_rule_end",
    "line_cancel",
    "line_create",
    "line_manifest_export",
    "line_steps_replace",
    "line_submit",
    "line_withdraw",
    "post_report_acknowledge",
    "step_decide",
]
