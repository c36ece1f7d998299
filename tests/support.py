"""Helpers for journey tests: an API client with a bearer token, and one run of the worker."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.test import Client

from govdoc.accounts import services as accounts
from govdoc.accounts.models import Person
from govdoc.cli import demo_data
from govdoc.core import clock

PIN = demo_data.DEMO_SIGNING_PIN


def person(username: str) -> Person:
    return Person.objects.get(username=username)


class ApiClient:
    """An integrator calling the API with a bearer token issued to one person (or to a system
    account, with ``scopes`` such as ``issue:<service code>``)."""

    def __init__(self, username: str, *, scopes: tuple[str, ...] = ()) -> None:
        self.token_obj, self.token = accounts.api_token_issue(
            person=person(username),
            name="journey test",
            expires_at=clock.now() + dt.timedelta(days=30),
            scopes=scopes,
            actor="test",
        )
        self.client = Client()

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", **self._headers(), **kw)

    def post(self, path: str, data: Any = None, headers: dict[str, str] | None = None) -> Any:
        """A JSON body (and any extra request headers)."""
        return self.client.post(
            f"/api/v1{path}",
            data or {},
            content_type="application/json",
            headers=headers or {},
            **self._headers(),
        )

    def post_form(self, path: str, data: dict[str, Any]) -> Any:
        """A multipart form (with files)."""
        return self.client.post(f"/api/v1{path}", data, **self._headers())

    def put(self, path: str, data: Any) -> Any:
        return self.client.put(f"/api/v1{path}", data, content_type="application/json", **self._headers())


def applications_sent(
    count: int, *, prefix: str, steps: list[dict[str, Any]] | None = None
) -> dict[str, str]:
    """``count`` citizens of the demo apply for the residence certificate, the head of unit
    assigns each to the handler, who sends it on ``steps`` (the service's default line when
    None). Returns {application id: the applicant's name}."""
    from govdoc.applications import selectors as apps
    from govdoc.applications.services import applications as app_services
    from govdoc.applications.services import decisions
    from govdoc.applications.specs import UploadedFileData
    from govdoc.signatures.tests.conftest import make_sample_pdf

    service = apps.service_by_code("uverenje-o-prebivalistu")
    assert service is not None
    head_unit, handler = person("head-unit"), person("handler")
    scan = make_sample_pdf("LK")
    applicant_of: dict[str, str] = {}
    for n in range(count):
        first, last = f"Građanin{n:03d}", f"Prezimenić{n:03d}"
        citizen = accounts.person_create(
            username=f"{prefix}{n:03d}",
            password=None,
            first_name=first,
            last_name=last,
            is_citizen=True,
            actor="t",
        )
        application = app_services.application_submit(
            service=service,
            applicant=citizen,
            data={
                "ime_prezime": f"{first} {last}",
                "jmbg": f"{n:013d}",
                "adresa": f"Ulica {n}",
                "opstina": "Vračar",
                "svrha": "radi zaposlenja",
            },
            files=[UploadedFileData(rule_key="licna_karta", filename="lk.pdf", content=scan)],
            script="sr-latn",
            actor=citizen,
        )
        app_services.application_assign(application=application, handler=handler, actor=head_unit)
        decisions.decision_send_to_approval(application=application, steps=steps, actor=handler)  # type: ignore[arg-type]
        applicant_of[str(application.pk)] = f"{first} {last}"
    return applicant_of


def run_worker() -> None:
    """What ``govdoc worker`` does, once: take every queued task from the database and run it."""
    call_command("db_worker", batch=True, verbosity=0)


def run_worker_processes(count: int) -> list[str]:
    """``count`` worker processes at once against the test database, each draining the queue
    (``db_worker --batch``): what several ``govdoc worker`` machines do. Returns their stderr
    for any that failed."""
    import os
    import subprocess
    import sys

    from django.db import connection

    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
    env = {**os.environ, "GOVDOC_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "govdoc.settings"}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django",
                "db_worker",
                "--batch",
                "--no-startup-delay",
                "--interval",
                "0.1",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    failed = []
    for worker in workers:
        _, stderr = worker.communicate(timeout=1800)
        if worker.returncode != 0:
            failed.append(stderr[-2000:])
    return failed


def pdf_text(pdf: bytes) -> str:
    """The text a reader sees in ``pdf`` (poppler's pdftotext), whitespace collapsed."""
    import os
    import shutil
    import subprocess
    import tempfile

    import pytest

    if shutil.which("pdftotext") is None:
        if os.environ.get("GOVDOC_REQUIRE_TOOLS") == "1":
            pytest.fail("pdftotext (poppler-utils) is required (GOVDOC_REQUIRE_TOOLS=1)")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", handle.name, "-"], capture_output=True, text=True, check=True
        ).stdout
    return " ".join(out.split())


def stored_files(folder: Path) -> list[Path]:
    """Every file under a test's private file store (the ``files_dir`` fixture)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def second_factor_code(username: str) -> str:
    """A code the authenticator app of a demo official shows now that GovDoc has not accepted
    yet (a code is accepted once; the next time step's code is accepted a step early)."""
    from govdoc.accounts import totp
    from govdoc.accounts.models import SecondFactor
    from govdoc.accounts.second_factor import demo_secret

    factor = SecondFactor.objects.get(person__username=username)
    current = totp.step_at(clock.now().timestamp())
    step = next(s for s in (current - 1, current, current + 1) if s > factor.last_step)
    return totp.hotp(totp.secret_bytes(demo_secret(username)), step)


def login_through_pages(client: Client, username: str, password: str = demo_data.DEMO_PASSWORD) -> Client:
    """Log a demo person in to a test client the way a person does: password, then (officials)
    the code from the authenticator app."""
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    if response["Location"] == "/login/code/":
        response = client.post("/login/code/", {"code": second_factor_code(username)})
        assert response.status_code == 302, response.content.decode()[:500]
    return client


def browser_login(page: Any, base: str, username: str, password: str = demo_data.DEMO_PASSWORD) -> None:
    """The same in a real browser (Playwright page): the log-in form, then the code page."""
    page.goto(f"{base}/login/")
    page.get_by_label("Korisničko ime").fill(username)
    page.get_by_label("Lozinka", exact=True).fill(password)
    page.get_by_role("button", name="Prijavi se").click()
    page.wait_for_load_state()
    if page.url.endswith("/login/code/"):
        page.get_by_label("Kod", exact=True).fill(second_factor_code(username))
        page.get_by_role("button", name="Potvrdi").click()


def log_in(client: Client, person: Person) -> Client:
    """Log ``person`` in to a test client as GovDoc's log-in does after both factors (for tests
    that are not about logging in; those go through /login/, see ``login_through_pages``)."""
    from govdoc.accounts import sessions

    client.force_login(person)
    session = client.session
    session[sessions.MARKER] = sessions.marker_for(person, factors=["password", "totp"])
    session.save()
    return client


def tool(name: str) -> str:
    """The path of an external tool; skips the test when it is missing (fails when
    GOVDOC_REQUIRE_TOOLS=1, as in CI)."""
    import os
    import shutil

    import pytest

    path = shutil.which(name)
    if path is None:
        if os.environ.get("GOVDOC_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{name} is required (GOVDOC_REQUIRE_TOOLS=1) but not installed")
        pytest.skip(f"{name} is not installed")
    return path
