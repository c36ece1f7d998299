"""The PKCS#11 key backend, against a real SoftHSM2 token: keys made on the token, certified by
a test CA, PDFs signed as PAdES B-T and validated, errors a person can act on.

SoftHSM2 reads ``SOFTHSM2_CONF`` once, when the module is first loaded in a process, and then
sees only the tokens that existed at that moment. The session fixture therefore makes every
token this file needs first, sets the variable, and only then loads the module.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pkcs11
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.timestamps import TimeStamper

from govdoc.signatures.engine import devpki, pades, softhsm
from govdoc.signatures.engine.errors import KeyBackendError
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.engine.pkcs11 import (
    Pkcs11Key,
    generate_ec_keypair,
    has_key,
    is_module_loaded,
    public_key_of,
)
from govdoc.signatures.engine.softhsm import SoftHsmToken
from govdoc.signatures.engine.validation import TrustConfig, validate_pdf
from govdoc.signatures.tests.conftest import CRL_URL, DevPki, make_sample_pdf

TOKEN_LABEL = "govdoc-eseal"
SPARE_TOKEN_LABEL = "govdoc-spare"  # never logged in by this process until a test does
PIN = "4711-test-pin"
SO_PIN = "so-pin-0815"
KEY_LABEL = "agency-eseal"
DOCUMENT_TEXT = "Resenje br. 351-12/2026: HSM test"


def _require_softhsm() -> None:
    if softhsm.is_available():
        return
    reason = "SoftHSM2 is not installed (softhsm2-util and libsofthsm2.so are needed)"
    if os.environ.get("GOVDOC_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{reason}, and GOVDOC_REQUIRE_TOOLS=1 requires it")
    pytest.skip(reason)


@dataclass(frozen=True)
class Hsm:
    """A SoftHSM2 token with an e-seal key on it, certified by the test PKI's root CA."""

    token: SoftHsmToken
    spare: SoftHsmToken
    root: devpki.CertifiedKey
    certificate: x509.Certificate
    timestamper: TimeStamper
    trust: TrustConfig

    def key(self, *, pin: str = PIN, key_label: str = KEY_LABEL, label: str = "test e-seal") -> Pkcs11Key:
        return Pkcs11Key(
            module_path=self.token.module_path,
            token_label=self.token.label,
            pin=pin,
            key_label=key_label,
            certificate=self.certificate,
            chain=(self.root.certificate,),
            label=label,
        )


@pytest.fixture(scope="session")
def hsm(
    tmp_path_factory: pytest.TempPathFactory,
    dev_pki: DevPki,
    trust_config: TrustConfig,
    timestamper: TimeStamper,
) -> Iterator[Hsm]:
    _require_softhsm()
    module_path = softhsm.find_module()
    if is_module_loaded(module_path):
        pytest.fail(
            "the SoftHSM2 module was loaded in this process before this fixture set "
            "SOFTHSM2_CONF: its tokens would not be visible; share one SoftHSM2 fixture"
        )
    directory: Path = tmp_path_factory.mktemp("softhsm")
    token = SoftHsmToken.create(directory, label=TOKEN_LABEL, pin=PIN, so_pin=SO_PIN)
    spare = SoftHsmToken.create(directory, label=SPARE_TOKEN_LABEL, pin=PIN, so_pin=SO_PIN)
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ.update(token.env)  # before the first load: SoftHSM2 reads it at C_Initialize

    public_key = generate_ec_keypair(module_path, TOKEN_LABEL, PIN, KEY_LABEL)
    certificate = devpki.issue_certificate(
        dev_pki.root,
        kind="eseal",
        common_name="RGZ e-seal (HSM)",
        organization="Republicki geodetski zavod",
        public_key=public_key,
        not_before=dev_pki.now - timedelta(hours=1),
        not_after=dev_pki.now + timedelta(days=365),
        crl_url=CRL_URL,
    )
    yield Hsm(
        token=token,
        spare=spare,
        root=dev_pki.root,
        certificate=certificate,
        timestamper=timestamper,
        trust=trust_config,
    )
    # The module stays loaded with this configuration; only child processes see the change.
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture(scope="session")
def eseal(hsm: Hsm) -> Iterator[Pkcs11Key]:
    key = hsm.key()
    yield key
    key.close()


@pytest.fixture(scope="session")
def document() -> bytes:
    return make_sample_pdf(DOCUMENT_TEXT)


def _sign(
    key: Pkcs11Key,
    hsm: Hsm,
    pdf: bytes,
    *,
    certify: bool = False,
    embed_validation_info: TrustConfig | None = None,
) -> bytes:
    return pades.sign_pdf(
        pdf,
        key=key,
        timestamper=hsm.timestamper,
        reason="HSM e-seal test",
        certify=certify,
        embed_validation_info=embed_validation_info,
    )


@pytest.fixture(scope="session")
def signed(hsm: Hsm, eseal: Pkcs11Key, document: bytes) -> bytes:
    return _sign(eseal, hsm, document)


# --- key generation and certification ---------------------------------------------------


def test_key_pair_made_on_the_token_is_p256_and_its_certificate_names_it(hsm: Hsm) -> None:
    public = public_key_of(hsm.token.module_path, TOKEN_LABEL, PIN, KEY_LABEL)

    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.curve.name == "secp256r1"
    assert public == hsm.certificate.public_key()


def test_private_key_on_the_token_cannot_be_read_out(hsm: Hsm, eseal: Pkcs11Key) -> None:
    # The e-seal key's session keeps the token logged in, so a session without a PIN sees it.
    lib = pkcs11.lib(os.path.realpath(hsm.token.module_path))
    with lib.get_token(token_label=TOKEN_LABEL).open() as session:
        (private,) = session.get_objects(
            {pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY, pkcs11.Attribute.LABEL: KEY_LABEL}
        )
        assert private[pkcs11.Attribute.SENSITIVE] is True
        assert private[pkcs11.Attribute.EXTRACTABLE] is False
        assert private[pkcs11.Attribute.NEVER_EXTRACTABLE] is True
        assert private[pkcs11.Attribute.SIGN] is True
        assert private[pkcs11.Attribute.DERIVE] is False  # a seal key signs and does nothing else
        assert private[pkcs11.Attribute.DECRYPT] is False
        with pytest.raises(pkcs11.AttributeSensitive):
            private[pkcs11.Attribute.VALUE]


def test_has_key_tells_a_missing_key_from_a_present_one(hsm: Hsm) -> None:
    module_path = hsm.token.module_path

    assert has_key(module_path, TOKEN_LABEL, PIN, KEY_LABEL)
    assert not has_key(module_path, TOKEN_LABEL, PIN, "not-made-yet")
    with pytest.raises(KeyBackendError, match="wrong PIN"):
        has_key(module_path, SPARE_TOKEN_LABEL, "0000-wrong", KEY_LABEL)


def test_a_label_already_in_use_is_not_generated_again(hsm: Hsm) -> None:
    with pytest.raises(KeyBackendError, match=f"a key labelled '{KEY_LABEL}' already exists"):
        generate_ec_keypair(hsm.token.module_path, TOKEN_LABEL, PIN, KEY_LABEL)


# --- signing and validation ---------------------------------------------------------------


def test_pdf_sealed_with_the_hsm_key_validates_as_authentic(hsm: Hsm, signed: bytes) -> None:
    report = validate_pdf(signed, trust=hsm.trust)

    assert report.state is Verdict.AUTHENTIC, report.reasons
    (signature,) = report.signatures
    assert "RGZ e-seal (HSM)" in signature.signer_subject
    assert signature.intact and signature.trusted and signature.covers_whole_file
    assert signature.timestamp_time is not None


def test_one_flipped_byte_in_an_hsm_sealed_pdf_is_altered(hsm: Hsm, signed: bytes) -> None:
    position = signed.index(DOCUMENT_TEXT.encode("latin-1"))
    tampered = bytearray(signed)
    tampered[position] ^= 0x01  # "R" becomes "S" in the signed page content

    report = validate_pdf(bytes(tampered), trust=hsm.trust)

    assert report.state is Verdict.ALTERED, report.reasons


def test_certified_long_term_seal_from_the_hsm_validates_as_authentic(
    hsm: Hsm, eseal: Pkcs11Key, document: bytes
) -> None:
    sealed = _sign(eseal, hsm, document, certify=True, embed_validation_info=hsm.trust)

    report = validate_pdf(sealed, trust=hsm.trust)

    assert report.state is Verdict.AUTHENTIC, report.reasons
    assert report.signatures[0].certified


def test_four_threads_seal_at_once_with_one_key(hsm: Hsm, eseal: Pkcs11Key, document: bytes) -> None:
    start = threading.Barrier(4, timeout=120)  # a guard against a hang, not a speed check
    results: list[bytes] = []
    errors: list[BaseException] = []

    def seal_twice() -> None:
        try:
            start.wait()
            for _ in range(2):
                results.append(_sign(eseal, hsm, document))
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=seal_twice) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(results)) == 8  # ECDSA and the timestamps make every signature unique
    for result in results:
        assert validate_pdf(result, trust=hsm.trust).state is Verdict.AUTHENTIC


def test_each_thread_keeps_its_own_signer(eseal: Pkcs11Key) -> None:
    # pyHanko signers hold lazily parsed asn1crypto objects: sharing one between threads
    # corrupted signatures, so each thread gets its own (over the same session).
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(eseal.signer()))
    thread.start()
    thread.join()

    assert eseal.signer() is eseal.signer()
    assert other[0] is not eseal.signer()


def test_closing_one_key_leaves_the_other_keys_on_the_token_working(
    hsm: Hsm, eseal: Pkcs11Key, document: bytes
) -> None:
    # The token's login belongs to the process; closing one of two sessions must not end it.
    with hsm.key(label="second handle") as second:
        assert _sign(second, hsm, document)
    assert second.closed

    assert validate_pdf(_sign(eseal, hsm, document), trust=hsm.trust).state is Verdict.AUTHENTIC


def test_a_closed_key_refuses_to_sign(hsm: Hsm) -> None:
    key = hsm.key(label="short-lived")
    key.close()
    key.close()  # idempotent

    with pytest.raises(KeyBackendError, match="'short-lived' is closed"):
        key.signer()


# --- errors a person can act on ----------------------------------------------------------


def test_wrong_pin_is_refused_without_repeating_it(hsm: Hsm) -> None:
    spare = hsm.spare
    with pytest.raises(KeyBackendError, match=f"wrong PIN for PKCS#11 token '{SPARE_TOKEN_LABEL}'") as info:
        public_key_of(spare.module_path, spare.label, "0000-wrong", KEY_LABEL)

    assert "0000-wrong" not in str(info.value)


def test_wrong_pin_is_refused_while_the_token_is_logged_in(hsm: Hsm, eseal: Pkcs11Key) -> None:
    # The token does not ask again once the process is logged in; the backend still checks.
    with pytest.raises(KeyBackendError, match=f"wrong PIN for PKCS#11 token '{TOKEN_LABEL}'"):
        hsm.key(pin="0000-wrong")


def test_unknown_key_label_names_the_keys_that_are_there(hsm: Hsm, eseal: Pkcs11Key) -> None:
    with pytest.raises(
        KeyBackendError,
        match=f"no private key labelled 'no-such-key' on PKCS#11 token '{TOKEN_LABEL}' "
        f"\\(keys present: '{KEY_LABEL}'\\)",
    ):
        hsm.key(key_label="no-such-key")


def test_unknown_token_names_the_tokens_that_are_there(hsm: Hsm) -> None:
    with pytest.raises(KeyBackendError, match="no PKCS#11 token labelled 'no-such-token'") as info:
        Pkcs11Key(
            module_path=hsm.token.module_path,
            token_label="no-such-token",
            pin=PIN,
            key_label=KEY_LABEL,
            certificate=hsm.certificate,
            chain=(),
            label="x",
        )

    assert f"'{TOKEN_LABEL}'" in str(info.value)


def test_missing_module_is_reported(tmp_path: Path) -> None:
    missing = str(tmp_path / "libnothere.so")
    with pytest.raises(KeyBackendError, match="PKCS#11 module not found"):
        public_key_of(missing, TOKEN_LABEL, PIN, KEY_LABEL)


def test_certificate_of_another_key_is_refused(hsm: Hsm) -> None:
    with pytest.raises(KeyBackendError, match=f"was not issued for key '{KEY_LABEL}'"):
        Pkcs11Key(
            module_path=hsm.token.module_path,
            token_label=TOKEN_LABEL,
            pin=PIN,
            key_label=KEY_LABEL,
            certificate=hsm.root.certificate,
            chain=(),
            label="wrong certificate",
        )


def test_token_pins_too_short_for_softhsm_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyBackendError, match="PIN needs 4 to 255 characters"):
        softhsm.init_token(tmp_path, label="t", pin="12", so_pin="123456")
