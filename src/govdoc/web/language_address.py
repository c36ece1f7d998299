"""The language in every address a person sees or shares: ``?lang=sr-Latn|sr-Cyrl|en``.

A Cyrillic reader copies the address of a page and sends it on; the receiver's browser may
prefer English, so the address itself must say the language. Whenever a page's language is
not the default (Serbian Latin) or was chosen explicitly (below), GovDoc puts ``lang=<tag>``

- into every link to its own pages (``<a href="/...">``) and the action of every form
  (``<form action="/...">``; a form without an action gets the page's own address, a GET form a
  hidden ``lang`` field, since a browser replaces a GET form's query with its fields), and
- into every redirect to its own pages (after a form is posted, after log-in to ``next``,
  after the switch of script).

An address without ``lang`` opens in the receiver's own choice, else their browser's language,
else Serbian Latin. So a Latin reader keeps short, clean addresses, unless Latin was chosen
explicitly where it matters: the address they came by carries ``lang`` (a shared link, the
switch used on a page whose address had it), or their browser asks for another language (a
Latin choice made against an English browser). A first-time Latin reader who chose nothing,
and an official whose profile brings Latin at log-in, get clean addresses.

Links to files and machine interfaces do not carry it (static files, ``/api/``, ``/pki/``) nor
do the administrators' pages (``/admin/``, whose lists read unknown query parameters as
filters; they follow the session). The verification URL inside an issued PDF's QR code is made
by ``issuance`` and never passes through here: it does not change.

Why the rewriting happens here, on the finished page, and not with a tag in each template:
links sit inside translated sentences (``{% blocktranslate %}… <a href="/signup/">…``) whose
texts translators keep, in error pages and in pages added later; one place that rewrites them
all cannot forget one. Only markup the templates wrote is matched: text a person typed is
escaped by the templates (``<`` and ``"`` become entities), so it never looks like a tag.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from govdoc.accounts.constants import Script
from govdoc.web.language import (
    HTML_LANG,
    QUERY_KEY,
    SESSION_KEY,
    page_script,
    script_from_accept_language,
)

# Paths whose links and redirects keep their address as it is.
_UNTOUCHED = ("/api/", "/pki/", "/admin/", "/federation/")
_LINK = re.compile(r'(<a\b[^>]*?\shref=")(/[^"]*)(")', re.IGNORECASE)
_FORM = re.compile(r"<form\b[^>]*>", re.IGNORECASE)
_ACTION = re.compile(r'(\saction=")([^"]*)(")', re.IGNORECASE)
_GET_FORM = re.compile(r'\smethod="get"', re.IGNORECASE)


def carried_tag(request: HttpRequest) -> str | None:
    """The ``lang`` this request's addresses carry, or None for clean addresses.

    The script is read after the view ran, so a choice the view just made (the switch, a log-in
    that brings the person's own choice) is the one the next address carries."""
    session = getattr(request, "session", None)
    kept = str(session.get(SESSION_KEY, "")) if session is not None else ""
    script = Script(kept) if kept in Script.values else Script(page_script(request))
    browser = script_from_accept_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    if script != Script.LATIN or QUERY_KEY in request.GET or (browser or Script.LATIN) != script:
        return HTML_LANG[script]
    return None


def with_lang(url: str, tag: str) -> str:
    """``url`` with ``lang=tag`` in its query (an older ``lang`` replaced, the rest kept), if it
    is an address of GovDoc's own pages; any other address as it was."""
    if not _is_own_page(url):
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != QUERY_KEY]
    query.append((QUERY_KEY, tag))
    return urlunsplit(parts._replace(query=urlencode(query, safe="/")))


def _is_own_page(url: str) -> bool:
    if not url.startswith("/") or url.startswith("//") or url.startswith("/\\"):
        return False
    path = urlsplit(url).path
    return not path.startswith((*_UNTOUCHED, settings.STATIC_URL))


def _own_location(request: HttpRequest, location: str) -> str | None:
    """A redirect's Location as a path on this site, or None if it leads elsewhere."""
    if location.startswith("/") and not location.startswith("//"):
        return location
    parts = urlsplit(location)
    if parts.scheme in ("http", "https") and parts.netloc == request.get_host():
        return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return None


def _rewrite_page(text: str, tag: str, here: str) -> str:
    def link(match: re.Match[str]) -> str:
        url = html.unescape(match.group(2))
        return match.group(1) + html.escape(with_lang(url, tag)) + match.group(3)

    def form(match: re.Match[str]) -> str:
        opening = match.group(0)
        if _GET_FORM.search(opening):
            # The browser drops the action's query and sends the fields: the language is one.
            hidden = f'<input type="hidden" name="{QUERY_KEY}" value="{html.escape(tag)}">'
            return opening + hidden
        action = _ACTION.search(opening)
        if action is None:
            # A form without an action posts to the page's own address; make that explicit.
            return opening[:-1].rstrip("/ ") + f' action="{html.escape(with_lang(here, tag))}">'
        url = html.unescape(action.group(2))
        if not url:
            url = here
        rewritten = html.escape(with_lang(url, tag))
        return opening[: action.start(2)] + rewritten + opening[action.end(2) :]

    return _FORM.sub(form, _LINK.sub(link, text))


class LanguageAddressMiddleware:
    """Put the page's ``lang`` into the links, forms and redirects of GovDoc's own pages (see
    the module's docstring). Sits outside ``ScriptMiddleware`` so it reads the final choice."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith((*_UNTOUCHED, settings.STATIC_URL)):
            return response
        tag = carried_tag(request)
        if tag is None:
            return response
        if response.has_header("Location"):
            own = _own_location(request, response["Location"])
            if own is not None:
                response["Location"] = with_lang(own, tag)
            return response
        content_type = response.get("Content-Type", "")
        if response.streaming or not content_type.startswith("text/html"):
            return response
        charset = response.charset or "utf-8"
        text = response.content.decode(charset)
        response.content = _rewrite_page(text, tag, request.get_full_path()).encode(charset)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
