"""Public verification: anyone who holds a paper or a file checks it here, no login needed.

By code (typed, or from the QR code), the page shows the document's status (valid, revoked,
superseded, expired) and the few fields needed to compare it with the paper. By upload, it
shows the four-state signature verdict and whether the file is the registered original.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from govdoc.accounts import throttle
from govdoc.accounts.constants import Script
from govdoc.core.errors import GovDocError
from govdoc.core.transliteration import to_cyrillic
from govdoc.issuance.constants import Channel
from govdoc.issuance.selectors import CodeVerification, verify_code, verify_upload
from govdoc.signatures.reason_texts import reason_in_page_language
from govdoc.web.language import HTML_LANG, script_of
from govdoc.web.ratelimit import rate_limited

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

MAX_UPLOAD = 50 * 1024 * 1024
# The verdict on the uploaded file, told apart from the document's status in the registry: a
# registered document can be valid while this file of it is altered (DESIGN.md, "Verification
# result"). Only "authentic" is good news about the file.
VERDICT_TEXT: dict[str, tuple[StrPromise, StrPromise]] = {
    "authentic": (
        gettext_lazy("Authentic"),
        gettext_lazy("This file is intact and sealed with a trusted certificate."),
    ),
    "altered": (
        gettext_lazy("Altered — do not rely on this file"),
        gettext_lazy("It is not what was signed."),
    ),
    "certificate_problem": (
        gettext_lazy("Certificate problem — do not rely on this file"),
        gettext_lazy("The seal's certificate is not trusted, was revoked, or had expired when it was made."),
    ),
    "cannot_be_verified": (
        gettext_lazy("Cannot be verified"),
        gettext_lazy("This is not a signed PDF, or it is damaged."),
    ),
}
STATUS_TEXT: dict[str, StrPromise] = {
    "valid": gettext_lazy("Valid"),
    "revoked": gettext_lazy("Revoked"),
    "superseded": gettext_lazy("Superseded by a newer document"),
    "expired": gettext_lazy("Expired"),
}


def registry_tone(state: str, status: str | None) -> str:
    """The colour of the registry status beside a file verdict: its own colour only next to
    an authentic file; neutral otherwise, so "valid" never shows green beside "altered"."""
    if state != "authentic" or not status:
        return "neutral"
    return status


def _agency_name(result: CodeVerification, script: str) -> str:
    """The issuing agency's name in the page's script (Cyrillic made from the Latin if not written)."""
    if script == Script.CYRILLIC:
        return result.agency_name_cyrl or to_cyrillic(result.agency_name)
    if script == Script.ENGLISH:
        return result.agency_name_en or result.agency_name
    return result.agency_name


def _client(request: HttpRequest) -> str:
    return throttle.client_address(request)


@require_http_methods(["GET", "POST"])
@rate_limited("verify", setting="GOVDOC_RATE_VERIFY", methods=("POST",))
def verify_form(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        code = request.POST.get("code", "").strip()
        if not code:
            return render(request, "web/verify/form.html", {"code_error": _("Enter the code.")}, status=400)
        url = reverse("web:verify-code", args=[code])
        label = request.POST.get("verifier", "").strip()
        return HttpResponseRedirect(f"{url}?v={label}" if label else url)
    return render(request, "web/verify/form.html", {})


@require_safe
@rate_limited("verify", setting="GOVDOC_RATE_VERIFY")
def verify_by_code(request: HttpRequest, code: str) -> HttpResponse:
    return _by_code(request, code, channel=Channel.QR if "p" in request.GET else Channel.CODE)


@require_safe
@rate_limited("verify", setting="GOVDOC_RATE_VERIFY")
def verify_by_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The page a scanned QR code opens. Its signed payload sits in the URL's fragment, which
    the browser keeps to itself: the page's script (static/govdoc/verify-payload.js) sends it
    to POST /api/v1/verify/payload and shows what the agency signed beside the registered
    record."""
    return _by_code(request, code, channel=Channel.QR)


def _by_code(request: HttpRequest, code: str, *, channel: str) -> HttpResponse:
    try:
        result = verify_code(
            code,
            channel=channel,
            verifier_label=request.GET.get("v", "")[:200],
            client_address=_client(request),
        )
    except GovDocError as exc:
        return render(
            request, "web/verify/form.html", {"code": code, "code_error": exc.message}, status=exc.status
        )
    return render(
        request,
        "web/verify/code_result.html",
        {
            "result": result,
            "status_text": STATUS_TEXT[result.status],
            "verify_url": reverse("web:verify"),
            "agency_name": _agency_name(result, script_of(request)),
            "document_lang": HTML_LANG.get(Script(result.script), "sr-Latn") if result.script else "",
        },
    )


@require_POST
@rate_limited("verify", setting="GOVDOC_RATE_VERIFY")
def verify_file(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        return render(request, "web/verify/form.html", {"file_error": _("Choose a PDF file.")}, status=400)
    if upload.size is not None and upload.size > MAX_UPLOAD:
        return render(
            request, "web/verify/form.html", {"file_error": _("The file is larger than 50 MB.")}, status=413
        )
    result = verify_upload(
        upload.read(), verifier_label=request.POST.get("verifier", "")[:200], client_address=_client(request)
    )
    state = result.report.state.value
    return render(
        request,
        "web/verify/file_result.html",
        {
            "result": result,
            "state": state,
            "verdict_text": VERDICT_TEXT[state],
            "reasons": [reason_in_page_language(r) for r in result.report.reasons],
            "status_text": STATUS_TEXT.get(result.status or ""),
            "registry_tone": registry_tone(state, result.status),
            "filename": upload.name,
        },
    )
