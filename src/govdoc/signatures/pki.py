"""The development PKI of one installation, kept in files under ``GOVDOC_PKI_DIR``.

Made on first use: a root CA, a timestamp authority, a CRL; then an e-seal certificate per
agency and a signing certificate per official, issued when first needed. Private keys are
encrypted at rest: CA, TSA and e-seal keys under ``GOVDOC_KEY_PASSPHRASE``, an official's key
under that official's signing PIN, which GovDoc never stores.

Layout (one writer at a time, under an exclusive ``flock`` on ``.lock``)::

    index.json            serials issued, to whom, and revocations; the CRL number
    root.crt.pem  root.key.pem
    tsa.crt.pem   tsa.key.pem
    crl.der               regenerated on every revocation and before it goes stale
    agencies/<code>.crt.pem  agencies/<code>.key.pem
    people/<uuid>.crt.pem    people/<uuid>.key.pem

Production replaces this with the agency's CA, an HSM (``GOVDOC_KEY_BACKEND=pkcs11``) and an
external TSA (``GOVDOC_TSA_URL``); see docs/adr/0003-development-pki.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from govdoc.core import clock
from govdoc.signatures.engine import devpki
from govdoc.signatures.engine.errors import KeyBackendError

HolderKind = Literal["root", "tsa", "agency", "person"]
Progress = Callable[[str], None]

ROOT_YEARS = 20
LEAF_YEARS = 3
CRL_VALID_DAYS = 7
CRL_REFRESH_BEFORE = dt.timedelta(days=2)
# The TSA gets a new key and certificate this long before its certificate expires, so the
# archive timestamps made in the meantime (signatures.services.archive_timestamp_renew) are
# signed by a certificate that outlives the one they protect.
TSA_RENEW_BEFORE = dt.timedelta(days=365)
# RFC 5280 §5.3.1 reason codes a revocation may name; any other text is kept in the index only.
CRL_REASONS = {
    flag.value: flag for flag in x509.ReasonFlags if flag.name not in ("unspecified", "remove_from_crl")
}


@dataclass(frozen=True)
class IssuedCertificate:
    serial: str
    kind: str
    holder: str
    subject: str
    not_before: dt.datetime
    not_after: dt.datetime
    revoked_at: dt.datetime | None
    revocation_reason: str

    def status(self, at: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if at > self.not_after:
            return "expired"
        if at < self.not_before:
            return "not yet valid"
        return "valid"


def _noop(_: str) -> None:
    return None


def _write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def _load_pem(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class DevPki:
    """One folder of keys and certificates. Thread- and process-safe for writers."""

    def __init__(self, folder: Path, *, passphrase: str, public_url: str) -> None:
        self.folder = folder
        self.passphrase = passphrase
        self.public_url = public_url.rstrip("/")
        self._thread_lock = threading.RLock()

    # -- locking and the index -------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        with self._thread_lock, os.fdopen(fd, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _index(self) -> dict[str, Any]:
        path = self.folder / "index.json"
        if not path.exists():
            return {"crl_number": 0, "certificates": {}}
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def _save_index(self, index: dict[str, Any]) -> None:
        _write_atomic(self.folder / "index.json", json.dumps(index, indent=2, sort_keys=True).encode())

    def _remember(self, index: dict[str, Any], cert: x509.Certificate, *, kind: str, holder: str) -> None:
        index["certificates"][format(cert.serial_number, "x")] = {
            "kind": kind,
            "holder": holder,
            "subject": cert.subject.rfc4514_string(),
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "revoked_at": None,
            "reason": "",
        }

    @property
    def crl_url(self) -> str:
        return f"{self.public_url}/pki/crl.der"

    # -- first start -------------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.folder / "root.crt.pem").exists() and (self.folder / "tsa.crt.pem").exists()

    def ensure(self, *, progress: Progress = _noop) -> None:
        """Create the root CA, the TSA and the first CRL if this folder has none yet."""
        if self.exists():
            self._refresh_crl_if_stale()
            self._renew_tsa_if_ageing(progress)
            return
        with self._locked():
            if self.exists():
                return
            now = clock.now()
            index = self._index()
            progress("creating the development root CA (RSA-2048)")
            root = devpki.create_root_ca(
                "GovDoc Development Root CA",
                organization="GovDoc development PKI",
                not_before=now - dt.timedelta(days=1),
                not_after=now + dt.timedelta(days=365 * ROOT_YEARS),
            )
            _write_atomic(
                self.folder / "root.key.pem",
                devpki.encrypt_key(root.private_key, self.passphrase),
                mode=0o600,
            )
            self._remember(index, root.certificate, kind="ca", holder="root")
            progress("creating the timestamp authority")
            tsa_key = devpki.new_key("tsa")
            tsa_cert = devpki.issue_certificate(
                root,
                kind="tsa",
                common_name="GovDoc Development Timestamp Authority",
                organization="GovDoc development PKI",
                public_key=tsa_key.public_key(),
                not_before=now - dt.timedelta(days=1),
                not_after=now + dt.timedelta(days=365 * LEAF_YEARS),
                crl_url=self.crl_url,
            )
            _write_atomic(
                self.folder / "tsa.key.pem", devpki.encrypt_key(tsa_key, self.passphrase), mode=0o600
            )
            _write_atomic(self.folder / "tsa.crt.pem", _pem(tsa_cert))
            self._remember(index, tsa_cert, kind="tsa", holder="tsa")
            self._write_crl(root, index)
            self._save_index(index)
            # The root certificate last: its presence means "the PKI is complete".
            _write_atomic(self.folder / "root.crt.pem", _pem(root.certificate))
            progress("development PKI ready")

    # -- loading -----------------------------------------------------------------------------

    def root_certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate((self.folder / "root.crt.pem").read_bytes())

    def _root(self) -> devpki.CertifiedKey:
        cert = self.root_certificate()
        key = devpki.decrypt_key((self.folder / "root.key.pem").read_bytes(), self.passphrase)
        return devpki.CertifiedKey(certificate=cert, private_key=key, chain=(cert,))

    def tsa_certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate((self.folder / "tsa.crt.pem").read_bytes())

    def _renew_tsa_if_ageing(self, progress: Progress = _noop) -> None:
        """A new TSA key and certificate when the current one is within TSA_RENEW_BEFORE of
        its end (the old files are kept beside, named by serial)."""
        if self.tsa_certificate().not_valid_after_utc - TSA_RENEW_BEFORE > clock.now():
            return
        with self._locked():
            old = self.tsa_certificate()
            if old.not_valid_after_utc - TSA_RENEW_BEFORE > clock.now():
                return
            progress("renewing the timestamp authority's certificate")
            serial = format(old.serial_number, "x")
            (self.folder / "tsa.crt.pem").replace(self.folder / f"tsa-{serial}.crt.pem")
            (self.folder / "tsa.key.pem").replace(self.folder / f"tsa-{serial}.key.pem")
            now = clock.now()
            tsa_key = devpki.new_key("tsa")
            tsa_cert = devpki.issue_certificate(
                self._root(),
                kind="tsa",
                common_name="GovDoc Development Timestamp Authority",
                organization="GovDoc development PKI",
                public_key=tsa_key.public_key(),
                not_before=now - dt.timedelta(minutes=5),
                not_after=now + dt.timedelta(days=365 * LEAF_YEARS),
                crl_url=self.crl_url,
            )
            _write_atomic(
                self.folder / "tsa.key.pem", devpki.encrypt_key(tsa_key, self.passphrase), mode=0o600
            )
            index = self._index()
            self._remember(index, tsa_cert, kind="tsa", holder="tsa")
            self._save_index(index)
            _write_atomic(self.folder / "tsa.crt.pem", _pem(tsa_cert))

    def tsa(self) -> devpki.CertifiedKey:
        cert = self.tsa_certificate()
        key = devpki.decrypt_key((self.folder / "tsa.key.pem").read_bytes(), self.passphrase)
        return devpki.CertifiedKey(certificate=cert, private_key=key, chain=(self.root_certificate(),))

    def crl_der(self) -> bytes:
        self._refresh_crl_if_stale()
        return (self.folder / "crl.der").read_bytes()

    def certificates(self) -> list[IssuedCertificate]:
        out = []
        order = {"ca": 0, "tsa": 1, "eseal": 2, "person": 3}
        rows = self._index()["certificates"].items()
        for serial, row in sorted(
            rows, key=lambda kv: (order.get(kv[1]["kind"], 9), kv[1]["holder"], kv[1]["not_before"])
        ):
            out.append(
                IssuedCertificate(
                    serial=serial,
                    kind=row["kind"],
                    holder=row["holder"],
                    subject=row["subject"],
                    not_before=dt.datetime.fromisoformat(row["not_before"]),
                    not_after=dt.datetime.fromisoformat(row["not_after"]),
                    revoked_at=dt.datetime.fromisoformat(row["revoked_at"]) if row["revoked_at"] else None,
                    revocation_reason=row["reason"],
                )
            )
        return out

    def crl_next_update(self) -> dt.datetime:
        crl = x509.load_der_x509_crl((self.folder / "crl.der").read_bytes())
        next_update = crl.next_update_utc
        assert next_update is not None
        return next_update

    # -- agencies' e-seals -------------------------------------------------------------------

    def agency_paths(self, code: str) -> tuple[Path, Path]:
        folder = self.folder / "agencies"
        return folder / f"{code}.crt.pem", folder / f"{code}.key.pem"

    def agency_certificate(self, code: str) -> x509.Certificate | None:
        cert_path, _ = self.agency_paths(code)
        if not cert_path.exists():
            return None
        return x509.load_pem_x509_certificate(cert_path.read_bytes())

    def _usable(self, cert: x509.Certificate | None) -> bool:
        if cert is None:
            return False
        now = clock.now()
        row = self._index()["certificates"].get(format(cert.serial_number, "x"))
        revoked = bool(row and row["revoked_at"])
        return not revoked and cert.not_valid_before_utc <= now < cert.not_valid_after_utc

    def _current(self, cert: x509.Certificate | None, public_key: Any | None) -> x509.Certificate | None:
        """``cert`` if it can still be used (and certifies ``public_key``, when one is given)."""
        if cert is None or not self._usable(cert):
            return None
        if public_key is not None and cert.public_key() != public_key:
            return None
        return cert

    def agency_eseal_ensure(
        self,
        code: str,
        *,
        name: str,
        public_key: Any | None = None,
        progress: Progress = _noop,
    ) -> x509.Certificate:
        """The agency's current e-seal certificate; issued (with a new key file unless
        ``public_key`` of an HSM key is given) when missing, expired or revoked."""
        self.ensure(progress=progress)
        cert = self._current(self.agency_certificate(code), public_key)
        if cert is not None:
            return cert
        with self._locked():
            cert = self._current(self.agency_certificate(code), public_key)
            if cert is not None:
                return cert
            progress(f"issuing the e-seal certificate of {code}")
            cert_path, key_path = self.agency_paths(code)
            cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if public_key is None:
                key = devpki.new_key("eseal")
                public_key = key.public_key()
                _write_atomic(key_path, devpki.encrypt_key(key, self.passphrase), mode=0o600)
            now = clock.now()
            new = devpki.issue_certificate(
                self._root(),
                kind="eseal",
                common_name=f"{name} (e-seal)",
                organization=name,
                public_key=public_key,
                not_before=now - dt.timedelta(minutes=5),
                not_after=now + dt.timedelta(days=365 * LEAF_YEARS),
                crl_url=self.crl_url,
            )
            index = self._index()
            self._remember(index, new, kind="eseal", holder=f"agency:{code}")
            self._save_index(index)
            # Kept after a rollover too: QR payloads name their signer by certificate (kid).
            history = cert_path.parent / "history"
            history.mkdir(exist_ok=True, mode=0o700)
            _write_atomic(history / f"{format(new.serial_number, 'x')}.crt.pem", _pem(new))
            _write_atomic(cert_path, _pem(new))
            return new

    def agency_certificates_all(self) -> list[x509.Certificate]:
        """Every e-seal certificate issued here to an agency, current and replaced."""
        folder = self.folder / "agencies"
        paths = [*folder.glob("*.crt.pem"), *folder.glob("history/*.crt.pem")]
        certificates = {cert.serial_number: cert for cert in map(_load_pem, sorted(paths))}
        return list(certificates.values())

    def agency_key_pem(self, code: str) -> bytes:
        _, key_path = self.agency_paths(code)
        return key_path.read_bytes()

    # -- officials' signing certificates -----------------------------------------------------

    def person_paths(self, person_id: str) -> tuple[Path, Path]:
        folder = self.folder / "people"
        return folder / f"{person_id}.crt.pem", folder / f"{person_id}.key.pem"

    def person_certificate(self, person_id: str) -> x509.Certificate | None:
        cert_path, _ = self.person_paths(person_id)
        if not cert_path.exists():
            return None
        return x509.load_pem_x509_certificate(cert_path.read_bytes())

    def person_certificate_issue(
        self, person_id: str, *, full_name: str, organization: str, email: str | None, pin: str
    ) -> x509.Certificate:
        """A new signing key (encrypted under the official's PIN) and its certificate."""
        if len(pin) < 6:
            raise KeyBackendError("a signing PIN has at least 6 characters")
        self.ensure()
        with self._locked():
            cert_path, key_path = self.person_paths(person_id)
            cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            key = devpki.new_key("person")
            now = clock.now()
            cert = devpki.issue_certificate(
                self._root(),
                kind="person",
                common_name=full_name,
                organization=organization,
                public_key=key.public_key(),
                not_before=now - dt.timedelta(minutes=5),
                not_after=now + dt.timedelta(days=365 * LEAF_YEARS),
                crl_url=self.crl_url,
                email=email or None,
            )
            _write_atomic(key_path, devpki.encrypt_key_under_pin(key, pin), mode=0o600)
            index = self._index()
            self._remember(index, cert, kind="person", holder=f"person:{person_id}")
            self._save_index(index)
            _write_atomic(cert_path, _pem(cert))
            return cert

    def person_key_pem(self, person_id: str) -> bytes:
        _, key_path = self.person_paths(person_id)
        return key_path.read_bytes()

    def person_key_rewrap(self, person_id: str, *, old_pin: str, new_pin: str) -> None:
        """The same key, encrypted under ``new_pin`` (scrypt + AES-256-GCM, a new salt and
        nonce); a wrong ``old_pin`` raises KeyBackendError and changes nothing."""
        with self._locked():
            _, key_path = self.person_paths(person_id)
            key = devpki.decrypt_key(key_path.read_bytes(), old_pin)
            _write_atomic(key_path, devpki.encrypt_key_under_pin(key, new_pin), mode=0o600)

    # -- revocation --------------------------------------------------------------------------

    def revoke(
        self, serial_hex: str, *, reason: str, effective_at: dt.datetime | None = None
    ) -> IssuedCertificate:
        """Revoke a certificate as of now, or as of ``effective_at`` in the past: a key
        compromise found today is dated back to when the key was last known safe, and every
        signature made after that time stops being authentic (RFC 5280 §5.3.2). ``reason`` may
        be an RFC 5280 reason code (``keyCompromise``, ``superseded``...), written into the CRL.
        """
        when = clock.now() if effective_at is None else min(effective_at, clock.now())
        with self._locked():
            index = self._index()
            row = index["certificates"].get(serial_hex.lower())
            if row is None:
                raise KeyBackendError(f"no certificate with serial {serial_hex} was issued here")
            if row["kind"] == "ca":
                raise KeyBackendError("the root CA cannot revoke itself; replace the PKI instead")
            if not row["revoked_at"]:
                row["revoked_at"] = when.isoformat()
                row["reason"] = reason
                self._write_crl(self._root(), index)
                self._save_index(index)
        return next(c for c in self.certificates() if c.serial == serial_hex.lower())

    def _write_crl(self, root: devpki.CertifiedKey, index: dict[str, Any]) -> None:
        index["crl_number"] = int(index.get("crl_number", 0)) + 1
        revoked = [
            (int(serial, 16), dt.datetime.fromisoformat(row["revoked_at"]))
            for serial, row in index["certificates"].items()
            if row["revoked_at"]
        ]
        reasons = {
            int(serial, 16): CRL_REASONS[row["reason"]]
            for serial, row in index["certificates"].items()
            if row["revoked_at"] and row["reason"] in CRL_REASONS
        }
        now = clock.now()
        crl = devpki.make_crl(
            root,
            revoked=revoked,
            reasons=reasons,
            this_update=now - dt.timedelta(minutes=5),
            next_update=now + dt.timedelta(days=CRL_VALID_DAYS),
            number=index["crl_number"],
        )
        _write_atomic(self.folder / "crl.der", crl.public_bytes(serialization.Encoding.DER))

    def _refresh_crl_if_stale(self) -> None:
        if self.crl_next_update() - CRL_REFRESH_BEFORE > clock.now():
            return
        with self._locked():
            if self.crl_next_update() - CRL_REFRESH_BEFORE > clock.now():
                return
            index = self._index()
            self._write_crl(self._root(), index)
            self._save_index(index)
