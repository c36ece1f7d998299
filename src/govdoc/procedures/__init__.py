"""Procedures: multi-stage processes drawn in BPMN 2.0 (any modeler) and run by SpiffWorkflow.

Owns process definitions (versions of a BPMN file), running instances with their stored
workflow state, the history of completed steps and the work list of open tasks. A lane of a
process is a role (``constants.role_of_lane``): whoever holds that role in the instance's
agency may complete the lane's tasks.

Knows accounts (who holds which role where) and audit. Must not know documents, approvals or
applications yet: linking a task to drafting or approving a document is a later increment.
Only ``engine.py`` touches SpiffWorkflow, and every workflow it gives out runs conditions in
the safe evaluator of ``expressions.py``, never in ``eval``.
"""
