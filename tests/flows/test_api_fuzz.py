"""Bad input never breaks the API: schemathesis generates valid and invalid requests for every
operation of /api/v1 (from its OpenAPI document) and sends them, in process, as a citizen and
as officials. Every answer must be documented (status, content type, body schema); every error
is problem+json (RFC 9457); no request is answered with a server error; a refused request
writes nothing.

One test runs every operation against one demo installation (``transactional_db``: each
request commits or rolls back on its own, as in production, so a request that fails in the
database cannot poison the requests after it). The generated path ids are mostly random, so a
share of them is swapped for ids that exist (an application, a document, officials), which
lets the fuzzer reach the services behind the 404s.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception
from django.db import connection
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from govdoc.accounts.models import Person, RateCount
from govdoc.audit.models import AuditEvent
from govdoc.documents.models import Document
from govdoc.documents.tests.samples import PDF, create_document
from govdoc.signatures.tests.conftest import make_sample_pdf
from tests.support import ApiClient, person

pytestmark = [pytest.mark.slow]

# per operation and generation mode (about 1,500 requests in all); raise it for a deeper run
EXAMPLES_PER_OPERATION = int(os.environ.get("GOVDOC_FUZZ_EXAMPLES", "20"))
# people, and the agency's counter system (a system account with a token scoped to issuing)
IDENTITIES = ("citizen", "handler", "head-unit", "mup-salter")
PROBLEM = "application/problem+json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# An official who opens an application is recorded as having viewed the applicant's personal
# data (GDPR art. 5(2)) before the service decides on the request: that record is kept even
# when the request is then refused, by design (audit.services.record_access).
ACCESS_RECORDS = "audit.personal_data_viewed"
# A refusal that matters to an IT security officer is audited, and nothing else is written.
# Every refused request (401/403) is itself a security event, and a token's use is recorded.
REFUSAL_RECORDS = (
    "applications.direct_issuance_refused",
    "applications.approval_line_refused",
    "accounts.api_token_refused",
    "accounts.api_token_used",
    "security.request_refused",
    "documents.upload_refused",
    "applications.attachment_refused",
)


def _rows() -> dict[str, int]:
    """Rows per GovDoc table (one query): what a refused request must leave as it was. Rate
    counters are left out: a refused request counts against the client's rate like any other
    (else bad requests would be free), and a new minute starts a new counter row."""
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model.__module__.startswith("govdoc.")
        and model not in (AuditEvent, RateCount)
        and model._meta.managed
    )
    quote = connection.ops.quote_name
    audit = quote(AuditEvent._meta.db_table)
    counts = [f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables]
    kept = [ACCESS_RECORDS, *REFUSAL_RECORDS]
    counts.append(f"(SELECT COUNT(*) FROM {audit} WHERE event NOT IN ({', '.join(['%s'] * len(kept))}))")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(counts), kept)
        row = cursor.fetchone()
    return dict(zip([*tables, AuditEvent._meta.db_table], row, strict=True))


def _problem_failures(response: Any) -> list[str]:
    """RFC 9457: an error answer is application/problem+json with type, title and status."""
    if response.status_code < 400:
        return []
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0]
    if content_type != PROBLEM:
        return [f"error with Content-Type {content_type!r}, not {PROBLEM}"]
    try:
        body = json.loads(response.content)
    except ValueError:
        return ["problem+json body is not JSON"]
    out = [f"problem+json without {key!r}" for key in ("type", "title", "status") if key not in body]
    if body.get("status") not in (None, response.status_code):
        out.append(f"problem status {body.get('status')} differs from HTTP {response.status_code}")
    errors = body.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, dict) and "field" in e for e in errors):
        out.append("problem errors is not a list of {field, message}")
    return out


class _ServerErrors:
    """The exception behind each 500, for the report (Django answers it, then forgets it)."""

    def __init__(self) -> None:
        self.last: str = ""

    def __call__(self, sender: Any, request: Any = None, **kwargs: Any) -> None:
        self.last = traceback.format_exc(limit=-12)

    @contextmanager
    def listening(self) -> Iterator[_ServerErrors]:
        got_request_exception.connect(self, weak=False)
        try:
            yield self
        finally:
            got_request_exception.disconnect(self)


def _seed() -> dict[str, list[Any]]:
    """Things that exist, so generated requests can hit them: one application (submitted by the
    citizen, with a real PDF attachment), one document of the MUP unit, the demo people, codes."""
    citizen = ApiClient("citizen")
    submitted = citizen.post_form(
        "/applications",
        {
            "service": "uverenje-o-prebivalistu",
            "data": json.dumps(
                {
                    "ime_prezime": "Ana Petrović",
                    "jmbg": "0101990710006",
                    "adresa": "Bulevar kralja Aleksandra 73",
                    "opstina": "Zvezdara",
                    "svrha": "radi zaposlenja",
                }
            ),
            "attachment_keys": ["licna_karta"],
            "files": [SimpleUploadedFile("lk.pdf", make_sample_pdf("Licna karta"), "application/pdf")],
        },
    )
    assert submitted.status_code == 201, submitted.content
    handler = person("handler")
    unit = handler.memberships.select_related("unit").get().unit
    document: Document = create_document(unit=unit, actor=handler)
    # an official's letter to the City of Belgrade, still a draft (distribution)
    letter = ApiClient("handler").post_form(
        "/outgoing",
        {
            "title": "Dopis",
            "kind": "dopis",
            "classification_code": "02-05",
            "disclosure": "public",
            "recipients": ["beograd/maticna"],
            "file": SimpleUploadedFile("dopis.pdf", PDF, "application/pdf"),
        },
    )
    assert letter.status_code == 201, letter.content
    people = [str(pk) for pk in Person.objects.values_list("pk", flat=True)]
    return {
        "uuid": [submitted.json()["id"], str(document.pk), letter.json()["id"], *people],
        "handler_id": people,
        "assignee_id": people,
        "recipient_id": people,
        "application": [submitted.json()["id"]],
        "agency": [unit.agency.code],
        "owner_unit": [unit.code],
        "service": ["uverenje-o-prebivalistu"],
        "kind": ["dopis"],
        "recipients": [["beograd", "pravda/kaznena"]],
        "file": [PDF],  # a real PDF passes the content check, so the fields behind it are checked
    }


def _with_known_values(case: Any, known: dict[str, list[Any]], pick: int) -> None:
    """For about half the cases, put values that exist where the schema only says "a string" or
    "a uuid" (path ids, agency and unit codes, a service code), so the request gets past the
    lookups to the validation and the writes behind them."""
    if pick % 2:
        return
    for name, value in (case.path_parameters or {}).items():
        if _is_uuid(value):
            case.path_parameters[name] = known["uuid"][pick // 2 % len(known["uuid"])]
    if isinstance(case.body, dict):
        for name in case.body.keys() & known.keys():
            case.body[name] = known[name][pick // 2 % len(known[name])]


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _run_operation(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, dict[str, str]],
    known: dict[str, list[Any]],
    report: Callable[[str, str], None],
    server_errors: _ServerErrors,
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=dt.timedelta(seconds=10),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: each failure is reported as found
        database=None,
        suppress_health_check=list(HealthCheck),
        # The same examples on every run, so CI is repeatable; GOVDOC_FUZZ_RANDOM=1 explores new ones.
        derandomize=os.environ.get("GOVDOC_FUZZ_RANDOM") != "1",
    )
    @given(
        case=operation.as_strategy(generation_mode=mode),
        who=st.sampled_from(IDENTITIES),
        pick=st.integers(min_value=0, max_value=999),
    )
    def fuzz(case: Any, who: str, pick: int) -> None:
        _with_known_values(case, known, pick)
        server_errors.last = ""
        before = _rows()
        response = case.call(headers=headers[who])
        label = f"{operation.label} [{mode.value}]"
        try:
            case.validate_response(response, checks=CHECKS, headers=headers[who])
        except FailureGroup as group:
            for failure in group.exceptions:
                detail = failure.title
                if response.status_code >= 500 and server_errors.last:
                    detail += "\n" + server_errors.last
                report(
                    f"{label}: {failure.title} (HTTP {response.status_code})",
                    f"{detail} (as {who})\n{case.as_curl_command(headers=headers[who])}",
                )
        for problem in _problem_failures(response):
            report(f"{label}: {problem}", case.as_curl_command(headers=headers[who]))
        if response.status_code >= 400:
            after = _rows()
            changed = {k: (v, after[k]) for k, v in before.items() if after[k] != v}
            if changed:
                report(
                    f"{label}: HTTP {response.status_code} but rows changed: {sorted(changed)}",
                    f"{changed}\n{case.as_curl_command(headers=headers[who])}",
                )

    try:
        fuzz()
    except Unsatisfiable:
        # nothing to make invalid (no parameters, no body): only the valid requests are sent
        assert not mode.is_positive


def test_bad_input_never_breaks_the_api(demo: None) -> None:
    known = _seed()
    scopes = {"mup-salter": ("issue:uverenje-o-prebivalistu",)}
    headers = {
        who: {"Authorization": f"Bearer {ApiClient(who, scopes=scopes.get(who, ())).token}"}
        for who in IDENTITIES
    }
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())

    found: dict[str, str] = {}

    def report(key: str, detail: str) -> None:
        found.setdefault(key, detail)

    server_errors = _ServerErrors()
    with server_errors.listening():
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _run_operation(operation, mode, headers, known, report, server_errors)

    assert not found, "\n\n".join(f"{key}\n{detail}" for key, detail in sorted(found.items()))
