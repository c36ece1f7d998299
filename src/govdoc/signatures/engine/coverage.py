"""Which bytes of a PDF belong to a revision, and which belong to nothing.

A signature covers its revision; every later revision (validation data, a document
timestamp, a second signature) is judged by pyHanko's modification analysis. Bytes that are
part of no revision (data appended after the last ``%%EOF``, a ZIP glued to the end, junk
between two revisions) are seen by neither: a reader ignores them, but they travel with the
file and can carry anything. GovDoc reports them, so a file is authentic only if every byte in
it is either signed or part of a revision the modification analysis allowed.

A revision here runs from its first object (or its cross-reference section, whichever comes
first) to the end of the line holding its ``%%EOF`` marker (ISO 32000-1 §7.5.5, §7.5.6).
Between revisions and after the last one only PDF white-space (§7.2.2) is tolerated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pyhanko.pdf_utils.reader import PdfFileReader

_EOF = b"%%EOF"
_STARTXREF = b"startxref"
_WHITESPACE = b"\x00\t\n\x0c\r "


@dataclass(frozen=True, slots=True)
class UncoveredBytes:
    """A run of bytes that belongs to no revision: ``offset`` and ``length``; ``after_revision``
    is the number of revisions before it (the count of revisions when it trails the file)."""

    offset: int
    length: int
    after_revision: int
    trailing: bool


def _revision_end(pdf: bytes, xref_end: int) -> int:
    """The offset just past the ``%%EOF`` line that closes the revision whose cross-reference
    data ends at ``xref_end``."""
    startxref = pdf.find(_STARTXREF, xref_end)
    eof = pdf.find(_EOF, startxref if startxref >= 0 else xref_end)
    if eof < 0:
        return len(pdf)
    end = eof + len(_EOF)
    if pdf[end : end + 2] == b"\r\n":
        return end + 2
    if pdf[end : end + 1] in (b"\r", b"\n"):
        return end + 1
    return end


def _revision_start(reader: PdfFileReader, revision: int) -> int:
    """The lowest offset of anything a revision wrote (its objects or its xref section)."""
    xrefs = reader.xrefs
    meta = xrefs.get_xref_container_info(revision)
    offsets = [meta.start_location]
    data = xrefs.get_xref_data(revision)
    offsets.extend(offset for _generation, offset in data.standard_xrefs.values())
    return min(offsets)


def _is_whitespace(chunk: bytes) -> bool:
    return not chunk.strip(_WHITESPACE)


def uncovered_bytes(pdf: bytes, reader: PdfFileReader) -> tuple[UncoveredBytes, ...]:
    """The runs of ``pdf`` (as read by ``reader``) that belong to no revision."""
    xrefs = reader.xrefs
    total = xrefs.total_revisions
    found: list[UncoveredBytes] = []
    ends = [_revision_end(pdf, xrefs.get_xref_container_info(r).end_location) for r in range(total)]
    for revision in range(1, total):
        gap_start, gap_end = ends[revision - 1], _revision_start(reader, revision)
        if gap_end > gap_start and not _is_whitespace(pdf[gap_start:gap_end]):
            found.append(UncoveredBytes(gap_start, gap_end - gap_start, revision, trailing=False))
    tail = pdf[ends[-1] :]
    if tail and not _is_whitespace(tail):
        found.append(UncoveredBytes(ends[-1], len(tail), total, trailing=True))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class HiddenObjects:
    """Objects an update after signing added that nothing in the document uses: no reader shows
    them and no signer meant them, yet they can carry anything (a file, a script)."""

    revision: int
    count: int


def hidden_objects(reader: PdfFileReader, *, after_revision: int) -> tuple[HiddenObjects, ...]:
    """For every revision after ``after_revision`` (the first signed one), the objects it wrote
    that its own catalogue and trailer do not reach (object-stream and xref-stream containers
    and freed entries aside)."""
    xrefs = reader.xrefs
    found: list[HiddenObjects] = []
    for revision in range(after_revision + 1, xrefs.total_revisions):
        written = xrefs.explicit_refs_in_revision(revision) - xrefs.refs_freed_in_revision(revision)
        containers = {ref.idnum for ref in xrefs.object_streams_used_in(revision)}  # type: ignore[no-untyped-call]
        stream_ref = xrefs.get_xref_container_info(revision).stream_ref
        if stream_ref is not None:
            containers.add(stream_ref.idnum)
        resolver = reader.get_historical_resolver(revision)
        reachable = {
            (ref.idnum, ref.generation) for ref in resolver.collect_dependencies(resolver.trailer_view)
        }
        hidden = [
            ref
            for ref in written
            if ref.idnum not in containers and (ref.idnum, ref.generation) not in reachable
        ]
        if hidden:
            found.append(HiddenObjects(revision=revision, count=len(hidden)))
    return tuple(found)


def describe_hidden(found: tuple[HiddenObjects, ...]) -> list[str]:
    return [
        f"An update made after signing (revision {item.revision + 1}) adds "
        f"{'1 object' if item.count == 1 else f'{item.count} objects'} that nothing in the document uses; "
        "such hidden data is not covered by any signature."
        for item in found
    ]


def last_complete_prefix(pdf: bytes) -> int | None:
    """Where a PDF would end if whatever follows its last readable ``%%EOF`` were cut off.

    Used when a reader cannot open a file because data after the last revision hides its
    ``%%EOF`` marker (pyHanko looks for it in the last 1024 bytes only): returns the offset
    just past the last ``%%EOF`` line for which the bytes before it open as a PDF, or None.
    """
    position = len(pdf)
    for _ in range(16):  # a file with more trailing markers than this is not worth saving
        eof = pdf.rfind(_EOF, 0, position)
        if eof < 0:
            return None
        end = _revision_end(pdf, eof)
        try:
            PdfFileReader(io.BytesIO(pdf[:end])).root  # noqa: B018  (reads trailer and catalog)
        except Exception:  # not a readable PDF up to here: try the marker before
            position = eof
            continue
        return end
    return None


def describe(runs: tuple[UncoveredBytes, ...]) -> list[str]:
    """Sentences a person understands, one per run."""
    reasons: list[str] = []
    for run in runs:
        amount = "1 byte" if run.length == 1 else f"{run.length} bytes"
        verb = "is" if run.length == 1 else "are"
        if run.trailing:
            reasons.append(
                f"{amount} after the end of the signed document {verb} not covered by any signature "
                "(data was appended to the file)."
            )
        else:
            reasons.append(
                f"{amount} between revisions {run.after_revision} and {run.after_revision + 1} "
                f"of the document {verb} not covered by any signature."
            )
    return reasons
