"""The module matrix of a QR code with a fixed mask: segno's, bit for bit, made faster.

segno places every bit of the message and applies the data mask module by module in Python:
about 2.5 ms for the version 13 symbol of an issued document, the larger part of making its
QR code. Neither step depends on the message's bits, only on where they go: with a fixed mask,
the matrix is the matrix of an all-zero message with each set message bit flipped at its place.
Both (the all-zero matrix and the places) are made once per version, error level and mask by
segno's own functions, and the message bits are made by segno's own encoder steps; tests
compare the result with ``segno.make`` over many messages and versions.

Uses segno's encoder module (internal API, hence the pin ``segno>=1.6,<1.7``).
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from segno import consts as segno_consts
from segno import encoder as segno_encoder

encoder: Any = segno_encoder  # untyped internals
consts: Any = segno_consts

_lock = threading.Lock()
_BITS = tuple(bytes((byte >> i) & 1 for i in range(7, -1, -1)) for byte in range(256))


@dataclass(frozen=True)
class QrMatrix:
    """A QR code's modules without the quiet zone: ``rows[y][x]`` is 1 for dark, 0 for light."""

    version: int
    rows: tuple[bytes, ...]

    @property
    def size(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class _Layout:
    width: int
    base: bytes  # the finished matrix (masked, format and version information) of an all-zero message
    places: tuple[int, ...]  # the module each message bit flips (row-major), in message order


def _matrix_for(message: bytes | bytearray, version: int, error: int, mask: int) -> tuple[bytearray, ...]:
    """segno's steps after the message (``encoder._encode``) for a QR code with ``mask``."""
    width = encoder.calc_matrix_size(version)
    matrix = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(matrix, width, width)
    encoder.add_alignment_patterns(matrix, width, width)
    encoder.add_codewords(matrix, message, version)
    _, matrix = encoder.find_and_apply_best_mask(matrix, width, width, mask)
    encoder.add_format_info(matrix, version, error, mask)
    encoder.add_version_info(matrix, version)
    return tuple(matrix)


def _flat(matrix: Sequence[bytearray]) -> bytes:
    return b"".join(bytes(row) for row in matrix)


@functools.lru_cache(maxsize=32)
def _layout(version: int, error: int, mask: int, bits: int) -> _Layout:
    width = encoder.calc_matrix_size(version)
    base = _flat(_matrix_for(bytes(bits), version, error, mask))
    # Where segno puts bit k: place the numbers k (low and high byte apart; placement does not
    # look at the values) and read them back from the modules placement wrote.
    low, high = (_flat(_place(bytes((k >> shift) & 0xFF for k in range(bits)), version)) for shift in (0, 8))
    placed = _flat(_place(b"\x01" * bits, version))
    empty = _flat(_place(b"", version, fill=False))
    places = [-1] * bits
    for index, (before, after) in enumerate(zip(empty, placed, strict=True)):
        if before == 0x2 and after == 0x1:
            places[low[index] | high[index] << 8] = index
    if -1 in places:
        raise ValueError(f"the QR layout of version {version} could not be derived from segno")
    ones = _flat(_matrix_for(b"\x01" * bits, version, error, mask))
    # A bit shows only where the finished matrix of an all-one message differs (format or
    # version information written over a place hides it): a hidden bit flips a spare module
    # past the end, which is dropped.
    spare = width * width
    shown = tuple(place if ones[place] != base[place] else spare for place in places)
    return _Layout(width=width, base=base, places=shown)


def _place(message: bytes, version: int, *, fill: bool = True) -> tuple[bytearray, ...]:
    width = encoder.calc_matrix_size(version)
    matrix = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(matrix, width, width)
    encoder.add_alignment_patterns(matrix, width, width)
    if fill:
        encoder.add_codewords(matrix, message, version)
    return tuple(matrix)


def _interleaved(blocks: list[Any]) -> bytes:
    return b"".join(
        _BITS[x] for x in itertools.chain.from_iterable(itertools.zip_longest(*blocks)) if x is not None
    )


def _final_message(version: int, level: int, buffer: Any) -> bytes:
    """``encoder.make_final_message`` for a QR code, with each codeword's bits from a table."""
    data_blocks, error_blocks = encoder.make_blocks(consts.ECC[version][level], buffer)
    remainder = 0
    if version in (2, 3, 4, 5, 6):
        remainder = 7
    elif version in (14, 15, 16, 17, 18, 19, 20, 28, 29, 30, 31, 32, 33, 34):
        remainder = 3
    elif version in (21, 22, 23, 24, 25, 26, 27):
        remainder = 4
    return _interleaved(data_blocks) + _interleaved(error_blocks) + bytes(remainder)


def qr_matrix(segments: Sequence[str], *, error: str, mask: int) -> QrMatrix:
    """The QR code (never Micro QR) of ``segments`` (segno picks each one's mode), at the
    smallest version that holds them at ``error``, with data mask ``mask``; no error boost."""
    content: Any = list(segments)
    prepared = encoder.prepare_data(content, None, None)
    level = encoder.normalize_errorlevel(error)
    mask = encoder.normalize_mask(mask, False)
    version = encoder.find_version(prepared, level, eci=False, micro=False)
    buffer = encoder.Buffer()
    for segment in prepared:
        encoder.write_segment(buffer, segment, None, encoder.version_range(version), False)
    capacity = consts.SYMBOL_CAPACITY[version][level]
    encoder.write_terminator(buffer, capacity, None, len(buffer))
    encoder.write_padding_bits(buffer, version, len(buffer))
    encoder.write_pad_codewords(buffer, version, capacity, len(buffer))
    message = _final_message(version, level, buffer)
    with _lock:  # lru_cache may build one layout twice at once otherwise: harmless but slow
        layout = _layout(version, level, mask, len(message))
    modules = bytearray(layout.base)
    modules.append(0)  # the spare module of hidden bits
    for place in itertools.compress(layout.places, message):
        modules[place] ^= 1
    width = layout.width
    return QrMatrix(
        version=version, rows=tuple(bytes(modules[y * width : (y + 1) * width]) for y in range(width))
    )
