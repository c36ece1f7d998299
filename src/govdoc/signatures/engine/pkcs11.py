"""The PKCS#11 key backend: an agency's e-seal key held in an HSM.

The private key never leaves the token; pyHanko's :class:`PKCS11Signer` asks the token to
sign. A :class:`Pkcs11Key` opens one session when it is made and keeps it until
:meth:`Pkcs11Key.close`, so a signature costs one call into the module, not a login.

Two facts of PKCS#11 (v2.40, §5.4 and §5.6) shape this module:

- python-pkcs11 initialises a module with ``C_Initialize(NULL)``, which tells the module that
  it will not be called from several threads at once (so a module may skip its own
  locking), and it releases the GIL during each call. Every call into one module therefore goes
  through one lock per loaded module, shared by all keys, sessions and helpers here.
- The login state belongs to the process and the token, not to a session: a second
  ``C_Login`` fails with CKR_USER_ALREADY_LOGGED_IN, and closing the last session of a token
  logs it out. The module keeps count of the sessions it opened per token, logs in once, and
  checks the PIN of every later opener against the one that logged in.

Never imports Django. A module is loaded once per process and stays loaded: unloading it
would end the sessions of every other key on it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from pkcs11 import Attribute, KeyType, MechanismFlag, ObjectClass, PKCS11Error
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko.sign.signers import Signer

from govdoc.signatures.engine.devpki import PublicKey
from govdoc.signatures.engine.errors import KeyBackendError
from govdoc.signatures.engine.keys import KeptSigningCertificateMixin, to_asn1_certificate

__all__ = ["Pkcs11Key", "generate_ec_keypair", "has_key", "is_module_loaded", "public_key_of"]


# --- one loaded module per process ------------------------------------------------------------


@dataclass
class _Login:
    pin_mac: bytes
    sessions: int


@dataclass
class _Module:
    """A loaded PKCS#11 module, the lock that serialises calls into it, and its logins."""

    path: str
    lib: Any = field(repr=False)  # pkcs11._pkcs11.lib
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    logins: dict[bytes, _Login] = field(default_factory=dict, repr=False)
    # PINs are compared as HMACs under a key that lives only in this process's memory.
    _mac_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def pin_mac(self, pin: str) -> bytes:
        return hmac.new(self._mac_key, pin.encode("utf-8"), hashlib.sha256).digest()


_MODULES: dict[str, _Module] = {}
_MODULES_LOCK = threading.Lock()


def _load_module(module_path: str) -> _Module:
    """The process's one instance of the module at ``module_path`` (a file path, not a bare
    library name), loaded on first use."""
    if not module_path or not Path(module_path).is_file():
        raise KeyBackendError(f"PKCS#11 module not found: {module_path!r}", module=module_path)
    # Two spellings of one file (Debian links /usr/lib/softhsm/ into the multiarch folder)
    # must not initialise the module twice.
    path = os.path.realpath(module_path)
    with _MODULES_LOCK:
        module = _MODULES.get(path)
        if module is None:
            try:
                lib = pkcs11.lib(path)
            except PKCS11Error as exc:
                raise KeyBackendError(
                    f"the PKCS#11 module {module_path!r} cannot be loaded: {_describe(exc)}",
                    module=module_path,
                ) from exc
            module = _Module(path=path, lib=lib)
            _MODULES[path] = module
        return module


def is_module_loaded(module_path: str) -> bool:
    """True once this process has loaded the module (it then sees no token made after that)."""
    return os.path.realpath(module_path) in _MODULES


def _describe(exc: PKCS11Error) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --- sessions ------------------------------------------------------------------------------


@dataclass
class _Session:
    module: _Module
    token_serial: bytes
    token_label: str
    handle: Any  # pkcs11.Session


def _find_token(module: _Module, token_label: str) -> Any:
    try:
        return module.lib.get_token(token_label=token_label)
    except pkcs11.NoSuchToken:
        # A SoftHSM2 module always shows one free, unlabelled slot: leave it out.
        labels = sorted(
            label for slot in module.lib.get_slots(token_present=True) if (label := slot.get_token().label)
        )
        raise KeyBackendError(
            f"no PKCS#11 token labelled {token_label!r} in {module.path} "
            f"(tokens present: {', '.join(map(repr, labels)) or 'none'})",
            module=module.path,
            token=token_label,
        ) from None
    except pkcs11.MultipleTokensReturned:
        raise KeyBackendError(
            f"more than one PKCS#11 token is labelled {token_label!r} in {module.path}",
            module=module.path,
            token=token_label,
        ) from None
    except PKCS11Error as exc:
        raise KeyBackendError(
            f"the tokens of {module.path} cannot be listed: {_describe(exc)}", module=module.path
        ) from exc


def _open_session(module: _Module, token_label: str, pin: str, *, rw: bool = False) -> _Session:
    """Open a session logged in as the token's user; the caller holds ``module.lock``."""
    token = _find_token(module, token_label)
    serial: bytes = token.serial
    login = module.logins.get(serial)
    try:
        if login is None:
            handle = token.open(user_pin=pin, rw=rw)
            module.logins[serial] = _Login(pin_mac=module.pin_mac(pin), sessions=1)
        else:
            # Already logged in through another session of this process: the token will not
            # check the PIN again, so check it against the one that logged in.
            if not hmac.compare_digest(login.pin_mac, module.pin_mac(pin)):
                raise pkcs11.PinIncorrect()
            handle = token.open(rw=rw)
            login.sessions += 1
    except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid):
        raise KeyBackendError(
            f"wrong PIN for PKCS#11 token {token_label!r}", module=module.path, token=token_label
        ) from None
    except pkcs11.PinLocked:
        raise KeyBackendError(
            f"the user PIN of PKCS#11 token {token_label!r} is locked; the security officer must reset it",
            module=module.path,
            token=token_label,
        ) from None
    except pkcs11.UserAlreadyLoggedIn:
        raise KeyBackendError(
            f"PKCS#11 token {token_label!r} is already logged in by other code in this process",
            module=module.path,
            token=token_label,
        ) from None
    except PKCS11Error as exc:
        raise KeyBackendError(
            f"no session can be opened on PKCS#11 token {token_label!r}: {_describe(exc)}",
            module=module.path,
            token=token_label,
        ) from exc
    return _Session(module=module, token_serial=serial, token_label=token_label, handle=handle)


def _close_session(session: _Session) -> None:
    """Close a session; the caller holds ``module.lock``. The token logs out with the last."""
    module = session.module
    try:
        session.handle.close()
    except PKCS11Error:
        pass  # The session is gone already (token removed, module reset): nothing to end.
    finally:
        login = module.logins.get(session.token_serial)
        if login is not None:
            login.sessions -= 1
            if login.sessions <= 0:
                del module.logins[session.token_serial]


@contextmanager
def _session(module_path: str, token_label: str, pin: str, *, rw: bool = False) -> Iterator[_Session]:
    """A short-lived session, with the module's lock held throughout."""
    module = _load_module(module_path)
    with module.lock:
        session = _open_session(module, token_label, pin, rw=rw)
        try:
            yield session
        finally:
            _close_session(session)


def _objects(session: _Session, object_class: ObjectClass, key_label: str | None) -> list[Any]:
    template: dict[Attribute, Any] = {Attribute.CLASS: object_class}
    if key_label is not None:
        template[Attribute.LABEL] = key_label
    try:
        # Run the search to its end so the find operation is finalised.
        return list(session.handle.get_objects(template))
    except PKCS11Error as exc:
        raise KeyBackendError(
            f"the objects on PKCS#11 token {session.token_label!r} cannot be searched: {_describe(exc)}",
            token=session.token_label,
        ) from exc


def _key_labels(session: _Session) -> list[str]:
    labels = {obj[Attribute.LABEL] for obj in _objects(session, ObjectClass.PRIVATE_KEY, None)}
    return sorted(str(label) for label in labels)


def _private_key(session: _Session, key_label: str) -> Any:
    found = _objects(session, ObjectClass.PRIVATE_KEY, key_label)
    if not found:
        present = ", ".join(map(repr, _key_labels(session))) or "none"
        raise KeyBackendError(
            f"no private key labelled {key_label!r} on PKCS#11 token {session.token_label!r} "
            f"(keys present: {present})",
            token=session.token_label,
            key=key_label,
        )
    if len(found) > 1:
        raise KeyBackendError(
            f"{len(found)} private keys are labelled {key_label!r} on PKCS#11 token "
            f"{session.token_label!r}; labels must be unique",
            token=session.token_label,
            key=key_label,
        )
    return found[0]


def _public_key(session: _Session, key_label: str) -> PublicKey | None:
    """The ``cryptography`` form of the public key object labelled ``key_label``, if any."""
    found = _objects(session, ObjectClass.PUBLIC_KEY, key_label)
    if not found:
        return None
    if len(found) > 1:
        raise KeyBackendError(
            f"{len(found)} public keys are labelled {key_label!r} on PKCS#11 token "
            f"{session.token_label!r}; labels must be unique",
            token=session.token_label,
            key=key_label,
        )
    obj = found[0]
    key_type = obj.key_type
    try:
        if key_type == KeyType.EC:
            loaded = serialization.load_der_public_key(encode_ec_public_key(obj))
        elif key_type == KeyType.RSA:
            modulus = int.from_bytes(obj[Attribute.MODULUS], "big")
            exponent = int.from_bytes(obj[Attribute.PUBLIC_EXPONENT], "big")
            loaded = rsa.RSAPublicNumbers(exponent, modulus).public_key()
        else:
            loaded = None
    except (PKCS11Error, ValueError) as exc:
        raise KeyBackendError(
            f"the public key labelled {key_label!r} on PKCS#11 token {session.token_label!r} "
            f"cannot be read: {exc}",
            token=session.token_label,
            key=key_label,
        ) from exc
    if not isinstance(loaded, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise KeyBackendError(
            f"the key labelled {key_label!r} is of type {key_type!s}; RSA or EC keys are supported",
            token=session.token_label,
            key=key_label,
        )
    return loaded


def _spki(key: CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- public helpers -------------------------------------------------------------------------


def has_key(module_path: str, token_label: str, pin: str, key_label: str) -> bool:
    """True when the token holds a private key labelled ``key_label``.

    Tells "no such key yet" apart from the errors (module, token, PIN), which still raise.
    """
    with _session(module_path, token_label, pin) as session:
        return bool(_objects(session, ObjectClass.PRIVATE_KEY, key_label))


def public_key_of(module_path: str, token_label: str, pin: str, key_label: str) -> PublicKey:
    """The public key of the key pair labelled ``key_label``, so a CA can certify it."""
    with _session(module_path, token_label, pin) as session:
        public = _public_key(session, key_label)
        if public is None:
            raise KeyBackendError(
                f"no public key labelled {key_label!r} on PKCS#11 token {token_label!r}",
                token=token_label,
                key=key_label,
            )
        return public


def generate_ec_keypair(module_path: str, token_label: str, pin: str, key_label: str) -> PublicKey:
    """Make an ECDSA P-256 key pair on the token and return its public key.

    The private key is sensitive and not extractable: it can sign, and nothing else, and it
    cannot be read out of the token. A label already in use is refused, so a label always
    names one key.
    """
    with _session(module_path, token_label, pin, rw=True) as session:
        if _objects(session, ObjectClass.PRIVATE_KEY, key_label) or _objects(
            session, ObjectClass.PUBLIC_KEY, key_label
        ):
            raise KeyBackendError(
                f"a key labelled {key_label!r} already exists on PKCS#11 token {token_label!r}",
                token=token_label,
                key=key_label,
            )
        key_id = secrets.token_bytes(16)
        try:
            parameters = session.handle.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True,
            )
            parameters.generate_keypair(
                id=key_id,
                label=key_label,
                store=True,
                capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                public_template={Attribute.PRIVATE: False},
                private_template={
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                },
            )
        except PKCS11Error as exc:
            raise KeyBackendError(
                f"no EC key pair can be made on PKCS#11 token {token_label!r}: {_describe(exc)}",
                token=token_label,
                key=key_label,
            ) from exc
        public = _public_key(session, key_label)
    assert public is not None  # just stored in the same locked session
    return public


# --- the key backend ------------------------------------------------------------------------


class _SerialisedKeyHandle:
    """A private key handle whose ``sign`` holds the module lock and reports clear errors.

    pyHanko calls ``sign`` from an executor thread of whichever event loop signs, so calls
    from several signing threads meet here.
    """

    def __init__(self, key: Pkcs11Key, lock: threading.RLock, handle: Any) -> None:
        self._key = key
        self._lock = lock
        self._handle = handle

    def sign(self, data: bytes, **kwargs: Any) -> bytes:
        key = self._key
        with self._lock:
            if key.closed:
                raise KeyBackendError(f"the PKCS#11 key {key.label!r} is closed", key=key.label)
            try:
                signature: bytes = self._handle.sign(data, **kwargs)
            except PKCS11Error as exc:
                raise KeyBackendError(
                    f"PKCS#11 token {key.token_label!r} refused to sign with key "
                    f"{key.key_label!r}: {_describe(exc)}",
                    token=key.token_label,
                    key=key.key_label,
                ) from exc
        return signature


class _Pkcs11Signer(KeptSigningCertificateMixin, PKCS11Signer):
    """pyHanko's PKCS#11 signer with its token calls routed through the module lock.

    Both overrides are pyHanko 0.38 internals (hence the pin ``pyhanko<0.39``).
    """

    def __init__(self, key: Pkcs11Key, lock: threading.RLock, **kwargs: Any) -> None:
        self._govdoc_key = key
        self._govdoc_lock = lock
        super().__init__(**kwargs)

    def _load_objects(self) -> None:
        with self._govdoc_lock:
            super()._load_objects()  # type: ignore[no-untyped-call]

    def _pull_signing_key_handle(self) -> _SerialisedKeyHandle:
        handle = super()._pull_signing_key_handle()  # type: ignore[no-untyped-call]
        return _SerialisedKeyHandle(self._govdoc_key, self._govdoc_lock, handle)


class Pkcs11Key:
    """A signing key on a PKCS#11 token, with the certificate a CA issued for it.

    Implements the engine's ``KeyBackend`` protocol. The session opened here is kept until
    :meth:`close` (or the end of a ``with`` block); one instance may sign from many threads
    at once. EC keys are signed with raw ECDSA over a digest computed here: SoftHSM2 2.6 and
    several HSMs offer no hash-and-sign ECDSA mechanism.

    Each thread gets its own pyHanko signer over the one session: a pyHanko signer holds
    asn1crypto certificate objects that parse and re-encode themselves lazily, and sharing
    them between threads corrupted about one signature in thirty in a 4-thread test
    ("Value for field serial_number ... is not set"). The token calls of all those signers
    still go through the module lock.
    """

    def __init__(
        self,
        *,
        module_path: str,
        token_label: str,
        pin: str,
        key_label: str,
        certificate: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        label: str,
    ) -> None:
        self._certificate = certificate
        self._chain = chain
        self._label = label
        self._token_label = token_label
        self._key_label = key_label
        self._closed = False
        self._signers = threading.local()
        self._module = _load_module(module_path)
        with self._module.lock:
            self._session = _open_session(self._module, token_label, pin)
            try:
                self._raw_ecdsa = self._check_key()
                self._signers.signer = self._new_signer()
            except BaseException:
                _close_session(self._session)
                raise

    def _check_key(self) -> bool:
        """Check the key and its certificate; True for an EC key (signed with raw ECDSA)."""
        session = self._session
        private = _private_key(session, self.key_label)
        key_type = private.key_type
        if key_type not in (KeyType.EC, KeyType.RSA):
            raise KeyBackendError(
                f"the key labelled {self.key_label!r} is of type {key_type!s}; RSA or EC keys are supported",
                token=self.token_label,
                key=self.key_label,
            )
        public = _public_key(session, self.key_label)
        # A token may hold no public key object; then the first signature is the only check.
        if public is not None and _spki(public) != _spki(self.certificate.public_key()):
            raise KeyBackendError(
                f"the certificate of {self.label!r} ({self.certificate.subject.rfc4514_string()}) "
                f"was not issued for key {self.key_label!r} on PKCS#11 token {self.token_label!r}",
                token=self.token_label,
                key=self.key_label,
            )
        return bool(key_type == KeyType.EC)

    def _new_signer(self) -> _Pkcs11Signer:
        signer = _Pkcs11Signer(
            self,
            self._module.lock,
            pkcs11_session=self._session.handle,
            key_label=self.key_label,
            signing_cert=to_asn1_certificate(self.certificate),
            ca_chain=[to_asn1_certificate(cert) for cert in self.chain],
            other_certs_to_pull=(),
            use_raw_mechanism=self._raw_ecdsa,
        )
        # Look the key up now, under the lock, not lazily from a signing thread's event loop.
        _ = signer.signing_cert
        return signer

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        return self._chain

    @property
    def label(self) -> str:
        return self._label

    @property
    def token_label(self) -> str:
        return self._token_label

    @property
    def key_label(self) -> str:
        return self._key_label

    @property
    def closed(self) -> bool:
        return self._closed

    def signer(self) -> Signer:
        """The pyHanko signer of the calling thread: the same object on every call from one
        thread, valid until :meth:`close`."""
        with self._module.lock:
            if self._closed:
                raise KeyBackendError(f"the PKCS#11 key {self.label!r} is closed", key=self.label)
            signer: _Pkcs11Signer | None = getattr(self._signers, "signer", None)
            if signer is None:
                signer = self._signers.signer = self._new_signer()
            return signer

    def close(self) -> None:
        """End the session (and the token login with its last session). Idempotent."""
        with self._module.lock:
            if self._closed:
                return
            self._closed = True
            _close_session(self._session)

    def __enter__(self) -> Pkcs11Key:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Pkcs11Key {self.label!r} token={self.token_label!r} key={self.key_label!r} {state}>"
