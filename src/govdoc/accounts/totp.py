"""Time-based one-time passwords (RFC 6238, on HOTP of RFC 4226), with the standard library.

Authenticator apps (FreeOTP, Google Authenticator, Aegis, ...) read an ``otpauth://`` URI with a
base32 secret and show a 6-digit code that changes every 30 seconds; the server computes the
same code from the shared secret and the time step.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

DIGITS = 6
PERIOD = 30  # seconds per time step (RFC 6238 §4.1, the default every app uses)
_ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (the length RFC 4226 §4 recommends for HMAC-SHA1)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The key in a base32 secret as apps show it (spaces, lower case and missing padding allowed)."""
    text = secret.replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, algorithm: str = "SHA1") -> str:
    """RFC 4226 §5.3: HMAC of the 8-byte counter, dynamic truncation, the last ``digits`` digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), _ALGORITHMS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def step_at(unix_seconds: float, *, period: int = PERIOD) -> int:
    """The time step T = floor(unix time / period) (RFC 6238 §4.2)."""
    return int(unix_seconds // period)


def code_at(secret: str, unix_seconds: float) -> str:
    return hotp(secret_bytes(secret), step_at(unix_seconds))


def matching_step(secret: str, code: str, *, unix_seconds: float, window: int = 1) -> int | None:
    """The time step within ±``window`` steps whose code is ``code`` (None: no match). A clock
    drift of one step either way is tolerated (RFC 6238 §5.2). Compared in constant time."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    key = secret_bytes(secret)
    current = step_at(unix_seconds)
    found = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(hotp(key, step), code):
            found = step
    return found


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI that authenticator apps scan from a QR code."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode({"secret": secret, "issuer": issuer, "digits": DIGITS, "period": PERIOD})
    return f"otpauth://totp/{label}?{query}"
