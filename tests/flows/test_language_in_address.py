"""The language is in every address: a Cyrillic reader's address bar shows ``lang=sr-Cyrl`` on
every page they reach by a link, a form or a redirect, and the address they share opens in
Cyrillic for someone whose browser prefers English. A Latin reader who chose nothing gets
clean addresses."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdoc.accounts.models import Person
from govdoc.applications.models import Application
from govdoc.cli import demo_data
from govdoc.signatures.tests.conftest import make_sample_pdf
from tests.flows.test_languages import NAMES
from tests.language_check import problems
from tests.support import log_in

pytestmark = pytest.mark.django_db(transaction=True)

_ATTRIBUTE = re.compile(r'<(a|form)\b[^>]*?\s(?:href|action)="([^"]*)"', re.IGNORECASE)
# Addresses that keep their own form: files, machine interfaces, the administrators' pages.
_PLAIN = ("/static/", "/api/", "/pki/", "/admin/")


def _lang_of(address: str) -> str | None:
    values = parse_qs(urlsplit(address).query).get("lang")
    return values[0] if values else None


def _internal_addresses(page: str) -> list[str]:
    """Every link and form action on ``page`` that leads to one of GovDoc's pages."""
    found = []
    for _tag, raw in _ATTRIBUTE.findall(page):
        address = html.unescape(raw)
        if address.startswith("/") and not address.startswith("//") and not address.startswith(_PLAIN):
            found.append(address)
    return found


def _visit(client: Client, address: str, lang: str, **kw: object) -> str:
    """Open ``address`` (it must carry ``lang``), check every address on the page carries it,
    and give the page's text."""
    assert _lang_of(address) == lang, address
    answer = client.get(address, **kw)  # type: ignore[arg-type]
    assert answer.status_code == 200, (address, answer.status_code)
    page = answer.content.decode()
    addresses = _internal_addresses(page)
    assert addresses, address
    assert [a for a in addresses if _lang_of(a) != lang] == [], address
    return page


def _link(page: str, path: str) -> str:
    """The address of the link on ``page`` that leads to ``path``."""
    return next(a for a in _internal_addresses(page) if urlsplit(a).path == path)


def test_a_cyrillic_reader_keeps_cyrillic_in_every_address_and_shares_it(demo: None) -> None:
    reader = Client(headers={"accept-language": "en"})
    log_in(reader, Person.objects.get(username="citizen"))
    home = reader.get("/").content.decode()
    # Her profile says Latin, her browser English: the address says Latin, so it opens so again.
    assert '<html lang="sr-Latn">' in home and 'action="/script/?lang=sr-Latn"' in home

    # The switch on the page: back to the same page, now with the language in its address.
    switched = reader.post("/script/", {"script": "sr-cyrl", "next": "/services/?lang=en"})
    assert switched.status_code == 302 and switched["Location"] == "/services/?lang=sr-Cyrl"
    catalogue = _visit(reader, switched["Location"], "sr-Cyrl")
    assert '<html lang="sr-Cyrl">' in catalogue
    assert problems(catalogue, "sr-cyrl", names=NAMES) == []

    # An application: the form posts to an address with the language, the redirect keeps it.
    apply = _link(catalogue, "/services/uverenje-o-prebivalistu/apply/")
    form = _visit(reader, apply, "sr-Cyrl")
    found = re.search(r'<form method="post" enctype="multipart/form-data"[^>]*action="([^"]*)"', form)
    assert found is not None
    action = html.unescape(found.group(1))
    assert action == apply
    sent = reader.post(
        action,
        {
            "ime_prezime": "Ана Петровић",
            "jmbg": "0101990710008",
            "adresa": "Булевар краља Александра 73",
            "opstina": "Звездара",
            "svrha": "ради запослења",
            "file_licna_karta": SimpleUploadedFile("lk.pdf", make_sample_pdf("LK"), "application/pdf"),
        },
    )
    application = Application.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == f"/my/applications/{application.pk}/?lang=sr-Cyrl"
    mine = _visit(reader, sent["Location"], "sr-Cyrl")
    assert application.receipt_number in mine
    _visit(reader, _link(mine, "/my/applications/"), "sr-Cyrl")

    # Logging out and in again: each redirect and the log-in form keep the language.
    logout = _link(mine, "/logout/")
    out = reader.post(logout)
    assert out.status_code == 302 and _lang_of(out["Location"]) == "sr-Cyrl"
    start = _visit(reader, out["Location"], "sr-Cyrl")
    login_page = _visit(reader, _link(start, "/login/"), "sr-Cyrl")
    login_action = _link(login_page, "/login/")
    wrong = reader.post(login_action, {"username": "citizen", "password": "not-the-password"})
    assert wrong.status_code == 400 and 'action="/login/?lang=sr-Cyrl"' in wrong.content.decode()
    back = reader.post(login_action, {"username": "citizen", "password": demo_data.DEMO_PASSWORD})
    assert back.status_code == 302 and back["Location"] == "/?lang=sr-Cyrl"

    # A page that needs log-in sends a stranger to the log-in page, language and all.
    stranger = Client(headers={"accept-language": "en"})
    asked = stranger.get(f"/my/applications/{application.pk}/?lang=sr-Cyrl")
    assert asked.status_code == 302 and _lang_of(asked["Location"]) == "sr-Cyrl"
    assert urlsplit(asked["Location"]).path == "/login/"

    # The address shared with someone whose browser prefers English opens in Cyrillic.
    shared = Client(headers={"accept-language": "en-GB,en;q=0.9"})
    opened = _visit(shared, switched["Location"], "sr-Cyrl")
    assert '<html lang="sr-Cyrl">' in opened and "Услуге" in opened
    assert problems(opened, "sr-cyrl", names=NAMES) == []


def test_a_latin_reader_without_a_choice_gets_clean_addresses(demo: None) -> None:
    reader = Client(headers={"accept-language": "sr-Latn-RS,sr-Latn;q=0.9"})
    for path in ("/", "/services/", "/login/", "/verify/"):
        page = reader.get(path).content.decode()
        assert '<html lang="sr-Latn">' in page
        assert [a for a in _internal_addresses(page) if _lang_of(a) is not None] == [], path
    wrong = reader.post("/login/", {"username": "citizen", "password": "not-the-password"})
    assert wrong.status_code == 400 and 'action="/login/"' in wrong.content.decode()
    assert reader.get("/my/applications/")["Location"] == "/login/?next=/my/applications/"
    # Her own choice of Latin in an address is kept from then on.
    chosen = _visit(reader, "/services/?lang=sr-Latn", "sr-Latn")
    _visit(reader, _link(chosen, "/verify/"), "sr-Latn")


def test_an_official_filter_form_keeps_the_language_and_files_keep_their_address(demo: None) -> None:
    """A GET form's action loses its query in the browser, so the language travels as a field;
    links to the API, the PKI files and static files are left as they are."""
    official = log_in(Client(), Person.objects.get(username="head-unit"))
    cases = official.get("/work/cases/?lang=en").content.decode()
    assert '<input type="hidden" name="lang" value="en">' in cases
    filtered = official.get("/work/cases/", {"state": "closed", "lang": "en"})
    assert filtered.status_code == 200 and '<html lang="en">' in filtered.content.decode()
    home = official.get("/").content.decode()
    assert 'href="/pki/root.pem"' in home and 'href="/api/v1/docs"' in home
    assert re.search(r'href="/static/[^"?]*"', home)
