"""Request schemas that take only what they document."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    """No coercion (``false`` is not the integer 0, ``"1"`` is not 1) and no unknown fields.

    A ``uuid.UUID`` field needs ``Field(strict=False)``: ninja validates the parsed JSON, where a
    UUID is a string, and strict mode takes only a ``UUID`` object.
    """

    model_config = ConfigDict(strict=True, extra="forbid")
