"""The development PKI: key files, certificate profiles, CRLs, software keys."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from govdoc.signatures.engine import devpki
from govdoc.signatures.engine.errors import KeyBackendError
from govdoc.signatures.engine.keys import SoftwareKey
from govdoc.signatures.tests.conftest import KEY_PASSPHRASE, DevPki


def test_encrypted_key_round_trip_gives_back_the_same_key(dev_pki: DevPki) -> None:
    pem = devpki.encrypt_key(dev_pki.eseal.private_key, "pin-1234")

    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    key = devpki.decrypt_key(pem, "pin-1234")
    assert key.private_numbers() == dev_pki.eseal.private_key.private_numbers()


def test_wrong_passphrase_raises_key_backend_error(dev_pki: DevPki) -> None:
    pem = devpki.encrypt_key(dev_pki.person.private_key, "the right one")

    with pytest.raises(KeyBackendError, match="wrong passphrase"):
        devpki.decrypt_key(pem, "the wrong one")


def test_software_key_with_wrong_passphrase_raises_key_backend_error(dev_pki: DevPki) -> None:
    with pytest.raises(KeyBackendError):
        SoftwareKey(
            key_pem=dev_pki.key_files["eseal"],
            passphrase="nope",
            certificate=dev_pki.eseal.certificate,
            chain=dev_pki.eseal.chain,
            label="eseal",
        )


def test_software_key_refuses_a_key_that_is_not_the_certificates(dev_pki: DevPki) -> None:
    with pytest.raises(KeyBackendError, match="does not belong"):
        SoftwareKey(
            key_pem=dev_pki.key_files["person"],
            passphrase=KEY_PASSPHRASE,
            certificate=dev_pki.eseal.certificate,
            chain=dev_pki.eseal.chain,
            label="eseal",
        )


def test_software_key_keeps_one_signer(eseal_key: SoftwareKey) -> None:
    assert eseal_key.signer() is eseal_key.signer()


def test_key_types_follow_the_profile(dev_pki: DevPki) -> None:
    assert isinstance(dev_pki.eseal.private_key, ec.EllipticCurvePrivateKey)
    assert isinstance(dev_pki.person.private_key, ec.EllipticCurvePrivateKey)
    assert isinstance(dev_pki.root.private_key, rsa.RSAPrivateKey)
    assert isinstance(dev_pki.tsa.private_key, rsa.RSAPrivateKey)
    assert dev_pki.tsa.private_key.key_size == 2048


def test_eseal_certificate_is_for_non_repudiation_with_a_crl_distribution_point(dev_pki: DevPki) -> None:
    cert = dev_pki.eseal.certificate
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == "http://pki.govdoc.test/crl/root.crl"
    assert dev_pki.eseal.chain == (dev_pki.root.certificate,)
    assert cert.issuer == dev_pki.root.certificate.subject


def test_tsa_certificate_has_only_the_critical_time_stamping_purpose(dev_pki: DevPki) -> None:
    eku = dev_pki.tsa.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_person_certificate_names_the_official(dev_pki: DevPki) -> None:
    cert = dev_pki.person.certificate
    assert cert.subject.rfc4514_string().startswith(
        "1.2.840.113549.1.9.1=petar.petrovic@mup.test,CN=Petar Petrović"
    )
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["petar.petrovic@mup.test"]


def test_crl_lists_the_revoked_eseal_only_and_is_signed_by_the_root(dev_pki: DevPki) -> None:
    crl = dev_pki.crl
    assert crl.is_signature_valid(dev_pki.root.private_key.public_key())  # type: ignore[arg-type]
    revoked = crl.get_revoked_certificate_by_serial_number(dev_pki.revoked_eseal.certificate.serial_number)
    assert revoked is not None
    assert crl.get_revoked_certificate_by_serial_number(dev_pki.eseal.certificate.serial_number) is None
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1


def test_issue_certificate_with_an_explicit_serial(dev_pki: DevPki) -> None:
    key = devpki.new_key("ocsp")
    cert = devpki.issue_certificate(
        dev_pki.root,
        kind="ocsp",
        common_name="OCSP responder",
        organization="GovDoc Test PKI",
        public_key=key.public_key(),
        not_before=dev_pki.now,
        not_after=dev_pki.now.replace(year=dev_pki.now.year + 1),
        crl_url=None,
        serial=4242,
    )
    assert cert.serial_number == 4242
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.OCSP_SIGNING]


def test_a_key_under_a_pin_opens_only_with_that_pin_and_costs_a_memory_hard_kdf() -> None:
    from govdoc.signatures.engine.devpki import decrypt_key, encrypt_key_under_pin, new_key

    key = new_key("person")
    pem = encrypt_key_under_pin(key, "246810")
    assert pem.startswith(b"-----BEGIN GOVDOC PIN-PROTECTED PRIVATE KEY-----")
    opened = decrypt_key(pem, "246810")
    assert opened.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    with pytest.raises(KeyBackendError, match="wrong PIN"):
        decrypt_key(pem, "246811")
    damaged = bytearray(pem)
    damaged[80] = ord("A") if damaged[80] != ord("A") else ord("B")
    with pytest.raises(KeyBackendError):
        decrypt_key(bytes(damaged), "246810")
