"""Procedures: multi-stage processes drawn in BPMN 2.0 (any modeler) and run by SpiffWorkflow.

Owns process definitions (versions of a BPMN file), running instances with their stored
workflow state, their parties, the history of completed steps and the work list of open tasks.
A lane of a process is a role, or a party and a role (``lanes.py``): whoever holds that role
in the instance's agency, or in the agency given for the party, may complete the lane's tasks.
The shipped procedures (``bpmn/``) are installed by ``services.procedures_install``.

Knows accounts (who holds which role where), the trust list of other nodes (a party may be
an agency there) and audit. Must not know documents, approvals or
applications yet: linking a task to drafting or approving a document is a later increment.
Only ``engine.py`` touches SpiffWorkflow, and every workflow it gives out runs conditions in
the safe evaluator of ``expressions.py``, never in ``eval``.
"""
