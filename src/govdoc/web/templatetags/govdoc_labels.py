"""Human labels for codes shown on pages: a document's status, a file's verdict."""

from __future__ import annotations

from django import template

from govdoc.web.verify import STATUS_TEXT, VERDICT_TEXT

register = template.Library()


@register.filter
def status_label(code: object) -> str:
    """'valid' → 'Valid' in the page's language ('Važeći' in Serbian Latin)."""
    text = STATUS_TEXT.get(str(code))
    return str(text) if text else str(code)


@register.filter
def verdict_label(code: object) -> str:
    """'altered' → 'Altered — do not rely on this file' (the short verdict, in the page's language)."""
    text = VERDICT_TEXT.get(str(code))
    return str(text[0]) if text else str(code)
