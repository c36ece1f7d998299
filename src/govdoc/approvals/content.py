"""What a line approves, as it is now: the domain that drafts a line over content to be issued
(an application's output document) registers how to compute that content's SHA-256 today, so
that a decision on content that changed after the line was sent is refused, not signed.

Registered in the drafting domain's ``AppConfig.ready``; approvals knows no other domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

# line id -> the SHA-256 of the content the line is about, as it is now; None: not mine
ContentOf = Callable[[uuid.UUID], str | None]

_sources: list[ContentOf] = []


def content_source_register(source: ContentOf) -> None:
    if source not in _sources:
        _sources.append(source)


def current_content_sha256(line_id: uuid.UUID) -> str | None:
    """The content's SHA-256 now, from the first source that knows the line; None if none does."""
    for source in _sources:
        found = source(line_id)
        if found is not None:
            return found
    return None
