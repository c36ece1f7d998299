"""Template context shared by every page: the chosen script and the list to choose from."""

from __future__ import annotations

from django.http import HttpRequest

from govdoc.accounts.constants import Script
from govdoc.web.language import HTML_LANG, page_script


def script(request: HttpRequest) -> dict[str, object]:
    chosen = page_script(request)
    options = [(str(code), label, HTML_LANG[Script(code)]) for code, label in Script.choices]
    return {
        "script": str(chosen),
        "html_lang": HTML_LANG[Script(chosen)],
        "scripts": Script.choices,
        "script_options": options,
    }
