"""Procedure pages: what the BPMN file's author drew (names of processes, tasks, flows, data) as
written, marked ``translate="no"``; roles and process data in the page's language."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from govdoc.accounts.constants import Role

register = template.Library()

# A role as it reads inside a sentence (the same words as the approval policies use).
_ROLES: dict[str, Promise] = {
    Role.HANDLER: pgettext_lazy("role in a sentence", "handler"),
    Role.HEAD_OF_UNIT: pgettext_lazy("role in a sentence", "head of unit"),
    Role.HEAD_OF_AGENCY: pgettext_lazy("role in a sentence", "head of agency"),
    Role.REGISTRY_CLERK: pgettext_lazy("role in a sentence", "registry clerk"),
    Role.ARCHIVIST: pgettext_lazy("role in a sentence", "archivist"),
    Role.ADMINISTRATOR: pgettext_lazy("role in a sentence", "administrator"),
}


@register.simple_tag
def drawn(text: object) -> str:
    """A name as the process's author drew it (in the language they drew it in): shown as it
    is, and marked so that no translation tool, and no reader's language check, takes it for
    the page's own words."""
    return format_html('<span class="drawn" translate="no">{}</span>', str(text or ""))


@register.filter
def role_name(code: object) -> str:
    """'head_of_unit' → 'head of unit' in the page's language."""
    name = _ROLES.get(str(code))
    return str(name) if name is not None else str(code)


@register.simple_tag
def data_value(value: object) -> str:
    """A value of process data: yes/no for a flag, a list joined by commas, else as given
    (a literal the process's author drew, or a value a person typed)."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    text = ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    return format_html('<span translate="no">{}</span>', text)
