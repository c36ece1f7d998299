"""What this node publishes to other GovDoc nodes (federation, docs/federation.md): what it can
receive, its agencies (the address book another node's trust list keeps), and the published
schemas of the envelope format. Public and read-only; keys and CRLs are under /pki/."""

from __future__ import annotations

import base64

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from govdoc.accounts.selectors import agencies_all
from govdoc.distribution import envelopes
from govdoc.distribution.arrivals import Answer, batch_receive, envelope_receive, envelope_too_large
from govdoc.distribution.messages import MAX_MESSAGE_BYTES, MESSAGE_FORMAT, MessageRefused, message_receive
from govdoc.distribution.nodes import trust_list_newest

API = "/federation/v1"


@require_safe
def capabilities(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        {
            "node": settings.GOVDOC_NODE_ID,
            "public_url": settings.PUBLIC_URL,
            "formats": [envelopes.ENVELOPE_FORMAT],
            "receipts": [envelopes.RECEIPT_FORMAT],
            "receives": [envelopes.ENVELOPE_FORMAT],
            "envelopes": f"{API}/envelopes",
            "batches": f"{API}/batches",
            # signed messages that are not documents (a procedure's task for a party here)
            "messages": f"{API}/messages",
            "message_formats": [MESSAGE_FORMAT],
            "max_batch": envelopes.MAX_BATCH,
            # the bodies /batches takes (CBOR: ``batch_body_cbor_format``, schema ``batch_body``)
            "batch_bodies": [envelopes.JSON_BODY, envelopes.CBOR_BODY],
            "batch_body_cbor_format": envelopes.BATCH_BODY_FORMAT,
            "max_files_bytes": envelopes.MAX_FILES_BYTES,
            "schemas": {
                "manifest": f"{API}/schemas/{envelopes.MANIFEST_SCHEMA}",
                "receipt": f"{API}/schemas/{envelopes.RECEIPT_SCHEMA}",
                "batch": f"{API}/schemas/{envelopes.BATCH_SCHEMA}",
                "batch_receipt": f"{API}/schemas/{envelopes.BATCH_RECEIPT_SCHEMA}",
                "batch_body": f"{API}/schemas/{envelopes.BATCH_BODY_CDDL}",
            },
            "agencies": f"{API}/agencies",
            "trust_list": f"{API}/trust-list",
            "root_certificate": "/pki/root.pem",
            "crl": "/pki/crl.der",
        }
    )


@require_safe
def agencies(request: HttpRequest) -> HttpResponse:
    """The address book: each agency's code, its names (``name`` is the one its e-seal carries)
    and its units."""
    book = [
        {
            "code": a.code,
            "name": a.name,
            "name_cyrl": a.name_cyrl,
            "name_en": a.name_en,
            "units": [{"code": u.code, "name": u.name} for u in a.units.order_by("code")],
        }
        for a in agencies_all().prefetch_related("units").order_by("code")
    ]
    return JsonResponse({"node": settings.GOVDOC_NODE_ID, "agencies": book})


@require_safe
def trust_list(request: HttpRequest) -> HttpResponse:
    """The newest signed version of this node's trust list: canonical JSON (the nodes it
    trusts, their endpoints and root CA digests) and the detached CMS signature of the node's
    own e-seal over it, so that a peer or an auditor can check whom this node trusts."""
    newest = trust_list_newest()
    if newest is None:
        raise Http404("this node trusts no other node yet")
    return JsonResponse(
        {
            "version": newest.version,
            "trust_list": base64.b64encode(bytes(newest.content)).decode("ascii"),
            "signature": base64.b64encode(bytes(newest.signature)).decode("ascii"),
        }
    )


@require_safe
def schema(request: HttpRequest, name: str) -> HttpResponse:
    if name == envelopes.BATCH_BODY_CDDL:
        return HttpResponse(envelopes.batch_body_cddl(), content_type="application/cddl; charset=utf-8")
    try:
        published = envelopes.schema(name)
    except KeyError:
        raise Http404("no such schema") from None
    response = JsonResponse(published)
    response["Content-Type"] = "application/schema+json"
    return response


def _answer(answer: Answer) -> HttpResponse:
    content_type = "application/json" if answer.problem is None else "application/problem+json"
    return JsonResponse(answer.to_json(), status=answer.status, content_type=content_type)


def _body(request: HttpRequest) -> bytes | None:
    """The request's bytes, or None when they are more than an envelope or a batch may be."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > envelopes.MAX_ENVELOPE_BYTES:
        return None
    body = request.read(envelopes.MAX_ENVELOPE_BYTES + 1)
    return None if len(body) > envelopes.MAX_ENVELOPE_BYTES else body


def _client_node(request: HttpRequest) -> str | None:
    header = settings.GOVDOC_FEDERATION_CLIENT_NODE_HEADER
    return request.META.get(header) if header else None


@csrf_exempt
@require_POST
def envelopes_receive(request: HttpRequest) -> HttpResponse:
    """Take an envelope from another node; always answered with a signed receipt
    (``distribution.arrivals``). No session or token: the envelope's e-seal, checked against
    the trust list, is what authenticates it (and mutual TLS in front, in production)."""
    body = _body(request)
    if body is None:
        return _answer(envelope_too_large())
    return _answer(envelope_receive(body, client_node=_client_node(request)))


@csrf_exempt
@require_POST
def batches_receive(request: HttpRequest) -> HttpResponse:
    """Take a batch of envelopes from one agency of another node (one e-seal over the list of
    their manifests); answered with one signed receipt holding a result for each envelope."""
    body = _body(request)
    if body is None:
        return _answer(envelope_too_large())
    return _answer(
        batch_receive(body, client_node=_client_node(request), content_type=request.content_type or "")
    )


@csrf_exempt
@require_POST
def messages_receive(request: HttpRequest) -> HttpResponse:
    """Take a signed message (not a document) from an agency of another node
    (``distribution.messages``): 200 when it is kept (or was before), a problem otherwise."""
    body = request.read(2 * MAX_MESSAGE_BYTES + 1)
    try:
        accepted = message_receive(body, client_node=_client_node(request))
    except MessageRefused as exc:
        return JsonResponse(
            envelopes.problem_fields(exc.type, exc.status, exc.detail),
            status=exc.status,
            content_type="application/problem+json",
        )
    return JsonResponse({"accepted": accepted.message_id, "again": accepted.again})
