"""The script and language of every page: Serbian Latin, Serbian Cyrillic or English.

Chosen, in order: ``?lang=`` in the address (a link someone shared), the person's choice kept
in the session (from the switch on every page, or their profile at log-in), the logged-in
person's profile, and on a first
visit the browser's ``Accept-Language`` (``sr-Latn`` → Latin; ``sr-Cyrl``, ``sr``, ``sr-RS`` →
Cyrillic; ``en`` → English). Django's translations follow the same choice, so its own messages
(form errors, the admin) speak the page's language, and ``lang`` on the page is always right.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from govdoc.accounts.constants import DJANGO_LANGUAGE, Script
from govdoc.core.transliteration import to_cyrillic

SESSION_KEY = "govdoc_script"
QUERY_KEY = "lang"
# The ``lang`` attribute of a page in each script (BCP 47).
HTML_LANG = {Script.LATIN: "sr-Latn", Script.CYRILLIC: "sr-Cyrl", Script.ENGLISH: "en"}
_ALIASES = {"sr-latn": Script.LATIN, "sr-cyrl": Script.CYRILLIC, "en": Script.ENGLISH, "sr": Script.CYRILLIC}


def script_from_accept_language(header: str) -> Script | None:
    """The best script for an ``Accept-Language`` header, or None if it names none we speak."""
    ranked: list[tuple[float, int, Script]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        script: Script | None = None
        if tag.startswith("sr-latn") or tag in ("sh", "hr", "bs") or tag.startswith(("hr-", "bs-")):
            script = Script.LATIN
        elif tag == "sr" or tag.startswith("sr-"):
            script = Script.CYRILLIC
        elif tag == "en" or tag.startswith("en-"):
            script = Script.ENGLISH
        if script is not None and quality > 0:
            ranked.append((-quality, index, script))
    return min(ranked)[2] if ranked else None


def script_of(request: HttpRequest) -> Script:
    """The script this request's page is in (see the module's docstring); a logged-in person
    whose visit has not chosen one gets their own (profile) choice."""
    asked = _ALIASES.get(request.GET.get(QUERY_KEY, "").lower())
    if asked is not None:
        return asked
    session = getattr(request, "session", None)
    kept = _ALIASES.get(str(session.get(SESSION_KEY, ""))) if session is not None else None
    if kept is not None:
        return kept
    preferred = _ALIASES.get(str(getattr(getattr(request, "user", None), "preferred_script", "")))
    if preferred is not None:
        return preferred
    return script_from_accept_language(request.META.get("HTTP_ACCEPT_LANGUAGE", "")) or Script.LATIN


def page_script(request: HttpRequest) -> str:
    """The script ``ScriptMiddleware`` chose for this request (views and templates use this)."""
    return str(getattr(request, "govdoc_script", None) or script_of(request))


class ScriptMiddleware:
    """Decide the page's script once per request, remember a link's choice, and turn Django's
    translations to it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        script = script_of(request)
        session = getattr(request, "session", None)
        # A link's ``?lang=`` is kept for the rest of the visit; a first visit's guess from the
        # browser is not stored (no session is made for every passer-by).
        if session is not None and QUERY_KEY in request.GET and session.get(SESSION_KEY) != script.value:
            session[SESSION_KEY] = script.value
        request.govdoc_script = script  # type: ignore[attr-defined]
        with translation.override(DJANGO_LANGUAGE[script]):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", HTML_LANG[script])
        vary = response.headers.get("Vary", "")
        if "accept-language" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Accept-Language" if vary else "Accept-Language"
        return response


class _Named(Protocol):
    name: str
    name_cyrl: str
    name_en: str


def name_in_script(named: _Named, script: str) -> str:
    """An agency's or unit's name in the page's script (Cyrillic made from the Latin when not
    written; the Serbian name when no English one is)."""
    if script == Script.CYRILLIC:
        return named.name_cyrl or to_cyrillic(named.name)
    if script == Script.ENGLISH:
        return named.name_en or named.name
    return named.name


# Registry and receipt numbers inside a typed text (P-MUP-2026-000042) stay in Latin letters.
_NUMBERS = re.compile(r"\b[A-Z]+(?:-[A-Z0-9]+)+\b")


def typed_in_script(text: str, script: str) -> str:
    """A text an official typed in Serbian Latin (a title, a reason), in Cyrillic letters on a
    Cyrillic page; elsewhere as typed (an English page marks its language)."""
    if script != Script.CYRILLIC:
        return text
    parts, at = [], 0
    for number in _NUMBERS.finditer(text):
        parts += [to_cyrillic(text[at : number.start()]), number.group()]
        at = number.end()
    return "".join([*parts, to_cyrillic(text[at:])])
