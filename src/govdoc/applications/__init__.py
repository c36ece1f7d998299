"""Applications: the citizen service catalogue, online applications and their handling, up to the
decision sent into e-Approval and the issued result delivered to the citizen's e-inbox.

Owns services (forms as JSON Schema, attachment rules, output templates, default approval
lines), applications with their receipt numbers, attachments, timeline, completion requests,
receipts and the e-inbox. Uses documents (files, case documents), approvals (lines) and issuance
(the issued e-Document) through their public services; approvals and issuance are reached
through ``integration`` so this domain also runs without them. Must not know the web, the API
or the CLI.
"""
