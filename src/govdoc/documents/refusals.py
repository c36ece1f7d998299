"""A refused upload leaves a trace in the audit chain.

The refusal rolls back the write it belonged to, so its event is written in a transaction of its
own once that write is over (``audited_upload_refusals`` wraps a service from outside its
transaction). The event holds what a security officer needs (why, what the bytes were, their
SHA-256 and size) and never the file name, which may name the person.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import transaction

from govdoc.audit.services import record
from govdoc.core.jsontypes import JSONObject
from govdoc.documents.errors import UploadRejectedError

P = ParamSpec("P")
R = TypeVar("R")

_KEPT = ("reason", "detected", "declared", "size", "max_bytes")


def refusal_data(error: UploadRejectedError, content: bytes) -> JSONObject:
    data: JSONObject = {"code": error.code}
    for key in _KEPT:
        value = error.details.get(key)
        if isinstance(value, str | int):
            data[key] = value
    data["sha256"] = hashlib.sha256(content).hexdigest()
    data.setdefault("size", len(content))
    return data


def record_refusal(event: str, *, actor: object | None, target: object | None, data: JSONObject) -> None:
    """Record a refusal in a transaction of its own (the refused write left nothing)."""
    with transaction.atomic():
        record(event, actor=actor, target=target, data=data)


def audited_upload_refusals(service: Callable[P, R]) -> Callable[P, R]:
    """Wrap a documents service that takes ``content`` and ``actor`` (and maybe ``document`` or
    ``version``), all as keywords:
    a refused upload is recorded as ``documents.upload_refused``, then the error goes on."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except UploadRejectedError as exc:
            content = kwargs.get("content")
            data = refusal_data(exc, content if isinstance(content, bytes) else b"")
            # the document a version or an attachment was for (none for a new document)
            target = kwargs.get("document") or kwargs.get("version")
            record_refusal("documents.upload_refused", actor=kwargs.get("actor"), target=target, data=data)
            raise

    return wrapper
