"""Template context shared by every page: the chosen script and the list to choose from."""

from __future__ import annotations

from django.http import HttpRequest

from govdoc.accounts.constants import Script
from govdoc.web.language import HTML_LANG, script_of


def script(request: HttpRequest) -> dict[str, object]:
    chosen = getattr(request, "govdoc_script", None) or script_of(request)
    options = [(str(code), label, HTML_LANG[Script(code)]) for code, label in Script.choices]
    return {
        "script": str(chosen),
        "html_lang": HTML_LANG[Script(chosen)],
        "scripts": Script.choices,
        "script_options": options,
    }
