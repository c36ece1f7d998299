"""Signature verification for anyone who holds a PDF (filled in by the signatures domain)."""

from ninja import Router

router = Router(tags=["signatures"])
