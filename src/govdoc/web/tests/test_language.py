"""Every page in the language the person chose: a first visit follows the browser, a shared link
can name the language, the choice sticks, and ``lang`` is always right."""

from __future__ import annotations

import pytest
from django.test import Client

from govdoc.accounts.constants import Script
from govdoc.web.language import script_from_accept_language

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("header", "script"),
    [
        ("sr-Cyrl", Script.CYRILLIC),
        ("sr", Script.CYRILLIC),
        ("sr-RS,sr;q=0.9,en-US;q=0.8", Script.CYRILLIC),
        ("sr-Latn-RS,sr-Latn;q=0.9", Script.LATIN),
        ("en-GB,en;q=0.9", Script.ENGLISH),
        ("de-DE,en;q=0.5,sr-Latn;q=0.7", Script.LATIN),
        ("hr-HR", Script.LATIN),
        ("de-DE,fr", None),
        ("", None),
        ("sr;q=0,en", Script.ENGLISH),
    ],
)
def test_the_browsers_language_names_a_script(header: str, script: Script | None) -> None:
    assert script_from_accept_language(header) == script


def test_a_first_visit_follows_the_browser_and_lang_is_right(client: Client) -> None:
    cyrillic = client.get("/", HTTP_ACCEPT_LANGUAGE="sr-RS,sr;q=0.9")
    page = cyrillic.content.decode()
    assert '<html lang="sr-Cyrl">' in page and "<h1>Електронске услуге</h1>" in page
    assert cyrillic["Content-Language"] == "sr-Cyrl" and "Accept-Language" in cyrillic["Vary"]
    english = Client().get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en">' in english and "<h1>Public services online</h1>" in english
    latin = Client().get("/").content.decode()
    assert '<html lang="sr-Latn">' in latin and "<h1>Elektronske usluge</h1>" in latin


def test_a_shared_link_names_the_language_and_it_sticks_for_the_visit() -> None:
    browser = Client()
    linked = browser.get("/?lang=sr-cyrl", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="sr-Cyrl">' in linked
    later = browser.get("/verify/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="sr-Cyrl">' in later
    browser.post("/script/", {"script": "en", "next": "/"})
    assert '<html lang="en">' in browser.get("/").content.decode()


def test_djangos_own_pages_follow_the_chosen_language_not_the_browsers() -> None:
    """The admin (Django's own text) speaks the language chosen for the pages."""
    from tests.support import log_in

    from govdoc.accounts.tests.factories import PersonFactory

    admin = log_in(Client(), PersonFactory(username="root", is_staff=True, is_superuser=True))
    english = admin.get("/admin/?lang=en", HTTP_ACCEPT_LANGUAGE="sr").content.decode()
    assert '<html lang="en"' in english and "Site administration" in english
    cyrillic = admin.get("/admin/?lang=sr-cyrl", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Site administration" not in cyrillic and "Администрација" in cyrillic
