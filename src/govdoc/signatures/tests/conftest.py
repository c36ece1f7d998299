"""Session-scoped test PKI, keys, timestamp authority and sample PDF for signature tests.

Everything is real: keys generated with ``cryptography``, certificates and a CRL issued by a
development root CA (``govdoc.signatures.engine.devpki``), RFC 3161 tokens from an in-process
TSA. Reuse these fixtures elsewhere (they are session-scoped, so the PKI is made once per run):

``dev_pki``            a :class:`DevPki` (see its docstring for every certificate in it);
                       its files (PEM certificates, passphrase-encrypted keys, the DER CRL)
                       are written to ``dev_pki.directory``.
``trust_config``       TrustConfig trusting the dev root, with the dev CRL, hard-fail.
``eseal_key``          SoftwareKey of the agency e-seal (ECDSA P-256), trusted, not revoked.
``person_key``         SoftwareKey of an official (ECDSA P-256), trusted.
``revoked_eseal_key``  SoftwareKey of an e-seal that the CRL lists as revoked.
``expired_eseal_key``  SoftwareKey of an e-seal whose certificate expired a year ago.
``untrusted_eseal_key`` SoftwareKey of an e-seal issued by a second root nobody trusts.
``local_tsa``          LocalTimestampAuthority of the dev TSA (RSA-2048).
``timestamper``        its pyHanko TimeStamper (one object, reused).
``sample_pdf``         a small valid one-page PDF (bytes), made by :func:`make_sample_pdf`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import TimeStamper

from govdoc.documents.tests.samples import text_pdf
from govdoc.signatures.engine import devpki
from govdoc.signatures.engine.devpki import CertifiedKey
from govdoc.signatures.engine.keys import SoftwareKey
from govdoc.signatures.engine.timestamps import LocalTimestampAuthority
from govdoc.signatures.engine.validation import TrustConfig

KEY_PASSPHRASE = "correct horse battery staple"
CRL_URL = "http://pki.govdoc.test/crl/root.crl"
ORGANIZATION = "GovDoc Test PKI"


@dataclass(frozen=True)
class DevPki:
    """A development PKI made once per test session.

    ``now``: the moment the PKI was made (certificates are valid from a day before).
    ``root``: the trusted root CA (RSA-2048). ``eseal``: the agency e-seal "MUP e-seal".
    ``person``: an official's signing certificate "Petar Petrović". ``tsa``: the timestamp
    authority (critical EKU timeStamping). ``revoked_eseal``: an e-seal revoked an hour ago on
    ``crl``. ``expired_eseal``: an e-seal valid two years ago to one year ago.
    ``untrusted_root`` and ``untrusted_eseal``: a second hierarchy not in any TrustConfig.
    ``crl`` / ``crl_der``: the root's CRL listing ``revoked_eseal``.
    ``directory``: where the PEM/DER files were written; keys are encrypted with
    ``KEY_PASSPHRASE``; ``key_files`` maps a name (``"eseal"``...) to its encrypted PEM.
    """

    now: datetime
    root: CertifiedKey
    eseal: CertifiedKey
    person: CertifiedKey
    tsa: CertifiedKey
    revoked_eseal: CertifiedKey
    expired_eseal: CertifiedKey
    untrusted_root: CertifiedKey
    untrusted_eseal: CertifiedKey
    crl: x509.CertificateRevocationList
    crl_der: bytes
    directory: Path
    key_files: dict[str, bytes]

    def software_key(self, name: str) -> SoftwareKey:
        certified: CertifiedKey = getattr(self, name)
        return SoftwareKey(
            key_pem=self.key_files[name],
            passphrase=KEY_PASSPHRASE,
            certificate=certified.certificate,
            chain=certified.chain,
            label=name,
        )


def build_dev_pki(directory: Path, now: datetime | None = None) -> DevPki:
    """Make the whole development PKI and write its files to ``directory``."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    start, end = now - timedelta(days=1), now + timedelta(days=365)
    root = devpki.create_root_ca(
        "GovDoc Test Root CA",
        organization=ORGANIZATION,
        not_before=start,
        not_after=now + timedelta(days=3650),
    )

    def issue(
        kind: devpki.CertKind,
        name: str,
        *,
        ca: CertifiedKey = root,
        crl: str | None = CRL_URL,
        not_before: datetime = start,
        not_after: datetime = end,
        email: str | None = None,
    ) -> CertifiedKey:
        return devpki.issue_certified_key(
            ca,
            kind=kind,
            common_name=name,
            organization=ORGANIZATION,
            not_before=not_before,
            not_after=not_after,
            crl_url=crl,
            email=email,
        )

    eseal = issue("eseal", "MUP e-seal")
    person = issue("person", "Petar Petrović", email="petar.petrovic@mup.test")
    tsa = issue("tsa", "GovDoc Test TSA")
    revoked = issue("eseal", "Revoked e-seal")
    expired = issue(
        "eseal", "Expired e-seal", not_before=now - timedelta(days=730), not_after=now - timedelta(days=365)
    )
    untrusted_root = devpki.create_root_ca(
        "Unknown Root CA", organization="Nobody", not_before=start, not_after=end
    )
    untrusted = issue("eseal", "Untrusted e-seal", ca=untrusted_root, crl=None)
    crl = devpki.make_crl(
        root,
        revoked=[(revoked.certificate.serial_number, now - timedelta(hours=1))],
        this_update=now - timedelta(minutes=30),
        next_update=now + timedelta(days=30),
        number=1,
    )
    crl_der = crl.public_bytes(serialization.Encoding.DER)

    directory.mkdir(parents=True, exist_ok=True)
    key_files: dict[str, bytes] = {}
    named = {
        "root": root,
        "eseal": eseal,
        "person": person,
        "tsa": tsa,
        "revoked_eseal": revoked,
        "expired_eseal": expired,
        "untrusted_root": untrusted_root,
        "untrusted_eseal": untrusted,
    }
    for name, certified in named.items():
        (directory / f"{name}.pem").write_bytes(
            certified.certificate.public_bytes(serialization.Encoding.PEM)
        )
        key_files[name] = devpki.encrypt_key(certified.private_key, KEY_PASSPHRASE)
        (directory / f"{name}.key.pem").write_bytes(key_files[name])
    (directory / "root.crl").write_bytes(crl_der)
    return DevPki(
        now=now,
        root=root,
        eseal=eseal,
        person=person,
        tsa=tsa,
        revoked_eseal=revoked,
        expired_eseal=expired,
        untrusted_root=untrusted_root,
        untrusted_eseal=untrusted,
        crl=crl,
        crl_der=crl_der,
        directory=directory,
        key_files=key_files,
    )


def make_sample_pdf(text: str = "GovDoc sample document") -> bytes:
    """A minimal valid one-page PDF 1.7 with one line of Helvetica text (built by hand)."""
    return text_pdf(text)


def require_tool(name: str) -> str:
    """The path of a command-line tool, or skip (fail when GOVDOC_REQUIRE_TOOLS=1)."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("GOVDOC_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{name} is required (GOVDOC_REQUIRE_TOOLS=1) but not installed")
        pytest.skip(f"{name} is not installed")
    return path


def run_tool(
    args: list[str], tmp_path: Path, pdf: bytes, name: str = "doc.pdf"
) -> subprocess.CompletedProcess[str]:
    target = tmp_path / name
    target.write_bytes(pdf)
    return subprocess.run([*args, str(target)], capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return build_dev_pki(tmp_path_factory.mktemp("dev-pki"))


@pytest.fixture(scope="session")
def trust_config(dev_pki: DevPki) -> TrustConfig:
    return TrustConfig(roots=(dev_pki.root.certificate,), crls=(dev_pki.crl_der,))


@pytest.fixture(scope="session")
def eseal_key(dev_pki: DevPki) -> SoftwareKey:
    return dev_pki.software_key("eseal")


@pytest.fixture(scope="session")
def person_key(dev_pki: DevPki) -> SoftwareKey:
    return dev_pki.software_key("person")


@pytest.fixture(scope="session")
def revoked_eseal_key(dev_pki: DevPki) -> SoftwareKey:
    return dev_pki.software_key("revoked_eseal")


@pytest.fixture(scope="session")
def expired_eseal_key(dev_pki: DevPki) -> SoftwareKey:
    return dev_pki.software_key("expired_eseal")


@pytest.fixture(scope="session")
def untrusted_eseal_key(dev_pki: DevPki) -> SoftwareKey:
    return dev_pki.software_key("untrusted_eseal")


@pytest.fixture(scope="session")
def local_tsa(dev_pki: DevPki) -> LocalTimestampAuthority:
    return LocalTimestampAuthority(dev_pki.tsa)


@pytest.fixture(scope="session")
def timestamper(local_tsa: LocalTimestampAuthority) -> TimeStamper:
    return local_tsa.timestamper()


@pytest.fixture(scope="session")
def sample_pdf() -> bytes:
    return make_sample_pdf()
