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


def current_origin() -> Origin | None:
    return _origin.get()


@contextlib.contextmanager
def origin(address: str, user_agent: str = "") -> Iterator[Origin]:
    """Events recorded inside the block carry this origin."""
    value = Origin(address=address[:64], user_agent=user_agent[:MAX_USER_AGENT])
    token = _origin.set(value)
    try:
        yield value
    finally:
        _origin.reset(token)
