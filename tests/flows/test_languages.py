"""Every page in each of the three languages, and nothing on it in another language or script:
what a citizen who reads only Cyrillic, a Latin reader and an English reader each see.

Pages are listed per part of GovDoc; a page added to GovDoc is added here. Proper names the demo
people typed (in Latin) are allowed on every page (``NAMES``).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdoc.accounts.models import Person
from govdoc.applications.models import Application
from govdoc.cli import demo_data
from govdoc.signatures.tests.conftest import make_sample_pdf
from tests.language_check import problems
from tests.support import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SCRIPTS = ("sr-latn", "sr-cyrl", "en")
NAMES = frozenset(
    {f"{p.first_name} {p.last_name}" for p in demo_data.PEOPLE}
    | {p.first_name for p in demo_data.PEOPLE}
    | {p.last_name for p in demo_data.PEOPLE}
    | {p.username for p in demo_data.PEOPLE}
)

# Each list is one part of GovDoc's pages (and one test below).
PUBLIC_AND_CITIZEN = [
    "/",
    "/services/",
    "/verify/",
    "/no/such/page/",
    "/services/uverenje-o-prebivalistu/apply/",
    "/my/applications/",
    "/my/applications/{application}/",
    "/inbox/",
    "/my/data-access/",
]
OFFICIALS = [
    "/work/",
    "/work/cases/",
    "/work/cases/?state=closed",
    "/work/applications/{application}/",
]
ACCOUNT_PUBLIC = ["/login/", "/signup/", "/password/reset/", "/signup/confirm/MQ/a-token/"]
ACCOUNT_CITIZEN = ["/account/password/", "/login/confirm/"]
ACCOUNT_OFFICIAL = ["/work/pin/", "/login/confirm/"]


@pytest.fixture
def application(demo: None) -> Application:
    citizen = log_in(Client(), Person.objects.get(username="citizen"))
    answer = citizen.post(
        "/services/uverenje-o-prebivalistu/apply/",
        {
            "ime_prezime": "Ana Petrović",
            "jmbg": "0101990710008",
            "adresa": "Bulevar kralja Aleksandra 73",
            "opstina": "Zvezdara",
            "svrha": "radi zaposlenja",
            "file_licna_karta": SimpleUploadedFile("lk.pdf", make_sample_pdf("LK"), "application/pdf"),
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:300]
    return Application.objects.get()


def _check(client: Client, paths: list[str], application: Application) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for script in SCRIPTS:
        for path in paths:
            url = path.format(application=application.pk)
            answer = client.get(url, {"lang": script})
            assert answer.status_code in (200, 404), f"{url}: {answer.status_code}"
            wrong = problems(answer.content.decode(), script, names=NAMES)
            if wrong:
                found[f"{script} {url}"] = wrong
    return found


def _as(username: str) -> Client:
    return log_in(Client(), Person.objects.get(username=username))


def test_public_and_citizens_pages_are_in_the_language_chosen(application: Application) -> None:
    found = _check(Client(), PUBLIC_AND_CITIZEN[:4], application)
    found |= _check(_as("citizen"), PUBLIC_AND_CITIZEN, application)
    assert found == {}


def test_officials_pages_are_in_the_language_chosen(application: Application) -> None:
    assert _check(_as("head-unit"), OFFICIALS, application) == {}


def test_account_pages_are_in_the_language_chosen(application: Application) -> None:
    found = _check(Client(), ACCOUNT_PUBLIC, application)
    found |= _check(_as("citizen"), ACCOUNT_CITIZEN, application)
    found |= _check(_as("head-unit"), ACCOUNT_OFFICIAL, application)
    assert found == {}
