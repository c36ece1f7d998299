"""Form data against a service's JSON Schema (draft 2020-12), on the server.

Errors become one message per field ("jmbg" -> "Unesite tačno 13 cifara." ...) in the script the
applicant chose, so a page or the API can show each next to its field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from govdoc.accounts.constants import Script
from govdoc.applications.specs import FieldErrors
from govdoc.documents.errors import (
    EmptyUploadError,
    UnsafePdfError,
    UploadRejectedError,
    UploadTooLargeError,
)

_FORMATS = FormatChecker()

# Messages for the JSON Schema keywords citizens' forms use; anything else gets "invalid".
_MESSAGES: dict[str, dict[str, str]] = {
    "required": {
        Script.LATIN: "Ovo polje je obavezno.",
        Script.CYRILLIC: "Ово поље је обавезно.",
        Script.ENGLISH: "This field is required.",
    },
    "type": {
        Script.LATIN: "Vrednost nije odgovarajućeg tipa.",
        Script.CYRILLIC: "Вредност није одговарајућег типа.",
        Script.ENGLISH: "This value has the wrong type.",
    },
    "pattern": {
        Script.LATIN: "Vrednost nije u ispravnom obliku.",
        Script.CYRILLIC: "Вредност није у исправном облику.",
        Script.ENGLISH: "This value is not in the expected format.",
    },
    "format": {
        Script.LATIN: "Vrednost nije u ispravnom obliku.",
        Script.CYRILLIC: "Вредност није у исправном облику.",
        Script.ENGLISH: "This value is not in the expected format.",
    },
    "minLength": {
        Script.LATIN: "Vrednost je prekratka (najmanje {limit} znakova).",
        Script.CYRILLIC: "Вредност је прекратка (најмање {limit} знакова).",
        Script.ENGLISH: "This value is too short (at least {limit} characters).",
    },
    "maxLength": {
        Script.LATIN: "Vrednost je predugačka (najviše {limit} znakova).",
        Script.CYRILLIC: "Вредност је предугачка (највише {limit} знакова).",
        Script.ENGLISH: "This value is too long (at most {limit} characters).",
    },
    "enum": {
        Script.LATIN: "Izaberite jednu od ponuđenih vrednosti.",
        Script.CYRILLIC: "Изаберите једну од понуђених вредности.",
        Script.ENGLISH: "Choose one of the offered values.",
    },
    "minimum": {
        Script.LATIN: "Vrednost mora biti najmanje {limit}.",
        Script.CYRILLIC: "Вредност мора бити најмање {limit}.",
        Script.ENGLISH: "This value must be at least {limit}.",
    },
    "maximum": {
        Script.LATIN: "Vrednost može biti najviše {limit}.",
        Script.CYRILLIC: "Вредност може бити највише {limit}.",
        Script.ENGLISH: "This value must be at most {limit}.",
    },
    "additionalProperties": {
        Script.LATIN: "Ovo polje nije predviđeno obrascem.",
        Script.CYRILLIC: "Ово поље није предвиђено обрасцем.",
        Script.ENGLISH: "This field is not part of the form.",
    },
    "invalid": {
        Script.LATIN: "Vrednost nije ispravna.",
        Script.CYRILLIC: "Вредност није исправна.",
        Script.ENGLISH: "This value is not valid.",
    },
}

ATTACHMENT_MESSAGES: dict[str, dict[str, str]] = {
    "required": {
        Script.LATIN: "Ovaj prilog je obavezan.",
        Script.CYRILLIC: "Овај прилог је обавезан.",
        Script.ENGLISH: "This attachment is required.",
    },
    "unknown": {
        Script.LATIN: "Ovaj prilog nije predviđen za uslugu.",
        Script.CYRILLIC: "Овај прилог није предвиђен за услугу.",
        Script.ENGLISH: "The service does not ask for this attachment.",
    },
    "duplicate": {
        Script.LATIN: "Za ovaj prilog je dozvoljena jedna datoteka.",
        Script.CYRILLIC: "За овај прилог је дозвољена једна датотека.",
        Script.ENGLISH: "Only one file is allowed for this attachment.",
    },
}


# What a file turned out to be, for the messages below (documents.content_types names them in English).
_FILE_KINDS: dict[str, dict[str, str]] = {
    "application/pdf": {Script.LATIN: "PDF dokument", Script.CYRILLIC: "PDF документ"},
    "image/png": {Script.LATIN: "PNG slika", Script.CYRILLIC: "PNG слика"},
    "image/jpeg": {Script.LATIN: "JPEG slika", Script.CYRILLIC: "JPEG слика"},
    "image/tiff": {Script.LATIN: "TIFF slika", Script.CYRILLIC: "TIFF слика"},
    "text/plain": {Script.LATIN: "tekstualna datoteka", Script.CYRILLIC: "текстуална датотека"},
    "text/html": {Script.LATIN: "HTML stranica", Script.CYRILLIC: "HTML страница"},
}
_UNKNOWN_KIND: dict[str, str] = {
    Script.LATIN: "neprepoznata datoteka",
    Script.CYRILLIC: "непрепозната датотека",
}

UPLOAD_MESSAGES: dict[str, dict[str, str]] = {
    "empty": {
        Script.LATIN: "Datoteka {filename} je prazna.",
        Script.CYRILLIC: "Датотека {filename} је празна.",
    },
    "too_large": {
        Script.LATIN: "Datoteka {filename} ima {size}, a dozvoljeno je najviše {limit}.",
        Script.CYRILLIC: "Датотека {filename} има {size}, а дозвољено је највише {limit}.",
    },
    "mismatch": {
        Script.LATIN: "Datoteka {filename} je {detected}, a ne {declared}.",
        Script.CYRILLIC: "Датотека {filename} је {detected}, а не {declared}.",
    },
    "not_allowed": {
        Script.LATIN: "Datoteka {filename} je {detected}; ovde se prihvata: {accepted}.",
        Script.CYRILLIC: "Датотека {filename} је {detected}; овде се прихвата: {accepted}.",
    },
    # A PDF refused after a look inside (documents.pdf_inspection's reasons).
    "pdf_damaged": {
        Script.LATIN: "Datoteka {filename} nije potpun i čitljiv PDF dokument (možda je prekinuta ili "
        "oštećena). Sačuvajte je ili preuzmite ponovo i pošaljite novu kopiju.",
        Script.CYRILLIC: "Датотека {filename} није потпун и читљив PDF документ (можда је прекинута или "
        "оштећена). Сачувајте је или преузмите поново и пошаљите нову копију.",
    },
    "pdf_encrypted": {
        Script.LATIN: "Datoteka {filename} je PDF dokument zaštićen lozinkom (šifrovan). Sačuvajte je "
        "bez zaštite i pošaljite ponovo.",
        Script.CYRILLIC: "Датотека {filename} је PDF документ заштићен лозинком (шифрован). Сачувајте је "
        "без заштите и пошаљите поново.",
    },
    "pdf_javascript": {
        Script.LATIN: "Datoteka {filename} je PDF dokument sa JavaScript kodom, koji se ne prihvata. "
        "Odštampajte je u novi PDF (ili je skenirajte) i pošaljite taj.",
        Script.CYRILLIC: "Датотека {filename} је PDF документ са JavaScript кодом, који се не прихвата. "
        "Одштампајте је у нови PDF (или је скенирајте) и пошаљите тај.",
    },
    "pdf_launch": {
        Script.LATIN: "Datoteka {filename} je PDF dokument sa radnjom koja pokreće drugi program, što "
        "se ne prihvata. Odštampajte je u novi PDF (ili je skenirajte) i pošaljite taj.",
        Script.CYRILLIC: "Датотека {filename} је PDF документ са радњом која покреће други програм, што "
        "се не прихвата. Одштампајте је у нови PDF (или је скенирајте) и пошаљите тај.",
    },
    "pdf_html": {
        Script.LATIN: "Datoteka {filename} je HTML stranica sa zaglavljem PDF dokumenta, a ne PDF dokument.",
        Script.CYRILLIC: "Датотека {filename} је HTML страница са заглављем PDF документа, "
        "а не PDF документ.",
    },
    "pdf_too-complex": {
        Script.LATIN: "Datoteka {filename} je PDF dokument previše složen za proveru. Odštampajte je u "
        "novi PDF (ili je skenirajte) i pošaljite taj.",
        Script.CYRILLIC: "Датотека {filename} је PDF документ превише сложен за проверу. Одштампајте је у "
        "нови PDF (или је скенирајте) и пошаљите тај.",
    },
}


def _kind(media_type: str, script: str) -> str:
    names = _FILE_KINDS.get(media_type, _UNKNOWN_KIND)
    return names.get(script, names[Script.LATIN])


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.1f} KB".replace(".", ",")
    return f"{size} B"


def upload_message(error: UploadRejectedError, *, script: str, allowed: Sequence[str]) -> str:
    """The refusal of an upload in the applicant's script (the documents domain's own text in
    English)."""
    if script not in (Script.LATIN, Script.CYRILLIC):
        return error.message
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
    return UPLOAD_MESSAGES[key][script].format(filename=filename, **values)


def message(table: Mapping[str, Mapping[str, str]], key: str, script: str, **values: object) -> str:
    texts = table.get(key) or table["invalid"]
    return texts.get(script, texts[Script.LATIN]).format(**values)


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
