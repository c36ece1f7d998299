"""Procedure pages: what the BPMN file's author drew (names of processes, tasks, flows, data) as
written, marked ``translate="no"``, unless it is a name of a procedure GovDoc ships, which is
GovDoc's own text and shown in the page's language; roles and process data in the page's
language."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from govdoc.accounts.constants import role_in_sentence
from govdoc.procedures.drawn_names import name_shown

register = template.Library()


@register.simple_tag
def drawn(text: object) -> str:
    """A name as the process's author drew it (in the language they drew it in): shown as it
    is, and marked so that no translation tool, and no reader's language check, takes it for
    the page's own words. A name drawn in a procedure GovDoc ships is shown in the page's
    language instead (``procedures/drawn_names``)."""
    shown, in_page_language = name_shown(str(text or ""))
    if in_page_language:
        return format_html('<span class="drawn">{}</span>', shown)
    return format_html('<span class="drawn" translate="no">{}</span>', shown)


@register.filter
def drawn_text(text: object) -> str:
    """A drawn name as plain text (a page's title, a form's value): translated as ``drawn``
    translates it."""
    return name_shown(str(text or ""))[0]


@register.filter
def drawn_in_page_language(text: object) -> bool:
    """Whether ``drawn_text`` gives the name in the page's language (else the page marks it
    ``translate="no"``, as in an ``<option>``)."""
    return name_shown(str(text or ""))[1]


@register.filter
def role_name(code: object) -> str:
    """'head_of_unit' → 'head of unit' in the page's language."""
    return role_in_sentence(code)


@register.simple_tag
def data_value(value: object) -> str:
    """A value of process data: yes/no for a flag, a list joined by commas, else as given
    (a literal the process's author drew, or a value a person typed)."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    text = ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    return format_html('<span translate="no">{}</span>', text)
