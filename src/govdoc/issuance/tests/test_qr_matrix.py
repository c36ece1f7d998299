"""The QR code on every issued document is segno's, module for module: the faster matrix
(``rendering.qr_matrix``) against ``segno.make`` over messages of every length an issued
document can carry and more, in every mode mix, at each error level, for several masks."""

from __future__ import annotations

import random
import string

import pytest
import segno

from govdoc.issuance.qr_payload import qr_segments
from govdoc.issuance.rendering.qr_matrix import qr_matrix

ALPHANUMERIC = string.ascii_uppercase + string.digits + " $%*+-./:"


def _texts() -> list[str]:
    rng = random.Random(6)
    texts = []
    for length in range(0, 1500, 11):
        alphabet = ALPHANUMERIC if length % 2 else string.printable + "čćžšđČĆŽŠĐ"
        payload = "".join(rng.choices(alphabet, k=length))
        texts.append(f"HTTPS://GOVDOC.EXAMPLE/VERIFY/ABCD-EFGH-1234#P={payload}")
    return texts


@pytest.mark.parametrize(("error", "mask"), [("m", 4), ("l", 0), ("q", 2), ("h", 7)])
def test_the_matrix_is_segnos_module_for_module(error: str, mask: int) -> None:
    versions = set()
    for text in _texts():
        segments = qr_segments(text)
        try:
            expected = segno.make(segments, error=error, mask=mask, micro=False, boost_error=False)
        except segno.DataOverflowError:
            continue
        got = qr_matrix(segments, error=error, mask=mask)
        assert got.version == expected.version
        assert got.rows == tuple(bytes(row) for row in expected.matrix), (error, mask, len(text))
        versions.add(got.version)
    assert len(versions) >= 15  # small and large symbols, with and without version information
