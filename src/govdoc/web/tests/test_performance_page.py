"""The officials' performance page through Django's test client: charts drawn on the server
with a table of the same figures, each table as a CSV file a spreadsheet opens, nothing for
citizens or strangers, and nothing of another agency."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.support import log_in

from govdoc.accounts.models import Person
from govdoc.accounts.tests.factories import PersonFactory
from govdoc.applications.tests.conftest import make_service, submit
from govdoc.core import clock
from govdoc.procedures import services
from govdoc.procedures.tests.conftest import CERTIFICATE_REQUEST, T0, Office
from govdoc.web.language import SESSION_KEY

MARCH = "from=2027-03&to=2027-03"
NOW = T0 + dt.timedelta(hours=3)


def _client(person: Person, language: str = "en") -> Client:
    client = log_in(Client(), person)
    session = client.session
    session[SESSION_KEY] = language
    session.save()
    return client


@pytest.fixture
def figures(office: Office, files_dir: Path) -> None:
    """A certificate request reviewed two hours after it started, and one application."""
    definition = services.definition_load(xml_bytes=CERTIFICATE_REQUEST, actor=office.admin)
    with clock.frozen(T0):
        instance = services.instance_start(definition=definition, agency=office.agency, actor=office.handler)
    with clock.frozen(T0 + dt.timedelta(hours=2)):
        office.complete(instance, "review", office.handler, complete=True, paid=["fee"])
    service = make_service(unit=office.unit, actor=office.admin)
    with clock.frozen(T0):
        submit(service, PersonFactory(username="citizen", is_citizen=True))


def _get(person: Person, query: str = MARCH, language: str = "en") -> Any:
    with clock.frozen(NOW):
        return _client(person, language).get(f"/work/performance/?{query}")


def test_an_official_sees_each_figure_as_a_chart_and_a_table(office: Office, figures: None) -> None:
    response = _get(office.head)
    assert response.status_code == 200
    page = response.content.decode()
    for table in ("procedures-running", "procedures-waiting", "procedures-stages", "services-running"):
        assert f'id="t-{table}"' in page and f"table={table}" in page
    # the chart is SVG drawn on the server, labelled by its heading and described by its table
    assert page.count('<svg class="chart"') >= 5
    assert 'aria-describedby="t-procedures-stages"' in page
    stages = page[page.index('id="t-procedures-stages"') :]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", stages[: stages.index("</table>")])
    assert cells == ["Certificate request", "Review the application", "1", "2 h 0 min", "2 h 0 min"]
    assert "Certificate of residence" in page
    # the strict CSP holds: nothing inline
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert not re.search(r"\sstyle\s*=|<script(?![^>]*\bsrc=)", page)


def test_each_table_downloads_as_csv_for_a_spreadsheet(office: Office, figures: None) -> None:
    response = _get(office.head, f"{MARCH}&format=csv&table=procedures-stages")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="govdoc-procedures-stages-2027-03-2027-03.csv"'
    )
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets read Serbian letters
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [
        ["Procedure", "Task", "Ended", "Median (minutes)", "Slowest (minutes)"],
        ["Certificate request", "Review the application", "1", "120", "120"],
    ]


def test_the_csv_speaks_the_pages_language(office: Office, figures: None) -> None:
    response = _get(office.head, f"{MARCH}&format=csv&table=services-running", language="sr-cyrl")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["Услуга", "Број"], ["Уверење о пребивалишту", "1"]]


def test_an_unknown_table_is_not_found(office: Office, figures: None) -> None:
    assert _get(office.head, "format=csv&table=salaries").status_code == 404


def test_citizens_and_strangers_get_no_figures(figures: None) -> None:
    citizen = Person.objects.get(username="citizen")
    assert _client(citizen).get("/work/performance/")["Location"].startswith("/my/applications/")
    anonymous = Client().get("/work/performance/?format=csv&table=procedures-running")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_another_agencys_official_sees_none_of_these_figures(office: Office, figures: None) -> None:
    page = _get(office.outsider).content.decode()
    assert "Review the application" not in page and "Certificate of residence" not in page
    assert "No figures for this choice." in page
    csv_rows = _get(office.outsider, f"{MARCH}&format=csv&table=procedures-running").content
    assert csv_rows.decode("utf-8-sig").splitlines() == ["Procedure,Count"]


def test_the_page_is_linked_from_the_procedures_and_the_workspace(office: Office, figures: None) -> None:
    client = _client(office.head)
    assert 'href="/work/performance/' in client.get("/work/procedures/").content.decode()
    assert 'href="/work/performance/' in client.get("/work/").content.decode()


def test_a_name_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(
    office: Office, files_dir: Path
) -> None:
    service = make_service(unit=office.unit, actor=office.admin, name_en='=HYPERLINK("http://x.example")')
    with clock.frozen(T0):
        submit(service, PersonFactory(username="citizen", is_citizen=True))
    response = _get(office.head, f"{MARCH}&format=csv&table=services-running")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ['\'=HYPERLINK("http://x.example")', "1"]


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", ("2026-04", "2027-03")),  # the last twelve months, this one included
        ("from=2027-03&to=2026-12", ("2026-12", "2027-03")),  # the wrong way round
        ("from=March&to=2027-13", ("2026-04", "2027-03")),  # not months: the default
        ("from=1990-01&to=2027-03", ("2017-04", "2027-03")),  # at most ten years
    ],
)
def test_the_period_is_whole_months(office: Office, query: str, shown: tuple[str, str]) -> None:
    page = _get(office.head, query).content.decode()
    assert f'name="from" value="{shown[0]}"' in page and f'name="to" value="{shown[1]}"' in page
