"""Sign (PAdES B-T, agency e-seal) and validate N one-page PDFs two ways, in the same run.

1. Through GovDoc's engine: the signer is kept (key decrypted once), ``bytes_reserved`` spares
   pyHanko's dry-run signature, one timestamper object is reused, and validation contexts are
   built from parts parsed once per TrustConfig.
2. Through bare pyHanko used naively: ``SimpleSigner.load`` from the encrypted key file per
   document, no ``bytes_reserved``, a new timestamper per document, a new ValidationContext
   (parsing roots and CRLs) per document.

Both use the same dev PKI, the same in-process RFC 3161 TSA key and the same CRL, and both
pipelines' validations run over the same GovDoc-signed documents.

    .venv/bin/python bench/bench_signatures.py -n 50
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from govdoc.signatures.engine import devpki
from govdoc.signatures.engine.keys import SoftwareKey
from govdoc.signatures.engine.pades import sign_pdf
from govdoc.signatures.engine.timestamps import LocalTimestampAuthority
from govdoc.signatures.engine.validation import TrustConfig, validate_pdf

PASSPHRASE = "bench-passphrase"


def one_page_pdf(text: str) -> bytes:
    """A minimal valid one-page PDF with one line of Helvetica text."""
    content = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


class Pki:
    def __init__(self, directory: Path, key_kind: devpki.CertKind) -> None:
        now = datetime.now(UTC)
        start, end = now - timedelta(days=1), now + timedelta(days=365)
        org = "GovDoc Bench PKI"
        crl_url = "http://pki.govdoc.test/crl/root.crl"
        self.root = devpki.create_root_ca("Bench Root CA", organization=org, not_before=start, not_after=end)
        eseal_key = devpki.new_key(key_kind)
        eseal_cert = devpki.issue_certificate(
            self.root,
            kind="eseal",
            common_name="Bench e-seal",
            organization=org,
            public_key=eseal_key.public_key(),
            not_before=start,
            not_after=end,
            crl_url=crl_url,
        )
        self.eseal = devpki.CertifiedKey(eseal_cert, eseal_key, (self.root.certificate,))
        self.tsa = devpki.issue_certified_key(
            self.root,
            kind="tsa",
            common_name="Bench TSA",
            organization=org,
            not_before=start,
            not_after=end,
            crl_url=crl_url,
        )
        crl = devpki.make_crl(
            self.root,
            revoked=[],
            this_update=now - timedelta(minutes=5),
            next_update=now + timedelta(days=7),
            number=1,
        )
        self.crl_der = crl.public_bytes(serialization.Encoding.DER)
        pem = serialization.Encoding.PEM
        self.files = {
            "root": directory / "root.pem",
            "eseal_cert": directory / "eseal.pem",
            "eseal_key": directory / "eseal.key.pem",
            "tsa_cert": directory / "tsa.pem",
            "tsa_key": directory / "tsa.key.der",
        }
        self.files["root"].write_bytes(self.root.certificate.public_bytes(pem))
        self.files["eseal_cert"].write_bytes(eseal_cert.public_bytes(pem))
        self.eseal_key_pem = devpki.encrypt_key(eseal_key, PASSPHRASE)
        self.files["eseal_key"].write_bytes(self.eseal_key_pem)
        self.files["tsa_cert"].write_bytes(self.tsa.certificate.public_bytes(pem))
        self.files["tsa_key"].write_bytes(
            self.tsa.private_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


# ------------------------------------------------------------------ GovDoc's engine


def govdoc_pipeline(pki: Pki) -> tuple[Callable[[bytes], bytes], Callable[[bytes], str]]:
    key = SoftwareKey(
        key_pem=pki.eseal_key_pem,
        passphrase=PASSPHRASE,
        certificate=pki.eseal.certificate,
        chain=pki.eseal.chain,
        label="bench-eseal",
    )
    timestamper = LocalTimestampAuthority(pki.tsa).timestamper()
    trust = TrustConfig(roots=(pki.root.certificate,), crls=(pki.crl_der,))

    def sign(pdf: bytes) -> bytes:
        return sign_pdf(pdf, key=key, timestamper=timestamper)

    def validate(pdf: bytes) -> str:
        return validate_pdf(pdf, trust=trust).state.value

    return sign, validate


# ------------------------------------------------------------------ bare pyHanko, naively


def naive_pipeline(pki: Pki) -> tuple[Callable[[bytes], bytes], Callable[[bytes], str]]:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import DummyTimeStamper
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    files = pki.files

    def sign(pdf: bytes) -> bytes:
        signer = signers.SimpleSigner.load(
            str(files["eseal_key"]),
            str(files["eseal_cert"]),
            ca_chain_files=[str(files["root"])],
            key_passphrase=PASSPHRASE.encode(),
        )
        timestamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(pki.tsa.certificate.public_bytes(serialization.Encoding.DER)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(files["tsa_key"].read_bytes()),
            certs_to_embed=None,
        )
        meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        out = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
        return bytes(out.getvalue())

    def validate(pdf: bytes) -> str:
        context = ValidationContext(
            trust_roots=[load_cert_from_pemder(str(files["root"]))],
            crls=[pki.crl_der],
            allow_fetching=False,
            revocation_mode="hard-fail",
        )
        reader = PdfFileReader(io.BytesIO(pdf))
        status = validate_pdf_signature(reader.embedded_signatures[0], context)
        return "authentic" if status.bottom_line else "not authentic"

    return sign, validate


# ------------------------------------------------------------------ measuring


def timed(label: str, func: Callable[[bytes], object], inputs: list[bytes]) -> tuple[float, list[object]]:
    """Run ``func`` over ``inputs``; print docs/s (wall clock) and CPU ms per document.

    CPU time is printed too because the wall-clock rate moves with whatever else the machine
    runs; the CPU time per document does not.
    """
    func(inputs[0])  # warm-up: imports and first-use caches are not what we measure
    outputs: list[object] = []
    per_doc: list[float] = []
    cpu_started = time.process_time()
    started = time.perf_counter()
    for item in inputs:
        t0 = time.perf_counter()
        outputs.append(func(item))
        per_doc.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    cpu_ms = (time.process_time() - cpu_started) / len(inputs) * 1000
    rate = len(inputs) / elapsed
    print(
        f"  {label:<16} {rate:7.1f} docs/s   median {statistics.median(per_doc) * 1000:6.1f} ms/doc"
        f"   CPU {cpu_ms:6.1f} ms/doc"
    )
    return rate, outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=50, help="number of one-page PDFs (default 50)")
    parser.add_argument(
        "--key",
        choices=["ecdsa", "rsa"],
        default="ecdsa",
        help="e-seal key type (default ecdsa, P-256, as devpki issues)",
    )
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="govdoc-bench-") as tmp:
        pki = Pki(Path(tmp), "eseal" if args.key == "ecdsa" else "ca")
        pdfs = [one_page_pdf(f"GovDoc bench document {i:05d}") for i in range(args.n)]
        print(
            f"{args.n} one-page PDFs, PAdES B-T with a {args.key.upper()} e-seal, "
            "in-process RFC 3161 TSA (RSA-2048)"
        )

        g_sign, g_validate = govdoc_pipeline(pki)
        n_sign, n_validate = naive_pipeline(pki)

        print("sign")
        g_sign_rate, signed = timed("GovDoc engine", g_sign, pdfs)
        n_sign_rate, naive_signed = timed("pyHanko naive", n_sign, pdfs)
        signed_pdfs = [bytes(s) for s in signed if isinstance(s, bytes)]

        print("validate (the same GovDoc-signed documents)")
        g_val_rate, g_states = timed("GovDoc engine", g_validate, signed_pdfs)
        n_val_rate, n_states = timed("pyHanko naive", n_validate, signed_pdfs)

        naive_ok = {g_validate(bytes(s)) for s in naive_signed if isinstance(s, bytes)}
        print(
            f"verdicts: GovDoc {sorted(set(map(str, g_states)))}, naive {sorted(set(map(str, n_states)))}, "
            f"naive-signed validated by GovDoc {sorted(naive_ok)}"
        )
        print(
            f"ratio GovDoc / naive: sign x{g_sign_rate / n_sign_rate:.2f}, "
            f"validate x{g_val_rate / n_val_rate:.2f}"
        )
        if set(map(str, g_states)) != {"authentic"} or naive_ok != {"authentic"}:
            print("ERROR: some documents did not validate as authentic", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
