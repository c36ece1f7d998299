"""Request parsing for the API: JSON bodies, query strings and forms, without NUL characters.

No GovDoc field can hold U+0000, and PostgreSQL refuses it in text columns (a DataError, so a
500, deep inside a service). The parser refuses it for every operation at once: in a form or a
query string as a 422 naming the field, in a JSON body as a 400 (the body cannot be taken).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.errors import ValidationError
from ninja.parser import Parser

NUL = "\x00"
NUL_MESSAGE = "must not contain the NUL character (U+0000)"


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False


class GovDocParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if holds_nul(data):
            # ninja answers any error of parse_body with 400 "Cannot parse request body"
            raise ValueError(f"a string in the body {NUL_MESSAGE}")
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        source = "query" if data is request.GET else "form"
        bad = [key for key, value in result.items() if holds_nul(key) or holds_nul(value)]
        if bad:
            raise ValidationError([{"loc": (source, key), "msg": NUL_MESSAGE} for key in bad])
        return result
