"""Public pages and files anyone may fetch: the start page and the PKI's published objects
(root certificate, CRL, the QR payload signers, RFC 3161 timestamp service)."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from govdoc.core.downloads import content_disposition
from govdoc.issuance import selectors as issuance_selectors
from govdoc.signatures import keyring
from govdoc.web.ratelimit import rate_limited

MAX_TSA_REQUEST = 16 * 1024


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {})


FAVICON = Path(__file__).parent / "static" / "govdoc" / "favicon.ico"


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800"
    return response


@require_safe
def root_certificate(request: HttpRequest) -> HttpResponse:
    cert = keyring.ensure().root_certificate().public_bytes(Encoding.PEM)
    response = HttpResponse(cert, content_type="application/x-pem-file")
    response["Content-Disposition"] = content_disposition("govdoc-root-ca.pem")
    return response


@require_safe
def crl(request: HttpRequest) -> HttpResponse:
    return HttpResponse(keyring.ensure().crl_der(), content_type="application/pkix-crl")


@require_safe
def payload_signers(request: HttpRequest) -> HttpResponse:
    """The certificates that sign QR payloads, found by ``kid`` (docs/offline-verification.md):
    every agency e-seal certificate, current and replaced, with its status today."""
    signers = [
        {
            "kid": signer.kid,
            "agency": signer.agency,
            "status": signer.status,
            "not_before": signer.certificate.not_valid_before_utc.isoformat(),
            "not_after": signer.certificate.not_valid_after_utc.isoformat(),
            "certificate": base64.b64encode(signer.certificate.public_bytes(Encoding.DER)).decode("ascii"),
        }
        for signer in issuance_selectors.payload_signers()
    ]
    return JsonResponse({"format": "govdoc-signers-1", "root": "/pki/root.pem", "signers": signers})


@csrf_exempt
@require_POST
@rate_limited("tsa", setting="GOVDOC_RATE_TSA")
def timestamp(request: HttpRequest) -> HttpResponse:
    """RFC 3161 over HTTP (section 3.4): a DER TimeStampReq in, a DER TimeStampResp out."""
    body = request.body
    if not body or len(body) > MAX_TSA_REQUEST:
        return HttpResponse("empty or oversize timestamp request", status=400)
    if request.content_type != "application/timestamp-query":
        return HttpResponse("expected Content-Type: application/timestamp-query", status=415)
    return HttpResponse(keyring.local_tsa().respond(body), content_type="application/timestamp-reply")
