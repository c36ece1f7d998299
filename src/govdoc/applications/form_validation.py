"""Form data against a service's JSON Schema (draft 2020-12), on the server.

Errors become one message per field ("jmbg" -> "Unesite tačno 13 cifara." ...) in the script the
applicant chose, so a page or the API can show each next to its field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from govdoc.applications.constants import LANGUAGE_OF_SCRIPT
from govdoc.applications.specs import FieldErrors
from govdoc.documents.errors import (
    EmptyUploadError,
    UnsafePdfError,
    UploadRejectedError,
    UploadTooLargeError,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

_FORMATS = FormatChecker()

# Messages for the JSON Schema keywords citizens' forms use; anything else gets "invalid".
# Written in English; the applicant's script comes from the catalogues (locale/sources/citizen.po).
_MESSAGES: dict[str, StrPromise] = {
    "required": _("This field is required."),
    "type": _("This value has the wrong type."),
    "pattern": _("This value is not in the expected format."),
    "format": _("This value is not in the expected format."),
    "minLength": _("This value is too short (at least {limit} characters)."),
    "maxLength": _("This value is too long (at most {limit} characters)."),
    "enum": _("Choose one of the offered values."),
    "minimum": _("This value must be at least {limit}."),
    "maximum": _("This value must be at most {limit}."),
    "additionalProperties": _("This field is not part of the form."),
    "invalid": _("This value is not valid."),
}

ATTACHMENT_MESSAGES: dict[str, StrPromise] = {
    "required": _("This attachment is required."),
    "unknown": _("The service does not ask for this attachment."),
    "duplicate": _("Only one file is allowed for this attachment."),
}


# What a file turned out to be, for the messages below (documents.content_types names them in English).
_FILE_KINDS: dict[str, StrPromise] = {
    "application/pdf": _("PDF document"),
    "image/png": _("PNG image"),
    "image/jpeg": _("JPEG image"),
    "image/tiff": _("TIFF image"),
    "text/plain": _("text file"),
    "text/html": _("HTML page"),
}
_UNKNOWN_KIND = _("unrecognised file")

UPLOAD_MESSAGES: dict[str, StrPromise] = {
    "empty": _("The file {filename} is empty."),
    "too_large": _("The file {filename} is {size}; at most {limit} is allowed."),
    "mismatch": _("The file {filename} is a {detected}, not a {declared}."),
    "not_allowed": _("The file {filename} is a {detected}; accepted here: {accepted}."),
    # A PDF refused after a look inside (documents.pdf_inspection's reasons).
    "pdf_damaged": _(
        "The file {filename} is not a complete, readable PDF document (it may have been cut off or "
        "damaged). Save or download it again and send a new copy."
    ),
    "pdf_encrypted": _(
        "The file {filename} is a PDF document protected by a password (encrypted). Save it without "
        "the protection and send it again."
    ),
    "pdf_javascript": _(
        "The file {filename} is a PDF document with JavaScript code, which is not accepted. Print it "
        "to a new PDF (or scan it) and send that."
    ),
    "pdf_launch": _(
        "The file {filename} is a PDF document with an action that starts another program, which is "
        "not accepted. Print it to a new PDF (or scan it) and send that."
    ),
    "pdf_html": _("The file {filename} is an HTML page with a PDF header, not a PDF document."),
    "pdf_too-complex": _(
        "The file {filename} is a PDF document too complex to check. Print it to a new PDF (or scan "
        "it) and send that."
    ),
    "pdf_xfa": _(
        "The file {filename} is a PDF document with an XFA form, which is not accepted. Print it to "
        "a new PDF (or scan it) and send that."
    ),
    "pdf_embedded-file": _(
        "The file {filename} is a PDF document with other files inside it, which is not accepted. "
        "Send each document as a file of its own, or print it to a new PDF and send that."
    ),
    "pdf_form-action": _(
        "The file {filename} is a PDF document with a form that sends or reads data elsewhere, which "
        "is not accepted. Print it to a new PDF (or scan it) and send that."
    ),
    "pdf_remote-action": _(
        "The file {filename} is a PDF document with a link that opens another file, which is not "
        "accepted. Print it to a new PDF (or scan it) and send that."
    ),
    "pdf_rich-media": _(
        "The file {filename} is a PDF document with embedded video, sound or other media, which is "
        "not accepted. Print it to a new PDF (or scan it) and send that."
    ),
}


def _in(script: str) -> translation.override:
    """Django's translations turned to the applicant's script for the messages below."""
    return translation.override(LANGUAGE_OF_SCRIPT.get(script, "sr-latn"))


def _kind(media_type: str, script: str) -> str:
    with _in(script):
        return str(_FILE_KINDS.get(media_type, _UNKNOWN_KIND))


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.1f} KB".replace(".", ",")
    return f"{size} B"


def upload_message(error: UploadRejectedError, *, script: str, allowed: Sequence[str]) -> str:
    """The refusal of an upload in the applicant's script."""
    details = error.details
    filename = str(details.get("filename", ""))
    if isinstance(error, EmptyUploadError):
        key, values = "empty", {}
    elif isinstance(error, UnsafePdfError):
        key, values = f"pdf_{details.get('reason')}", dict[str, str]()
        if key not in UPLOAD_MESSAGES:
            return error.message
    elif isinstance(error, UploadTooLargeError):
        size, limit = details.get("size"), details.get("max_bytes")
        key = "too_large"
        values = {
            "size": _size(size if isinstance(size, int) else 0),
            "limit": _size(limit if isinstance(limit, int) else 0),
        }
    elif "declared" in details:
        key = "mismatch"
        values = {
            "detected": _kind(str(details.get("detected", "")), script),
            "declared": _kind(str(details["declared"]), script),
        }
    else:
        key = "not_allowed"
        values = {
            "detected": _kind(str(details.get("detected", "")), script),
            "accepted": ", ".join(sorted(_kind(t, script) for t in allowed)),
        }
    with _in(script):
        return str(UPLOAD_MESSAGES[key]).format(filename=filename, **values)


def message(table: Mapping[str, StrPromise], key: str, script: str, **values: object) -> str:
    """The message ``key`` of ``table`` in ``script`` (``invalid`` for a key it lacks)."""
    with _in(script):
        return str(table.get(key) or table["invalid"]).format(**values)


def schema_errors(schema: object) -> list[str]:
    """Why ``schema`` is not a valid draft 2020-12 JSON Schema for a form (empty when it is)."""
    if not isinstance(schema, dict):
        return ["the form schema must be a JSON object"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        return [f"{where}: {exc.message}"]
    if schema.get("type") != "object":
        return ['a form schema must describe an object ("type": "object")']
    return []


def _field_of(error: ValidationError) -> str:
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        # jsonschema reports a missing property at its parent; name the property itself.
        missing = [
            p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance
        ]
        if missing:
            path.append(str(missing[0]))
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            path.append(extra[0])
    return ".".join(path) or "data"


def data_errors(schema: dict[str, Any], data: object, *, script: str) -> FieldErrors:
    """Every field of ``data`` that breaks ``schema``, with one message each (first one wins)."""
    validator = Draft202012Validator(schema, format_checker=_FORMATS)
    errors: FieldErrors = {}
    for error in sorted(
        validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)
    ):
        if error.validator == "required" and isinstance(error.instance, dict):
            base = ".".join(str(p) for p in error.absolute_path)
            for name in error.validator_value:
                if name not in error.instance:
                    field = f"{base}.{name}" if base else str(name)
                    errors.setdefault(field, message(_MESSAGES, "required", script))
            continue
        field = _field_of(error)
        limit = (
            error.validator_value
            if error.validator in {"minLength", "maxLength", "minimum", "maximum"}
            else ""
        )
        errors.setdefault(field, message(_MESSAGES, str(error.validator), script, limit=limit))
    return errors
