"""Documents, versions, files and registry numbers (filled in by the documents work)."""

from ninja import Router

router = Router(tags=["documents"])
