"""Issue N certificates end to end two ways, in the same run, and compare documents per second.

1. GovDoc: ``issuance.services.document_issue`` — registry number, data file, signed QR
   payload, PDF/A-3b from the service template (compiled once), e-seal as a certified PAdES
   B-LT signature with the local TSA (key kept, ``bytes_reserved``, one timestamper, trust
   parsed once), the sealed version stored and registered, audit events. Run in one process
   and in ``--processes`` worker processes (default: the number of CPUs), each warmed up with
   one document before the clock starts (a server's workers stay warm). In one process the
   two pipelines take turns, one document each, so load from elsewhere on a shared machine
   hits both alike; CPU time per document is printed because it moves less than wall time.
2. The naive floor: a bare script that for each document fills the same template (compiled
   anew), makes the QR code with segno's default mask scoring, renders with WeasyPrint (new
   objects, new font configuration) and signs with pyHanko used naively — ``SimpleSigner.load``
   from the key file, no ``bytes_reserved`` (a dry-run signature to size it), a new timestamper
   and a new validation context per document — at the same level (certified, B-LT). It writes
   nothing to any database, so it is a floor: GovDoc does more work per document.

Database: PostgreSQL when ``GOVDOC_DATABASE_URL`` is set (migrated if needed), else SQLite in
a temporary ``GOVDOC_HOME``; the development PKI is made there on first use.

    .venv/bin/python bench/bench_issuance.py -n 40
    GOVDOC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gd_bench .venv/bin/python bench/bench_issuance.py
"""

from __future__ import annotations

import argparse
import io
import logging
import multiprocessing as mp
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TEMPLATE = """
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


def prepare(n_recipients: int) -> dict[str, Any]:
    """Migrate, and make a bench agency, an official and recipients; returns their ids."""
    from django.core.management import call_command

    from govdoc.accounts.constants import Role
    from govdoc.accounts.models import Agency, Membership, Person, Unit
    from govdoc.signatures import keyring

    call_command("migrate", verbosity=0)
    code = f"bench{secrets.token_hex(3)}"
    agency = Agency.objects.create(code=code, name="Ministarstvo unutrašnjih poslova")
    unit = Unit.objects.create(agency=agency, code="uprava", name="Uprava")
    official = Person.objects.create(username=f"{code}-handler", first_name="Petar", last_name="Petrović")
    import datetime as dt

    Membership.objects.create(person=official, unit=unit, role=Role.HANDLER, valid_from=dt.date(2020, 1, 1))
    recipients = Person.objects.bulk_create(
        [
            Person(username=f"{code}-c{i}", first_name="Ana", last_name=f"Jovanović {i}", is_citizen=True)
            for i in range(n_recipients)
        ]
    )
    keyring.eseal_key(code, name=agency.name)  # the PKI and the e-seal exist before timing
    return {
        "agency": str(agency.pk),
        "official": str(official.pk),
        "recipients": [str(r.pk) for r in recipients],
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
    """docs/s and CPU ms per document with ``processes`` warm workers."""
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
    started = time.perf_counter()
    cpu = [results.get(timeout=900) for _ in workers]
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"a worker failed (exit code {worker.exitcode})")
    return n / elapsed, sum(cpu) / n * 1000


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
        .from_string(TEMPLATE)
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

    def run(self, func: Any) -> Any:
        cpu, t0 = time.process_time(), time.perf_counter()
        result = func()
        self.wall.append(time.perf_counter() - t0)
        self.cpu += time.process_time() - cpu
        return result

    def rate(self) -> float:
        return len(self.wall) / sum(self.wall)

    def median_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    def cpu_ms(self) -> float:
        return self.cpu / len(self.wall) * 1000


def one_process(
    ids: dict[str, Any], n: int, *, agency_code: str, agency_name: str
) -> tuple[Tally, Tally, bytes]:
    """The naive floor and GovDoc in this process, one document of each in turn, so both see
    the same machine (other load on a shared machine moves both alike)."""
    naive_one(0, agency_code=agency_code, agency_name=agency_name)  # warm-up: imports
    _govdoc_issue(ids, ids["recipients"][n], 0)  # warm-up: imports, keys, fonts, template
    naive, govdoc = Tally(), Tally()
    last = b""
    for i in range(n):
        last = naive.run(lambda i=i: naive_one(i, agency_code=agency_code, agency_name=agency_name))
        govdoc.run(lambda i=i: _govdoc_issue(ids, ids["recipients"][i], i))
    return naive, govdoc, last


# ------------------------------------------------------------------ main


def _line(label: str, rate: float, cpu_ms: float, median_ms: float | None = None) -> None:
    median = f"median {median_ms:6.1f} ms" if median_ms is not None else " " * 16
    print(f"  {label:<24} {rate:6.2f} docs/s   {median}   CPU {cpu_ms:6.1f} ms/doc")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=40, help="documents per pipeline (default 40)")
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="GovDoc worker processes (default: CPUs)"
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

    ids = prepare(args.n * 2 + args.processes * 2 + 2)
    agency = Agency.objects.get(pk=ids["agency"])
    print(
        f"{args.n} one-page certificates per pipeline; database {connection.vendor}; "
        f"GOVDOC_HOME {os.environ['GOVDOC_HOME']}; {os.cpu_count()} CPUs"
    )
    print("PDF/A-3b (WeasyPrint) + QR + embedded data.json, certified PAdES B-LT (ECDSA e-seal, local TSA)")

    naive, govdoc, naive_pdf = one_process(
        {**ids, "recipients": ids["recipients"][: args.n + 1]},
        args.n,
        agency_code=agency.code,
        agency_name=agency.name,
    )
    _line("naive floor, 1 process", naive.rate(), naive.cpu_ms(), naive.median_ms())
    _line("GovDoc, 1 process", govdoc.rate(), govdoc.cpu_ms(), govdoc.median_ms())
    n_rate, g1_rate = naive.rate(), govdoc.rate()
    gp_rate, gp_cpu = govdoc_processes(
        {**ids, "recipients": ids["recipients"][args.n + 1 :]}, args.n, args.processes
    )
    _line(f"GovDoc, {args.processes} processes", gp_rate, gp_cpu)

    print(f"naive output verdict: {pdf_verify(naive_pdf).state.value}")
    print(
        f"ratio GovDoc / naive (docs/s): 1 process x{g1_rate / n_rate:.2f}; "
        f"{args.processes} processes x{gp_rate / n_rate:.2f}"
    )
    # Wall-clock rates move with whatever else the machine runs; CPU per document does not.
    print(f"ratio naive / GovDoc CPU per document: x{naive.cpu_ms() / govdoc.cpu_ms():.2f}")
    if own_home is not None:
        own_home.cleanup()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.exit(main())
