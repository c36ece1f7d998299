"""Errors of the signature engine.

They carry plain values only, so the API layer can turn them into problem+json and the CLI
into one clear line. The engine never lets a pyHanko or asn1crypto exception escape on bad
input: it raises one of these instead.
"""

from __future__ import annotations

from typing import ClassVar

from govdoc.core.errors import GovDocError


class EngineError(GovDocError):
    """Root of every error the signature engine raises."""

    code: ClassVar[str] = "signature-engine"
    status: ClassVar[int] = 500


class NotAPdfError(EngineError):
    """The bytes given are not a PDF at all (empty, or no ``%PDF-`` header)."""

    code: ClassVar[str] = "not-a-pdf"
    status: ClassVar[int] = 400

    def __init__(self, message: str = "the file is not a PDF", **details: object) -> None:
        super().__init__(message, **details)


class CorruptPdfError(EngineError):
    """The bytes start like a PDF but cannot be read (truncated, broken cross-reference...)."""

    code: ClassVar[str] = "corrupt-pdf"
    status: ClassVar[int] = 400

    def __init__(
        self, message: str = "the PDF is damaged or truncated and cannot be read", **details: object
    ) -> None:
        super().__init__(message, **details)


class SigningError(EngineError):
    """Signing failed for a reason that is not the input's fault (key, timestamp authority...)."""

    code: ClassVar[str] = "signing-failed"
    status: ClassVar[int] = 500


class KeyBackendError(EngineError):
    """A key could not be loaded or used (wrong passphrase or PIN, missing token, bad key file)."""

    code: ClassVar[str] = "key-backend"
    status: ClassVar[int] = 500


class UncoveredBytesError(CorruptPdfError):
    """The PDF holds bytes that belong to no revision (data glued after ``%%EOF`` or between
    revisions): a seal over it would certify bytes no reader shows."""

    code: ClassVar[str] = "pdf-uncovered-bytes"
    status: ClassVar[int] = 400
