"""Public pages and files anyone may fetch: the start page and the PKI's published objects
(root certificate, CRL, RFC 3161 timestamp service)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from govdoc.signatures import keyring

MAX_TSA_REQUEST = 16 * 1024


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {})


@require_GET
def root_certificate(request: HttpRequest) -> HttpResponse:
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = keyring.ensure().root_certificate().public_bytes(Encoding.PEM)
    response = HttpResponse(cert, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="govdoc-root-ca.pem"'
    return response


@require_GET
def crl(request: HttpRequest) -> HttpResponse:
    return HttpResponse(keyring.ensure().crl_der(), content_type="application/pkix-crl")


@csrf_exempt
@require_POST
def timestamp(request: HttpRequest) -> HttpResponse:
    """RFC 3161 over HTTP (section 3.4): a DER TimeStampReq in, a DER TimeStampResp out."""
    body = request.body
    if not body or len(body) > MAX_TSA_REQUEST:
        return HttpResponse("empty or oversize timestamp request", status=400)
    if request.content_type != "application/timestamp-query":
        return HttpResponse("expected Content-Type: application/timestamp-query", status=415)
    return HttpResponse(keyring.local_tsa().respond(body), content_type="application/timestamp-reply")
