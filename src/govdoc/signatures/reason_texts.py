"""The reasons of a file's verdict in the reader's language.

The signature engine is pure (no Django) and writes its reasons in English sentences; the public
verification page and ``govdoc verify`` say each in the reader's language from this table. A
sentence the table does not know is kept in English, marked so (``lang="en"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


@dataclass(frozen=True)
class Reason:
    text: str
    lang: str  # "" when in the page's language, "en" when shown as the engine wrote it


_WHEN = r"(?P<when>\d{4}-\d\d-\d\d \d\d:\d\d UTC)"

# (the engine's sentence as a pattern, the same sentence for the catalogues)
_FIXED: list[tuple[str, StrPromise]] = [
    (
        r"The signature is intact and made with trusted, valid certificates\.",
        _("The signature is intact and made with a trusted, valid certificate."),
    ),
    (
        r"The (?P<n>\d+) signatures are intact and made with trusted, valid certificates\.",
        _("All %(n)s signatures are intact and made with trusted, valid certificates."),
    ),
    (
        r"A document timestamp proves when the document existed, for long-term validation\.",
        _("A document timestamp proves when the document existed, for long-term validation."),
    ),
    (
        r"The (?P<n>\d+) document timestamps prove when the document existed, for long-term validation\.",
        _("%(n)s document timestamps prove when the document existed, for long-term validation."),
    ),
    (
        r"The signature is intact and was made with a trusted, valid certificate\.",
        _("The signature is intact and made with a trusted, valid certificate."),
    ),
    (
        r"The document timestamp is intact and was made with a trusted, valid certificate\.",
        _("The document timestamp is intact and was made with a trusted, valid certificate."),
    ),
    (
        rf"A trusted timestamp proves it existed on {_WHEN}\.",
        _("A trusted timestamp proves it existed on %(when)s."),
    ),
    (r"The signed content was changed after signing\.", _("The signed content was changed after signing.")),
    (
        r"The signature value does not match the signed content\.",
        _("The signature value does not match the signed content."),
    ),
    (
        r"The document was changed after signing in a way that is not allowed\.",
        _("The document was changed after signing in a way that is not allowed."),
    ),
    (
        r"The document was changed after it was certified with no changes allowed\.",
        _("The document was changed after it was certified with no changes allowed."),
    ),
    (r"The signer's certificate was revoked\.", _("The signer's certificate was revoked.")),
    (
        rf"The signer's certificate was revoked on {_WHEN}\.",
        _("The signer's certificate was revoked on %(when)s."),
    ),
    (
        r"A certificate authority in the signer's certificate chain was revoked\.",
        _("A certificate authority in the signer's certificate chain was revoked."),
    ),
    (
        rf"The signer's certificate had expired on {_WHEN}, before the document was signed\.",
        _("The signer's certificate had expired on %(when)s, before the document was signed."),
    ),
    (
        r"The signer's certificate was not issued by a trusted certificate authority\.",
        _("The signer's certificate was not issued by a trusted certificate authority."),
    ),
    (
        r"The revocation status of the signer's certificate could not be established\.",
        _("The revocation status of the signer's certificate could not be established."),
    ),
    (r"The signature could not be verified\.", _("The signature could not be verified.")),
    (r"The file is empty\.", _("The file is empty.")),
    (r"The file is not a PDF\.", _("The file is not a PDF.")),
    (
        r"The PDF is damaged or truncated and cannot be read\.",
        _("The PDF is damaged or truncated and cannot be read."),
    ),
    (r"The PDF carries no signature\.", _("The PDF carries no signature.")),
    (
        r"A signature in the PDF is damaged and cannot be read\.",
        _("A signature in the PDF is damaged and cannot be read."),
    ),
]
_TRAILING = re.compile(
    r"(?P<n>\d+) bytes? after the end of the signed document (?:is|are) not covered by any signature "
    r"\(data was appended to the file\)\."
)


def reason_in_page_language(sentence: str) -> Reason:
    """One reason of the engine, said in the active language (or kept, marked as English)."""
    for pattern, text in _FIXED:
        found = re.fullmatch(pattern, sentence)
        if found is not None:
            return Reason(str(text) % found.groupdict() if found.groupdict() else str(text), "")
    found = _TRAILING.fullmatch(sentence)
    if found is not None:
        n = int(found["n"])
        return Reason(
            ngettext(
                "%(n)s byte after the end of the signed document is not covered by any signature "
                "(data was appended to the file).",
                "%(n)s bytes after the end of the signed document are not covered by any signature "
                "(data was appended to the file).",
                n,
            )
            % {"n": n},
            "",
        )
    return Reason(sentence, "en")
