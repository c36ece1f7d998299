"""Detached CMS signatures (RFC 5652) over arbitrary bytes, e.g. canonical JSON.

Used for approval decisions, distribution envelopes and receipts: the data is stored as is,
the signature beside it. CAdES signed attributes (signing-certificate-v2) are included, and a
signature timestamp token (RFC 3161) when a timestamper is given (CAdES-B-T).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps import TimeStamper

from govdoc.signatures.engine import aio
from govdoc.signatures.engine.errors import EngineError, SigningError

if TYPE_CHECKING:
    from govdoc.signatures.engine.keys import KeyBackend

DIGEST_ALGORITHM = "sha256"


def sign_detached(data: bytes, *, key: KeyBackend, timestamper: TimeStamper | None) -> bytes:
    """A DER CMS ContentInfo(SignedData) over ``data``, without the data itself."""
    signer = key.signer()
    try:
        content_info = aio.run(
            signer.async_sign_general_data(
                data, DIGEST_ALGORITHM, detached=True, use_cades=True, timestamper=timestamper
            )
        )
    except EngineError:
        raise  # e.g. KeyBackendError from a key backend, already in our terms
    except PyHankoSigningError as exc:
        raise SigningError(f"the data could not be signed: {exc}", label=key.label) from exc
    except Exception as exc:  # never let a pyHanko traceback reach a caller
        raise SigningError(f"the data could not be signed: {exc}", label=key.label) from exc
    return bytes(content_info.dump())
