"""Where this installation's keys, trust anchors and timestamps come from.

The one place that reads the signature settings and turns them into engine objects:
key backends (``GOVDOC_KEY_BACKEND``: ``file`` or ``pkcs11``), the timestamper
(``GOVDOC_TSA_URL`` or the local TSA) and the trust configuration (root + current CRL).
Engine objects are expensive to build (key loading, validation context), so they are kept
per process and rebuilt only when the underlying files change.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.utils.translation import gettext as _

from govdoc.core import clock
from govdoc.signatures.engine import pkcs11 as engine_pkcs11
from govdoc.signatures.engine.errors import KeyBackendError
from govdoc.signatures.engine.keys import KeyBackend, SoftwareKey
from govdoc.signatures.engine.timestamps import LocalTimestampAuthority, http_timestamper
from govdoc.signatures.engine.validation import TrustConfig
from govdoc.signatures.errors import CertificateNotFoundError, KeyBackendConfigError, WrongPinError
from govdoc.signatures.pki import DevPki, Progress

INSTALLATION_SEAL = "govdoc-installation"

T = TypeVar("T")

_lock = threading.RLock()
_thread = threading.local()
_cache: dict[tuple[Any, ...], Any] = {}


def _cached(key: tuple[Any, ...], build: Callable[[], T]) -> T:
    with _lock:
        if key not in _cache:
            _cache[key] = build()
        return cast(T, _cache[key])


def forget() -> None:
    """Drop every kept engine object (after a revocation, or between tests)."""
    with _lock:
        _cache.clear()


def pki() -> DevPki:
    folder = settings.GOVDOC_PKI_DIR
    return _cached(
        ("pki", str(folder)),
        lambda: DevPki(folder, passphrase=settings.GOVDOC_KEY_PASSPHRASE, public_url=settings.PUBLIC_URL),
    )


def ensure(*, progress: Progress | None = None) -> DevPki:
    store = pki()
    store.ensure(progress=progress or (lambda _m: None))
    return store


def trust() -> TrustConfig:
    store = ensure()
    crl = store.crl_der()
    return _cached(
        ("trust", str(store.folder), hash(crl)),
        lambda: TrustConfig(roots=(store.root_certificate(),), crls=(crl,)),
    )


def trust_now() -> TrustConfig:
    """:func:`trust` as of ``clock.now()``: the project's one clock, which tests move."""
    return dataclasses.replace(trust(), moment=clock.now())


def timestamper() -> Any:
    """This thread's timestamper (timestampers cache lazily built objects: one per thread)."""
    if settings.GOVDOC_TSA_URL:
        url = settings.GOVDOC_TSA_URL
        stamper = getattr(_thread, "http_stamper", None)
        if stamper is None or getattr(_thread, "http_url", None) != url:
            stamper = http_timestamper(url)
            _thread.http_stamper, _thread.http_url = stamper, url
        return stamper
    return local_tsa().timestamper()


def local_tsa() -> LocalTimestampAuthority:
    store = ensure()
    serial = store.tsa_certificate().serial_number
    return _cached(
        ("tsa-authority", str(store.folder), serial),
        lambda: LocalTimestampAuthority(store.tsa(), clock=clock.now),
    )


def eseal_key(code: str, *, name: str, progress: Progress | None = None) -> KeyBackend:
    """The e-seal key of an agency (``code``), from key files or the HSM."""
    store = ensure(progress=progress)
    backend = settings.GOVDOC_KEY_BACKEND
    if backend == "file":
        cert = store.agency_eseal_ensure(code, name=name, progress=progress or (lambda _m: None))
        return _cached(
            ("eseal-file", str(store.folder), code, cert.serial_number),
            lambda: SoftwareKey(
                key_pem=store.agency_key_pem(code),
                passphrase=settings.GOVDOC_KEY_PASSPHRASE,
                certificate=cert,
                chain=(store.root_certificate(),),
                label=f"e-seal {code}",
            ),
        )
    if backend == "pkcs11":
        module, token, pin = (
            settings.GOVDOC_PKCS11_MODULE,
            settings.GOVDOC_PKCS11_TOKEN,
            settings.GOVDOC_PKCS11_PIN,
        )
        if not (module and token and pin):
            raise KeyBackendConfigError(
                "GOVDOC_KEY_BACKEND=pkcs11 needs GOVDOC_PKCS11_MODULE, GOVDOC_PKCS11_TOKEN "
                "and GOVDOC_PKCS11_PIN"
            )
        key_label = f"eseal-{code}"
        public_key = _cached(
            ("pkcs11-public-key", module, token, key_label),
            lambda: _hsm_public_key(module, token, pin, key_label),
        )
        cert = store.agency_eseal_ensure(
            code, name=name, public_key=public_key, progress=progress or (lambda _m: None)
        )
        return _cached(
            ("eseal-pkcs11", module, token, code, cert.serial_number),
            lambda: engine_pkcs11.Pkcs11Key(
                module_path=module,
                token_label=token,
                pin=pin,
                key_label=key_label,
                certificate=cert,
                chain=(store.root_certificate(),),
                label=f"e-seal {code} (PKCS#11)",
            ),
        )
    raise KeyBackendConfigError(f"GOVDOC_KEY_BACKEND must be 'file' or 'pkcs11', not {backend!r}")


def _hsm_public_key(module: str, token: str, pin: str, key_label: str) -> Any:
    """The public key of the e-seal key pair on the token; the pair is generated there (the
    private key is not extractable) the first time an agency seals."""
    if not engine_pkcs11.has_key(module, token, pin, key_label):
        engine_pkcs11.generate_ec_keypair(module, token, pin, key_label)
    return engine_pkcs11.public_key_of(module, token, pin, key_label)


def person_key(person_id: str, *, pin: str) -> KeyBackend:
    """An official's personal key, opened with the PIN given for this one decision (never kept)."""
    store = ensure()
    cert = store.person_certificate(person_id)
    if cert is None:
        raise CertificateNotFoundError(_("this official has no signing certificate yet"), person_id=person_id)
    try:
        return SoftwareKey(
            key_pem=store.person_key_pem(person_id),
            passphrase=pin,
            certificate=cert,
            chain=(store.root_certificate(),),
            label=f"person {person_id}",
        )
    except KeyBackendError as exc:
        raise WrongPinError("the signing PIN is not correct", person_id=person_id) from exc
