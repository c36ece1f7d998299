"""Human labels for codes shown on pages: a document's status, a file's verdict."""

from __future__ import annotations

from django import template

from govdoc.web.verify import STATUS_TEXT, VERDICT_TEXT

register = template.Library()


@register.filter
def status_label(code: object) -> str:
    """'valid' → 'Važeći / Valid'."""
    text = STATUS_TEXT.get(str(code))
    return f"{text[0]} / {text[1]}" if text else str(code)


@register.filter
def verdict_label(code: object) -> str:
    """'altered' → 'Izmenjena — ne oslanjajte se na nju' (the short Serbian verdict)."""
    text = VERDICT_TEXT.get(str(code))
    return text[0] if text else str(code)
