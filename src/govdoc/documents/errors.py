"""Errors of the documents domain. Each carries ids and plain values, never model objects."""

from __future__ import annotations

from govdoc.core.errors import (
    ConflictError,
    GovDocError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)


class DocumentsError(GovDocError):
    """Root of this domain's errors; each subclass also names its HTTP category."""

    code = "documents"


class DocumentNotFoundError(DocumentsError, NotFoundError):
    code = "document-not-found"


class VersionNotFoundError(DocumentsError, NotFoundError):
    code = "version-not-found"


class NotAnOfficialHereError(DocumentsError, PermissionDeniedError):
    """The acting person holds no writing role in the document's agency."""

    code = "not-an-official-of-agency"


class InvalidDocumentFieldError(DocumentsError, InvalidInputError):
    code = "invalid-document-field"


class LegalGroundRequiredError(DocumentsError, InvalidInputError):
    """A document that is not fully public must name the legal ground for withholding it."""

    code = "legal-ground-required"


class OwnerUnitOutsideAgencyError(DocumentsError, InvalidInputError):
    code = "owner-unit-outside-agency"


class UploadRejectedError(DocumentsError, InvalidInputError):
    """An uploaded file was refused: its content is not what it claims or is not allowed."""

    code = "upload-rejected"
    status = 415


class EmptyUploadError(UploadRejectedError):
    code = "upload-empty"
    status = 400


class UploadTooLargeError(UploadRejectedError):
    code = "upload-too-large"
    status = 413


class UnsafePdfError(UploadRejectedError):
    """A file that is a PDF by its header but is refused after a look inside: damaged or
    truncated, encrypted, with JavaScript or a launch action, or HTML behind the header.
    ``details["reason"]`` is one of ``pdf_inspection``'s reasons."""

    code = "upload-pdf-refused"
    status = 422


class VersionSealedError(DocumentsError, ConflictError):
    """A sealed (signed) version never changes; a correction is a new version."""

    code = "version-sealed"


class AlreadyRegisteredError(DocumentsError, ConflictError):
    code = "already-registered"


class FileIntegrityError(DocumentsError, ConflictError):
    """The stored bytes no longer match their SHA-256: the file is reported, never served."""

    code = "file-integrity"
