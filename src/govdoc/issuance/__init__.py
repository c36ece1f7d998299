"""Issuance: official e-Documents issued with security features (PDF/A-3, e-seal, QR and
verification code), their status (valid, revoked, superseded, expired) and public verification.

Must not know applications: it issues from a template, data and a recipient.
"""
