"""Signing from many threads at once with one kept key and one timestamp authority.

A pyHanko signer (and timestamper) caches lazily built asn1crypto objects; shared between
threads they were seen to produce corrupt signatures. Key backends and the local TSA therefore
hand each thread its own signer over the one kept key. Issuance signs from worker threads, so
every signature made here must verify.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from pyhanko.sign.timestamps import TimeStamper

from govdoc.signatures.engine.keys import SoftwareKey
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.engine.pades import sign_pdf
from govdoc.signatures.engine.timestamps import LocalTimestampAuthority
from govdoc.signatures.engine.validation import TrustConfig, validate_pdf
from govdoc.signatures.tests.conftest import make_sample_pdf


def test_four_threads_sign_with_one_key_and_every_signature_verifies(
    eseal_key: SoftwareKey, local_tsa: LocalTimestampAuthority, trust_config: TrustConfig
) -> None:
    def sign(n: int) -> bytes:
        return sign_pdf(make_sample_pdf(f"Dokument {n}"), key=eseal_key, timestamper=local_tsa.timestamper())

    with ThreadPoolExecutor(max_workers=4) as pool:
        signed = list(pool.map(sign, range(80)))
    verdicts = [validate_pdf(pdf, trust=trust_config).state for pdf in signed]
    assert verdicts == [Verdict.AUTHENTIC] * 80


def test_each_thread_gets_its_own_signer_and_timestamper(
    eseal_key: SoftwareKey, local_tsa: LocalTimestampAuthority
) -> None:
    together = threading.Barrier(3)

    def objects(_: int) -> tuple[int, int]:
        together.wait(timeout=10)  # three live threads at once, so none reuses another's slot
        return id(eseal_key.signer()), id(local_tsa.timestamper())

    with ThreadPoolExecutor(max_workers=3) as pool:
        seen = list(pool.map(objects, range(3)))
    assert len({signer for signer, _ in seen}) == 3
    assert len({stamper for _, stamper in seen}) == 3
    # within one thread it is the same kept object every time
    assert eseal_key.signer() is eseal_key.signer()
    timestamper: TimeStamper = local_tsa.timestamper()
    assert timestamper is local_tsa.timestamper()
