"""An HTML form from a service's JSON Schema: one labelled field per property.

Only what citizen forms use: strings (with ``format: date``, ``format: email``, ``enum`` as a
select, ``maxLength`` > 200 as a text area), integers, numbers and booleans. Validation is the
server's (applications validates against the schema); this only draws the form and puts each
error message beside its field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str  # text | textarea | date | email | number | checkbox | select
    value: str
    required: bool
    help: str
    error: str
    choices: tuple[tuple[str, str], ...]  # (value, what the person reads)
    pattern: str
    max_length: int | None


def fields_for(
    schema: dict[str, Any],
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    translate: Any = None,
    english: bool = False,
) -> list[FormField]:
    """``translate`` maps a Serbian Latin label to the chosen script (or is None); ``english``
    takes a field's English title and help (``x-govdoc-title-en``, ``x-govdoc-description-en``)
    where the service has them. A choice reads as ``x-govdoc-enum-titles`` (Serbian Latin) or
    ``x-govdoc-enum-titles-en`` name it, else as its value."""
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    out = []
    for name, prop in properties.items():
        kind = prop.get("type", "string")
        widget = "text"
        if "enum" in prop:
            widget = "select"
        elif kind == "boolean":
            widget = "checkbox"
        elif kind in ("integer", "number"):
            widget = "number"
        elif prop.get("format") == "date":
            widget = "date"
        elif prop.get("format") == "email":
            widget = "email"
        elif int(prop.get("maxLength", 0) or 0) > 200:
            widget = "textarea"
        label = str(prop.get("title", name))
        help_text = str(prop.get("description", ""))
        if english:
            label = str(prop.get("x-govdoc-title-en") or label)
            help_text = str(prop.get("x-govdoc-description-en") or help_text)
        elif translate is not None:
            label, help_text = translate(label), translate(help_text)
        value = values.get(name, "")
        titles = prop.get("x-govdoc-enum-titles-en" if english else "x-govdoc-enum-titles") or {}
        choices = []
        for choice in prop.get("enum", ()):
            shown = str(titles.get(str(choice)) or choice) if isinstance(titles, dict) else str(choice)
            if translate is not None and not english:
                shown = translate(shown)
            choices.append((str(choice), shown))
        out.append(
            FormField(
                name=name,
                label=label,
                widget=widget,
                value="" if value is None else str(value),
                required=name in required,
                help=help_text,
                error=errors.get(name, ""),
                choices=tuple(choices),
                pattern=str(prop.get("pattern", "")).removeprefix("^").removesuffix("$"),
                max_length=prop.get("maxLength"),
            )
        )
    return out


def data_from_post(schema: dict[str, Any], post: QueryDict) -> dict[str, Any]:
    """The submitted values, typed as the schema says; empty optional fields are left out."""
    data: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type", "string")
        if kind == "boolean":
            data[name] = post.get(name) == "on"
            continue
        raw = post.get(name, "").strip()
        if raw == "":
            continue
        if kind == "integer":
            try:
                data[name] = int(raw)
            except ValueError:
                data[name] = raw  # the schema check reports it beside the field
        elif kind == "number":
            try:
                data[name] = float(raw)
            except ValueError:
                data[name] = raw
        else:
            data[name] = raw
    return data
