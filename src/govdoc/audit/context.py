"""Where the act an event records came from: the client address and user agent of the web or
API request, or the command line. Set once per request (or command) by the layer that receives
it; ``record`` reads it, so every event carries it without each service passing it along."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

MAX_USER_AGENT = 300


@dataclass(frozen=True)
class Origin:
    """``address``: the client's IP address (or ``cli`` / ``worker``); ``user_agent``: what the
    client said it is (cut to 300 characters), or the command that ran."""

    address: str
    user_agent: str = ""


_origin: ContextVar[Origin | None] = ContextVar("govdoc_audit_origin", default=None)
# Why the current request was refused before GovDoc's own code could handle it (a body too
# large, a form that cannot be parsed, a host not served here): noted by whatever refused it,
# recorded once by the layer that set the origin (``web.audit_origin``).
_refusal: ContextVar[str | None] = ContextVar("govdoc_audit_refusal", default=None)


def current_origin() -> Origin | None:
    return _origin.get()


@contextlib.contextmanager
def origin(address: str, user_agent: str = "") -> Iterator[Origin]:
    """Events recorded inside the block carry this origin."""
    value = Origin(address=address[:64], user_agent=user_agent[:MAX_USER_AGENT])
    token = _origin.set(value)
    refusal_token = _refusal.set(None)
    try:
        yield value
    finally:
        _refusal.reset(refusal_token)
        _origin.reset(token)


def refusal_note(reason: str) -> None:
    """Say that the request in progress is refused for ``reason`` (a stable code such as
    ``multipart-invalid``); the layer that set its origin records it."""
    _refusal.set(reason)


def refusal_noted() -> str | None:
    """The reason noted for the request in progress, if it was refused."""
    return _refusal.get()
