"""The root of every GovDoc error.

Domain errors carry ids and plain values, never model objects, so the API layer can turn
them into problem+json (RFC 9457) and the CLI into one clear line.
"""

from __future__ import annotations

from typing import ClassVar


class GovDocError(Exception):
    """Base of all domain errors.

    ``code`` is stable and becomes the problem type ``https://govdoc.example/problems/<code>``;
    ``status`` is the HTTP status an interface should answer with. An error about a form
    passes ``errors={"field_name": "message", ...}``: the API lists them as problem+json
    ``errors`` and the web pages show each message beside its field.
    """

    code: ClassVar[str] = "govdoc-error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class NotFoundError(GovDocError):
    code = "not-found"
    status = 404


class PermissionDeniedError(GovDocError):
    code = "permission-denied"
    status = 403


class InvalidInputError(GovDocError):
    code = "invalid-input"
    status = 400


class ConflictError(GovDocError):
    code = "conflict"
    status = 409


class ConfigurationError(GovDocError):
    code = "configuration"
    status = 500
