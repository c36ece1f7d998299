"""Issue N certificates end to end two ways, in the same run, and compare documents per second.

1. GovDoc through its API: each document is one HTTP request ``POST /api/v1/issued`` with a
   bearer token (an agency's system issuing a service's certificate) to a real ``waitress``
   server on 127.0.0.1 that this script starts (the WSGI application ``govdoc serve`` runs: all
   middleware, token auth, body parsing and validation against the service's form schema, the
   endpoint), answered 201 once the signed PDF is stored. Behind it: registry number, data file,
   signed QR payload, PDF/A-3b typeset by Typst from the service's template (one compiler per
   thread, the QR code drawn as vectors from a fixed-mask matrix), e-seal as a certified
   PAdES B-LTA signature with the local TSA, the sealed version stored and registered, audit
   events. Measured with one server process (and one client), and with ``--processes`` server
   processes (default 2), each on its own port, with as many client threads sending to them at
   once (what a proxy in front of several server processes does). Every server is warmed up
   (one request per server thread) before the clock starts: a server's workers stay warm.
   In the one-process run the two pipelines take turns, one document each, so load from
   elsewhere on a shared machine hits both alike. CPU time per document (server processes, the
   local PostgreSQL backends serving them, and the client) is printed because it moves less
   than wall time.
2. The naive floor: a bare script that for each document fills the same template (compiled
   anew), makes the QR code with segno's default mask scoring, renders with WeasyPrint (new
   objects, new font configuration) and signs with pyHanko used naively — ``SimpleSigner.load``
   from the key file, no ``bytes_reserved`` (a dry-run signature to size it), a new timestamper
   and a new validation context per document — certified, B-LT (no archive timestamp: one
   revision less than GovDoc's B-LTA). It writes nothing to any database, so it is a floor:
   GovDoc does more work per document.

``--stages`` times each part of ``document_issue`` in this process (registry number, QR, render,
e-seal, storing), wall and CPU time: where the time goes.

The ratios printed at the end: GovDoc's docs/s over the naive floor's (1 and N server
processes), and the naive floor's CPU per document over GovDoc's (1 and N processes; GovDoc's
includes its server processes, the client and the local PostgreSQL backends).

``--direct`` adds the rows of the earlier version of this script: ``issuance.services.
document_issue`` called in-process (no HTTP, no form validation), in 1 and N worker processes.

Database: PostgreSQL when ``GOVDOC_DATABASE_URL`` is set (migrated if needed), else SQLite in
a temporary ``GOVDOC_HOME``; the development PKI is made there on first use.

    .venv/bin/python bench/bench_issuance.py -n 40
    GOVDOC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gd_bench .venv/bin/python bench/bench_issuance.py
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import logging
import multiprocessing as mp
import os
import queue
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# GovDoc's service template (Typst markup, docs/adr/0008) and the same text as the HTML template
# of the naive pipeline.
TEMPLATE = """
= Uverenje o prebivalištu

Na osnovu člana 12. Zakona o prebivalištu i boravištu građana izdaje se

== UVERENJE

kojim se potvrđuje da *#holder_name*, JMBG #data.jmbg,
ima prebivalište na adresi: #data.address.

Uverenje se izdaje na lični zahtev radi ostvarivanja prava kod nadležnih organa.

#table(columns: 2, stroke: none, ..data.rows.flatten())
"""

NAIVE_TEMPLATE = """
<h1>Uverenje o prebivalištu</h1>
<p>Na osnovu člana 12. Zakona o prebivalištu i boravištu građana izdaje se</p>
<h2>UVERENJE</h2>
<p>kojim se potvrđuje da <strong>{{ holder_name }}</strong>, JMBG {{ data.jmbg }},
ima prebivalište na adresi: {{ data.address }}.</p>
<p>Uverenje se izdaje na lični zahtev radi ostvarivanja prava kod nadležnih organa.</p>
<table>{% for row in data.rows %}<tr><td>{{ row.0 }}</td><td>{{ row.1 }}</td></tr>{% endfor %}</table>
"""

NAIVE_PAGE = """<!DOCTYPE html><html lang="sr-Latn"><head><meta charset="utf-8"><title>Uverenje</title>
<style>
@page { size: A4; margin: 24mm 18mm 22mm 18mm;
  @top-right { content: "Broj: {{ registry_number }}"; font: 8.5pt "DejaVu Sans"; }
  @bottom-left { content: "{{ registry_number }}"; font: 8.5pt "DejaVu Sans"; }
  @bottom-right { content: "Strana " counter(page) " od " counter(pages); font: 8.5pt "DejaVu Sans"; } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; }
.seal { display: table; width: 100%; margin-top: 10mm; border: 0.4mm solid #1f3b73; }
.seal > div { display: table-cell; vertical-align: middle; padding: 4mm; }
.seal img { width: 42mm; height: 42mm; image-rendering: pixelated; }
</style></head><body>BODY
<section class="seal"><div>{{ qr }}</div><div>
<p><strong>Ovaj dokument je elektronski potpisan / This document is signed electronically</strong></p>
<p>Elektronski pečat: {{ agency_name }}</p><p>Verifikacioni kod: {{ code }}</p>
<p>Proverite na: {{ url }}</p></div></section></body></html>"""


def _data(i: int) -> dict[str, Any]:
    return {
        "jmbg": f"{1010990710000 + i:013d}",
        "address": f"Njegoševa {i % 90 + 1}, Beograd",
        "rows": [["Opština", "Vračar"], ["Datum prijave", "2019-05-14"], ["Osnov", "Lični zahtev"]],
    }


# ------------------------------------------------------------------ setup


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdoc.settings")
    import django

    django.setup()
    logging.disable(logging.WARNING)


# The bench service's form: what ``_data`` gives (the API checks every request against it).
FORM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "jmbg": {"type": "string", "pattern": "^[0-9]{13}$"},
        "address": {"type": "string", "minLength": 5, "maxLength": 200},
        "rows": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
        },
    },
    "required": ["jmbg", "address", "rows"],
    "additionalProperties": False,
}


def prepare(n_recipients: int) -> dict[str, Any]:
    """Migrate, and make a bench agency, a system account with a scoped API token, a service with the
    bench template and recipients; returns their ids, the service code and the token."""
    import datetime as dt

    from django.core.management import call_command

    from govdoc.accounts.models import Agency, Person, Unit
    from govdoc.accounts.services import api_token_issue, system_account_create
    from govdoc.applications.models import Service
    from govdoc.core import clock
    from govdoc.signatures import keyring

    call_command("migrate", verbosity=0)
    code = f"bench{secrets.token_hex(3)}"
    agency = Agency.objects.create(code=code, name="Ministarstvo unutrašnjih poslova")
    unit = Unit.objects.create(agency=agency, code="uprava", name="Uprava")
    # Direct issuance is for an agency's system account with a token scoped to the service.
    official = system_account_create(
        unit=unit, username=f"{code}-system", name="Bench counter", actor="bench"
    )
    recipients = Person.objects.bulk_create(
        [
            Person(username=f"{code}-c{i}", first_name="Ana", last_name=f"Jovanović {i}", is_citizen=True)
            for i in range(n_recipients)
        ]
    )
    now = clock.now()
    service = Service.objects.create(
        code=f"{code}-uverenje",
        name="Uverenje o prebivalištu",
        name_cyrl="Уверење о пребивалишту",
        name_en="Certificate of residence",
        agency=agency,
        unit=unit,
        form_schema=FORM_SCHEMA,
        deadline_working_days=8,
        output_title="Uverenje o prebivalištu",
        output_title_cyrl="Уверење о пребивалишту",
        output_title_en="Certificate of residence",
        output_template=TEMPLATE,
        output_doc_type="uverenje",
        classification_code="02-05",
        direct_issuance=True,
        direct_issuance_legal_basis="Zakon o prebivalištu i boravištu građana, čl. 25",
        created_at=now,
        updated_at=now,
    )
    _, token = api_token_issue(
        person=official,
        name="bench",
        expires_at=now + dt.timedelta(days=1),
        scopes=[f"issue:{service.code}"],
        actor="bench",
    )
    keyring.eseal_key(code, name=agency.name)  # the PKI and the e-seal exist before timing
    return {
        "agency": str(agency.pk),
        "official": str(official.pk),
        "recipients": [str(r.pk) for r in recipients],
        "service": service.code,
        "token": token,
        "run": code,
    }


# ------------------------------------------------------------------ GovDoc


def _govdoc_issue(ids: dict[str, Any], recipient_id: str, i: int) -> bytes:
    from govdoc.accounts.constants import Script
    from govdoc.accounts.models import Agency, Person
    from govdoc.issuance.services import document_issue

    agency = Agency.objects.get(pk=ids["agency"])
    issued = document_issue(
        agency=agency,
        recipient=Person.objects.get(pk=recipient_id),
        title="Uverenje o prebivalištu",
        template_html=TEMPLATE,
        context={},
        data=_data(i),
        script=Script.LATIN,
        valid_until=None,
        actor=Person.objects.get(pk=ids["official"]),
        doc_type="uverenje",
        classification_code="02-05",
    )
    return issued.pdf_sha256.encode()


def _worker(ids: dict[str, Any], recipient_ids: list[str], barrier: Any, results: Any) -> None:
    django_setup()
    _govdoc_issue(ids, recipient_ids[0], 0)  # warm-up: imports, keys, fonts, template
    barrier.wait()
    cpu = time.process_time()
    for i, recipient_id in enumerate(recipient_ids[1:], start=1):
        _govdoc_issue(ids, recipient_id, i)
    results.put(time.process_time() - cpu)
    from django.db import connections

    connections.close_all()


def govdoc_processes(ids: dict[str, Any], n: int, processes: int) -> tuple[float, float]:
    """docs/s and CPU ms per document (workers and database) with ``processes`` warm workers."""
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    timed, warm = ids["recipients"][:n], ids["recipients"][n : n + processes]
    workers = [
        ctx.Process(target=_worker, args=(ids, [warm[k], *timed[k::processes]], barrier, results))
        for k in range(processes)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    started, database = time.perf_counter(), _database_cpu()
    cpu = [results.get(timeout=900) for _ in workers]
    elapsed = time.perf_counter() - started
    cpu.append(_database_cpu() - database)
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"a worker failed (exit code {worker.exitcode})")
    return n / elapsed, sum(cpu) / n * 1000


# ------------------------------------------------------------------ GovDoc through its API


def _serve(ready: Any, threads: int) -> None:
    """One server process: the WSGI application ``govdoc serve`` runs, on a free port."""
    django_setup()
    from waitress.server import create_server

    from govdoc.wsgi import application

    server = create_server(application, host="127.0.0.1", port=0, threads=threads, ident="GovDoc")
    ready.put((os.getpid(), server.effective_port))
    server.run()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _database_cpu() -> float:
    """CPU seconds of the local PostgreSQL backends serving the bench database (their process
    titles name it), so GovDoc's CPU per document includes the database's share. 0 on SQLite
    (in-process) or a remote server."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor != "postgresql" or settings.get("HOST") not in ("127.0.0.1", "localhost", ""):
        return 0.0
    marker = f" {settings['NAME']} "
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if title.startswith("postgres:") and marker in title:
                total += _cpu_seconds(int(proc.name))
        except OSError:  # the process ended meanwhile
            continue
    return total


class Servers:
    """``count`` waitress server processes on 127.0.0.1, each on its own port."""

    def __init__(self, count: int, threads: int) -> None:
        from django.db import connections

        connections.close_all()
        ctx = mp.get_context("spawn")
        ready = ctx.Queue()
        self.threads = threads
        self.processes = [
            ctx.Process(target=_serve, args=(ready, threads), daemon=True) for _ in range(count)
        ]
        for process in self.processes:
            process.start()
        self.endpoints: list[tuple[int, int]] = []
        deadline = time.monotonic() + 120
        while len(self.endpoints) < count:
            try:
                self.endpoints.append(ready.get(timeout=0.5))
            except queue.Empty:
                if time.monotonic() > deadline or not all(p.is_alive() for p in self.processes):
                    self.stop()
                    raise SystemExit("a server process did not start") from None

    @property
    def ports(self) -> list[int]:
        return [port for _, port in self.endpoints]

    def cpu(self) -> float:
        """CPU seconds of the server processes and of the database server working for them."""
        return sum(_cpu_seconds(pid) for pid, _ in self.endpoints) + _database_cpu()

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join(timeout=30)


class ApiClient:
    """An agency's system: one keep-alive HTTP connection, a bearer token."""

    def __init__(self, port: int, ids: dict[str, Any]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.ids = ids
        self.headers = {"Authorization": f"Bearer {ids['token']}", "Content-Type": "application/json"}

    def issue(self, recipient_id: str, i: int) -> dict[str, Any]:
        body = {
            "service": self.ids["service"],
            "recipient_id": recipient_id,
            "data": _data(i),
            "script": "sr-latn",
        }
        self.connection.request("POST", "/api/v1/issued", body=json.dumps(body), headers=self.headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 201:
            raise SystemExit(f"POST /api/v1/issued answered {response.status}: {payload[:500]!r}")
        answer: dict[str, Any] = json.loads(payload)
        return answer

    def issue_batch(self, chunk: list[tuple[str, int]]) -> list[dict[str, Any]]:
        """``POST /api/v1/issued/batch`` with a document for each (recipient, i)."""
        body = {
            "service": self.ids["service"],
            "documents": [
                {
                    "recipient_id": recipient_id,
                    "data": _data(i),
                    "script": "sr-latn",
                    "idempotency_key": f"{self.ids['run']}-{i}-{secrets.token_hex(4)}",
                }
                for recipient_id, i in chunk
            ],
        }
        self.connection.request("POST", "/api/v1/issued/batch", body=json.dumps(body), headers=self.headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"POST /api/v1/issued/batch answered {response.status}: {payload[:500]!r}")
        answered: list[dict[str, Any]] = json.loads(payload)["documents"]
        if [d["outcome"] for d in answered] != ["issued"] * len(chunk):
            raise SystemExit(f"the batch was not issued: {[d['error'] for d in answered]}")
        return answered

    def pdf(self, issued_id: str) -> bytes:
        self.connection.request("GET", f"/api/v1/issued/{issued_id}/pdf", headers=self.headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"GET the PDF answered {response.status}")
        return payload


def _warm(servers: Servers, ids: dict[str, Any], recipients: list[str]) -> None:
    """One request per server thread, all at once, so every thread has its connection."""
    jobs = [
        threading.Thread(target=lambda p=port, r=rid: ApiClient(p, ids).issue(r, 0))
        for k, port in enumerate(servers.ports)
        for rid in recipients[k * servers.threads : (k + 1) * servers.threads]
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()


def api_processes(
    ids: dict[str, Any], n: int, processes: int, threads: int, batch: int = 0
) -> tuple[float, float]:
    """docs/s and CPU ms per document (servers + client) with ``processes`` warm server
    processes and as many client threads sending at once; with ``batch``, each request
    carries that many documents (``POST /api/v1/issued/batch``)."""
    servers = Servers(processes, threads)
    timed, warm = ids["recipients"][:n], ids["recipients"][n:]
    try:
        _warm(servers, ids, warm)
        barrier = threading.Barrier(processes + 1)
        failures: list[BaseException] = []

        def client(k: int) -> None:
            api = ApiClient(servers.ports[k], ids)
            barrier.wait()
            try:
                share = [(recipient_id, i) for i, recipient_id in list(enumerate(timed))[k::processes]]
                if batch:
                    for start in range(0, len(share), batch):
                        api.issue_batch(share[start : start + batch])
                else:
                    for recipient_id, i in share:
                        api.issue(recipient_id, i)
            except BaseException as exc:
                failures.append(exc)

        jobs = [threading.Thread(target=client, args=(k,)) for k in range(processes)]
        for job in jobs:
            job.start()
        cpu_servers, cpu_client = servers.cpu(), time.process_time()
        barrier.wait()
        started = time.perf_counter()
        for job in jobs:
            job.join()
        elapsed = time.perf_counter() - started
        cpu = servers.cpu() - cpu_servers + time.process_time() - cpu_client
        if failures:
            raise SystemExit(f"a client failed: {failures[0]}")
    finally:
        servers.stop()
    return n / elapsed, cpu / n * 1000


# ------------------------------------------------------------------ the naive floor


def naive_one(i: int, *, agency_code: str, agency_name: str) -> bytes:
    """One certificate the way a bare script would do it: everything made anew."""
    import segno
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from django.conf import settings
    from django.template import Context, Engine
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import DummyTimeStamper
    from pyhanko_certvalidator import ValidationContext
    from weasyprint import HTML, Attachment

    from govdoc.core.jsontypes import canonical_json
    from govdoc.signatures import keyring

    store = keyring.pki()
    number = f"{agency_code.upper()}-2026-{i + 1:06d}"
    code = f"NAIV-E{i:03d}-0000-0000"[:19]
    url = f"{settings.PUBLIC_URL}/verify/{code}"
    data = canonical_json({"verification_code": code, "registry_number": number, "data": _data(i)})
    # the same QR image as GovDoc's (a PNG, one pixel per module), but with segno's default
    # mask scoring; the payload part stands in for a signed one of the same length
    uri = segno.make(url + "#p=" + "x" * 420, error="m").png_data_uri(scale=1, border=4)
    qr = f'<img src="{uri}" alt="QR">'
    body = (
        Engine(autoescape=True)
        .from_string(NAIVE_TEMPLATE)
        .render(Context({"holder_name": f"Ana Jovanović {i}", "data": _data(i)}))
    )
    page = Engine(autoescape=True).from_string(NAIVE_PAGE.replace("BODY", body))
    html = page.render(
        Context(
            {"registry_number": number, "qr": qr, "agency_name": agency_name, "code": code, "url": url},
            autoescape=False,
        )
    )
    pdf = HTML(string=html).write_pdf(
        pdf_variant="pdf/a-3b", attachments=[Attachment(string=data, name="data.json", relationship="Data")]
    )

    cert_path, key_path = store.agency_paths(agency_code)
    signer = signers.SimpleSigner.load(
        str(key_path),
        str(cert_path),
        ca_chain_files=[str(store.folder / "root.crt.pem")],
        key_passphrase=settings.GOVDOC_KEY_PASSPHRASE.encode(),
    )
    tsa = store.tsa()
    der = serialization.Encoding.DER
    timestamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.certificate.public_bytes(der)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            tsa.private_key.private_bytes(
                der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        certs_to_embed=None,
    )
    context = ValidationContext(
        trust_roots=[load_cert_from_pemder(str(store.folder / "root.crt.pem"))],
        crls=[store.crl_der()],
        allow_fetching=False,
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        embed_validation_info=True,
        validation_context=context,
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, timestamper=timestamper
    )
    return bytes(out.getvalue())


class Tally:
    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu = 0.0

    def run(self, func: Any, other_cpu: Any = lambda: 0.0) -> Any:
        """Time ``func``; ``other_cpu`` reads the CPU time of processes working for it."""
        cpu, other, t0 = time.process_time(), other_cpu(), time.perf_counter()
        result = func()
        self.wall.append(time.perf_counter() - t0)
        self.cpu += time.process_time() - cpu + other_cpu() - other
        return result

    def rate(self) -> float:
        return len(self.wall) / sum(self.wall)

    def median_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    def cpu_ms(self) -> float:
        return self.cpu / len(self.wall) * 1000


def one_process(
    ids: dict[str, Any], n: int, *, agency_code: str, agency_name: str, threads: int
) -> tuple[Tally, Tally, bytes, bytes]:
    """The naive floor in this process and GovDoc through the API with one server process, one
    document of each in turn, so both see the same machine (other load on a shared machine
    moves both alike). Returns the tallies and the last PDF of each."""
    servers = Servers(1, threads)
    try:
        naive_one(0, agency_code=agency_code, agency_name=agency_name)  # warm-up: imports
        _warm(servers, ids, ids["recipients"][n:])
        api = ApiClient(servers.ports[0], ids)
        naive, govdoc = Tally(), Tally()
        naive_pdf, answer = b"", {}
        for i in range(n):
            naive_pdf = naive.run(lambda i=i: naive_one(i, agency_code=agency_code, agency_name=agency_name))
            answer = govdoc.run(lambda i=i: api.issue(ids["recipients"][i], i), servers.cpu)
        govdoc_pdf = api.pdf(answer["id"])
    finally:
        servers.stop()
    return naive, govdoc, naive_pdf, govdoc_pdf


STAGES = (
    # (label, module, function): the parts of ``issuance.services.document_issue``, in order
    ("registry number, rows, audit", "govdoc.issuance.services", "_issue_begin"),
    ("QR matrix and path", "govdoc.issuance.rendering", "_qr"),
    ("render incl. QR (Typst)", "govdoc.issuance.rendering", "document_pdf"),
    ("e-seal B-LTA (signatures/)", "govdoc.issuance.services", "pdf_seal"),
    ("store, seal version, audit", "govdoc.issuance.services", "_issue_complete"),
)


def stages(ids: dict[str, Any], n: int) -> dict[str, tuple[float, float]]:
    """(wall ms, CPU ms) per document of each part of ``document_issue`` (in this process, warm).
    CPU is this process's: on PostgreSQL the database server's share is not in it."""
    import importlib

    labels = [label for label, _, _ in STAGES]
    spent: dict[str, list[float]] = {label: [0.0, 0.0] for label in labels}
    originals = []
    for label, module_name, name in STAGES:
        module = importlib.import_module(module_name)
        original = getattr(module, name)
        originals.append((module, name, original))

        def timed(*args: Any, _f: Any = original, _label: str = label, **kwargs: Any) -> Any:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_label][0] += time.perf_counter() - t0
                spent[_label][1] += time.process_time() - c0

        setattr(module, name, timed)
    try:
        _govdoc_issue(ids, ids["recipients"][n], 0)  # warm-up
        for label in labels:
            spent[label] = [0.0, 0.0]
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(n):
            _govdoc_issue(ids, ids["recipients"][i], i)
        total = (time.perf_counter() - t0, time.process_time() - c0)
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    result = {label: (wall / n * 1000, cpu / n * 1000) for label, (wall, cpu) in spent.items()}
    result["document_issue in all"] = (total[0] / n * 1000, total[1] / n * 1000)
    return result


def direct_one_process(ids: dict[str, Any], n: int) -> Tally:
    """``issuance.services.document_issue`` called in this process (no HTTP)."""
    _govdoc_issue(ids, ids["recipients"][n], 0)  # warm-up: imports, keys, fonts, template
    tally = Tally()
    for i in range(n):
        tally.run(lambda i=i: _govdoc_issue(ids, ids["recipients"][i], i), _database_cpu)
    return tally


# ------------------------------------------------------------------ main


def _line(label: str, rate: float, cpu_ms: float, median_ms: float | None = None) -> None:
    median = f"median {median_ms:6.1f} ms" if median_ms is not None else " " * 16
    print(f"  {label:<24} {rate:6.2f} docs/s   {median}   CPU {cpu_ms:6.1f} ms/doc")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=40, help="documents per pipeline (default 40)")
    parser.add_argument("--processes", type=int, default=2, help="GovDoc server processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per server process (default 4)")
    parser.add_argument(
        "--batch",
        type=int,
        default=20,
        help="documents per request of the batch rows (POST /api/v1/issued/batch; default 20, 0: none)",
    )
    parser.add_argument(
        "--direct", action="store_true", help="also issue in-process without the API (1 and N processes)"
    )
    parser.add_argument(
        "--stages", action="store_true", help="also time each part of document_issue in-process"
    )
    args = parser.parse_args(argv)

    own_home = None
    if "GOVDOC_HOME" not in os.environ:
        own_home = tempfile.TemporaryDirectory(prefix="govdoc-bench-issuance-")
        os.environ["GOVDOC_HOME"] = own_home.name
    django_setup()
    from django.db import connection

    from govdoc.accounts.models import Agency
    from govdoc.signatures.selectors import pdf_verify

    n, p, t = args.n, args.processes, args.threads
    warm_1, warm_p = t, p * t
    # recipients: [one-process timed + warm][N-process timed + warm][direct 1 + warm][direct N + warm]
    sizes = [n + warm_1, n + warm_p, n + 1, n + p, n + 1]
    ids = prepare(sum(sizes))
    slices, start = [], 0
    for size in sizes:
        slices.append(ids["recipients"][start : start + size])
        start += size
    agency = Agency.objects.get(pk=ids["agency"])
    print(
        f"{n} one-page certificates per pipeline; database {connection.vendor}; "
        f"GOVDOC_HOME {os.environ['GOVDOC_HOME']}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}"
    )
    print(
        "PDF/A-3b + QR + embedded data.json, certified PAdES (ECDSA e-seal, local TSA); "
        "GovDoc: Typst and B-LTA, the naive pipeline: WeasyPrint and B-LT"
    )
    print(f"GovDoc: POST /api/v1/issued over HTTP to waitress on 127.0.0.1, {t} threads per server process")

    naive, govdoc, naive_pdf, govdoc_pdf = one_process(
        {**ids, "recipients": slices[0]}, n, agency_code=agency.code, agency_name=agency.name, threads=t
    )
    _line("naive floor, 1 process", naive.rate(), naive.cpu_ms(), naive.median_ms())
    _line("GovDoc API, 1 process", govdoc.rate(), govdoc.cpu_ms(), govdoc.median_ms())
    n_rate, g1_rate = naive.rate(), govdoc.rate()
    gp_rate, gp_cpu = api_processes({**ids, "recipients": slices[1]}, n, p, t)
    _line(f"GovDoc API, {p} processes", gp_rate, gp_cpu)
    b_rates: list[tuple[int, float]] = []
    if args.batch:
        for count in sorted({1, p}):
            rate, cpu = api_processes({**ids, "recipients": slices[1]}, n, count, t, batch=args.batch)
            _line(f"GovDoc API batch {args.batch}, {count} pr.", rate, cpu)
            b_rates.append((count, rate))
    if args.direct:
        direct = direct_one_process({**ids, "recipients": slices[2]}, n)
        _line("direct call, 1 process", direct.rate(), direct.cpu_ms(), direct.median_ms())
        dp_rate, dp_cpu = govdoc_processes({**ids, "recipients": slices[3]}, n, p)
        _line(f"direct call, {p} processes", dp_rate, dp_cpu)
    if args.stages:
        print("document_issue in-process, per document (QR is part of render):")
        for label, (wall, cpu) in stages({**ids, "recipients": slices[4]}, n).items():
            print(f"  {label:<32} wall {wall:6.1f} ms   CPU {cpu:6.1f} ms")

    print(
        f"verdicts: naive output {pdf_verify(naive_pdf).state.value}; "
        f"GovDoc output (downloaded through the API) {pdf_verify(govdoc_pdf).state.value}"
    )
    print(
        f"ratio GovDoc API / naive (docs/s): 1 process x{g1_rate / n_rate:.2f}; "
        f"{p} processes x{gp_rate / n_rate:.2f}"
    )
    for count, rate in b_rates:
        print(
            f"ratio GovDoc API batches of {args.batch} / naive (docs/s): "
            f"{count} process(es) x{rate / n_rate:.2f}"
        )
    # Wall-clock rates move with whatever else the machine runs; CPU per document does not.
    print(
        f"ratio naive / GovDoc API CPU per document: 1 process x{naive.cpu_ms() / govdoc.cpu_ms():.2f}; "
        f"{p} processes x{naive.cpu_ms() / gp_cpu:.2f}"
    )
    print(f"load after the run: {os.getloadavg()[0]:.2f} (1 min)")
    if own_home is not None:
        own_home.cleanup()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.exit(main())
