"""Identifiers: every document, version and event carries a UUID."""

from __future__ import annotations

import uuid


def new_id() -> uuid.UUID:
    return uuid.uuid4()
