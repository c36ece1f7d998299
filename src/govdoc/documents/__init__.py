"""Documents: documents, immutable versions, content-addressed files, attachments, registry numbers.

Must not know signatures, approvals or any process that uses documents.
"""
