"""JSON types and the canonical JSON encoding used for hashing and signing.

Canonical form: UTF-8, keys sorted, no insignificant whitespace, no NaN (RFC 8785 subset that
our payloads need: strings, integers, booleans, null, lists and objects).
"""

from __future__ import annotations

import json
from typing import TypeAlias

JSONScalar: TypeAlias = str | int | float | bool | None
JSONValue: TypeAlias = JSONScalar | list["JSONValue"] | dict[str, "JSONValue"]
JSONObject: TypeAlias = dict[str, JSONValue]


def canonical_json(value: object) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
