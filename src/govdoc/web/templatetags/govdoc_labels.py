"""Human labels for codes shown on pages (a document's status, a file's verdict), and names and
typed texts in the page's script."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html

from govdoc.accounts.constants import Script
from govdoc.web.language import name_in_script, typed_in_script
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


@register.simple_tag(takes_context=True)
def typed(context: template.Context, text: object) -> str:
    """A text an official typed (a title, a legal ground, a reason) as the page shows it: in
    Cyrillic letters on a Cyrillic page; on an English page marked as Serbian Latin."""
    script = str(context.get("script", ""))
    value = str(text or "")
    if script == Script.ENGLISH:
        return format_html('<span lang="sr-Latn">{}</span>', value)
    return conditional_escape(typed_in_script(value, script))


@register.simple_tag(takes_context=True)
def named(context: template.Context, agency_or_unit: object) -> str:
    """An agency's or unit's name in the page's script."""
    if agency_or_unit is None:
        return ""
    return name_in_script(agency_or_unit, str(context.get("script", "")))  # type: ignore[arg-type]
