"""The trust list: the other GovDoc nodes this installation exchanges documents with.

An administrator adds a node with what its operators published out of band (its identifier,
endpoint, root CA and address book), checked here; a node is deactivated, never deleted.
Every change signs the whole list again with this node's own e-seal (``TrustList``, like
X-Road's signed global configuration), and ``peer_trust`` (what the envelope checks trust of a
node) trusts an entry only as the newest signed version has it. The nodes' CRLs are fetched
again periodically (``node_crls_refresh``); a CRL is checked against the node's root CA.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONValue, canonical_json
from govdoc.distribution.envelopes import PeerTrust
from govdoc.distribution.errors import InvalidOutgoingError, NodeNotFoundError
from govdoc.distribution.models import Node, TrustList
from govdoc.signatures import keyring
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import detached_verify_trusting
from govdoc.signatures.services import detached_seal

logger = logging.getLogger(__name__)
TRUST_LIST_FORMAT = "govdoc.trust-list/1"
# The e-seal this node signs with in its own name (its trust list, receipts that can name no
# agency of it): its organization is the node's identifier.
NODE_SEAL_CODE = "_node"

NODE_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{1,62}$")
AGENCY_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def node_errors(
    *, node_id: str, name: str, endpoint: str, root_certificate: str, agencies: Mapping[str, str]
) -> dict[str, str]:
    """Every field of a trust-list entry that is wrong (empty: none)."""
    errors: dict[str, str] = {}
    if not NODE_ID.match(node_id):
        errors["node_id"] = _("2 to 63 lower-case letters, digits, dots and hyphens.")
    if not name.strip():
        errors["name"] = _("Enter the node's name.")
    parts = urlsplit(endpoint)
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname or "")):
        errors["endpoint"] = _("An https address (plain http only on this machine, for development).")
    try:
        cert = x509.load_pem_x509_certificate(root_certificate.encode("ascii"))
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if not constraints.ca:
            errors["root_certificate"] = _("This certificate is not a certification authority's.")
    except (ValueError, UnicodeEncodeError, x509.ExtensionNotFound):
        errors["root_certificate"] = _("Paste the node's root CA certificate in PEM form.")
    bad = [code for code in agencies if not AGENCY_CODE.match(code) or not str(agencies[code]).strip()]
    if not agencies or bad:
        errors["agencies"] = _("List the node's agencies as code → name (the name on their e-seals).")
    return errors


@transaction.atomic
def node_add(
    *,
    node_id: str,
    name: str,
    endpoint: str,
    root_certificate: str,
    agencies: Mapping[str, str],
    crl: bytes | None = None,
    actor: object,
) -> Node:
    """Add a node to the trust list, or take an entry up again with new details (``crl``: its
    root CA's current CRL, DER, when the administrator has it; else fetched later)."""
    node_id, name, endpoint = node_id.strip().lower(), name.strip(), endpoint.strip()
    errors = node_errors(
        node_id=node_id, name=name, endpoint=endpoint, root_certificate=root_certificate, agencies=agencies
    )
    if errors:
        raise InvalidOutgoingError(
            _("The node cannot be trusted as given: %(fields)s") % {"fields": ", ".join(sorted(errors))},
            errors=errors,
        )
    now = clock.now()
    node, created = Node.objects.select_for_update().get_or_create(
        node_id=node_id,
        defaults={
            "name": name,
            "endpoint": endpoint,
            "root_certificate": root_certificate,
            "agencies": dict(agencies),
            "crl": crl,
            "crl_fetched_at": now if crl else None,
            "added_at": now,
            "changed_at": now,
        },
    )
    if not created:
        node.name, node.endpoint, node.root_certificate = name, endpoint, root_certificate
        node.agencies, node.is_active, node.changed_at = dict(agencies), True, now
        if crl:
            node.crl, node.crl_fetched_at = crl, now
        node.save()
    fingerprint = x509.load_pem_x509_certificate(root_certificate.encode("ascii")).fingerprint(
        hashes.SHA256()
    )
    codes: list[JSONValue] = [*sorted(agencies)]
    signed = _trust_list_sign()
    record(
        "distribution.node_trusted",
        actor=actor,
        target=node,
        data={
            "node_id": node_id,
            "endpoint": endpoint,
            "root_sha256": fingerprint.hex(),
            "agencies": codes,
            "again": not created,
            "trust_list_version": signed.version,
        },
    )
    return node


@transaction.atomic
def node_deactivate(*, node_id: str, actor: object) -> Node:
    """Stop trusting a node; its entry stays (receipts name it)."""
    node = Node.objects.select_for_update().filter(node_id=node_id).first()
    if node is None:
        raise NodeNotFoundError(_("no node %(node)s in the trust list") % {"node": node_id}, node_id=node_id)
    node.is_active, node.changed_at = False, clock.now()
    node.save(update_fields=["is_active", "changed_at"])
    signed = _trust_list_sign()
    record(
        "distribution.node_untrusted",
        actor=actor,
        target=node,
        data={"node_id": node_id, "trust_list_version": signed.version},
    )
    return node


@functools.lru_cache(maxsize=64)
def _root(pem: str) -> x509.Certificate:
    """A node's root CA from its PEM (parsed once per process: every batch checks its sender)."""
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def _entry(node: Node) -> dict[str, JSONValue]:
    root = _root(node.root_certificate)
    agencies: dict[str, JSONValue] = {code: str(name) for code, name in sorted(node.agencies.items())}
    return {
        "node_id": node.node_id,
        "name": node.name,
        "endpoint": node.endpoint,
        "root_sha256": root.fingerprint(hashes.SHA256()).hex(),
        "agencies": agencies,
        "active": node.is_active,
    }


def _trust_list_sign() -> TrustList:
    """Sign the whole list as it is now, as its next version (in the caller's transaction)."""
    last = TrustList.objects.select_for_update().order_by("-version").first()
    version = (last.version if last is not None else 0) + 1
    now = clock.now()
    content = canonical_json(
        {
            "format": TRUST_LIST_FORMAT,
            "node": settings.GOVDOC_NODE_ID,
            "version": version,
            "issued_at": now.isoformat(),
            "nodes": [_entry(n) for n in Node.objects.order_by("node_id")],
        }
    )
    key = keyring.eseal_key(NODE_SEAL_CODE, name=settings.GOVDOC_NODE_ID)
    return TrustList.objects.create(
        version=version, content=content, signature=detached_seal(data=content, key=key), created_at=now
    )


@transaction.atomic
def _trust_list_first_signature() -> TrustList:
    """A trust list kept by a GovDoc from before the list was signed is signed as it stands,
    once, on its first use after the upgrade (audited): the nodes an administrator trusted
    stay trusted, and from then on every change is signed."""
    TrustList.objects.select_for_update().exists()
    newest = TrustList.objects.order_by("-version").first()
    if newest is not None:
        return newest  # signed meanwhile by another process
    signed = _trust_list_sign()
    record(
        "distribution.trust_list_signed",
        actor="distribution",
        target=None,
        data={"version": signed.version, "why": "the list was kept before GovDoc signed it (upgrade)"},
    )
    return signed


_verified: dict[tuple[int, str], dict[str, dict[str, Any]]] = {}


def trust_list_signed() -> dict[str, dict[str, Any]]:
    """The entries of the newest signed version of the trust list, by node id, if its
    signature holds (made within this node's PKI, over these very bytes); else none. Checked
    once per version and process."""
    newest = TrustList.objects.order_by("-version").first()
    if newest is None:
        if not Node.objects.exists():
            return {}
        newest = _trust_list_first_signature()
    content = bytes(newest.content)
    cache_key = (newest.version, hashlib.sha256(content).hexdigest())
    if cache_key not in _verified:
        store = keyring.ensure()
        report = detached_verify_trusting(
            content, bytes(newest.signature), roots=(store.root_certificate(),), crls=(store.crl_der(),)
        )
        parsed = json.loads(content)
        if report.state is not Verdict.AUTHENTIC:
            logger.error("the trust list v%s is not signed by this node: no node is trusted", newest.version)
            return {}
        _verified[cache_key] = {e["node_id"]: e for e in parsed["nodes"]}
    return _verified[cache_key]


def trust_list_newest() -> TrustList | None:
    """The newest signed version of the trust list (what the node publishes), if any."""
    return TrustList.objects.order_by("-version").first()


def peer_trust(node_id: str) -> PeerTrust | None:
    """What the envelope checks trust of an active node (None: the node is not trusted, or
    its entry is not the one the signed trust list holds)."""
    node = Node.objects.filter(node_id=node_id, is_active=True).first()
    if node is None:
        return None
    if trust_list_signed().get(node.node_id) != json.loads(canonical_json(_entry(node))):
        logger.error("the entry of node %s is not the one the signed trust list holds", node.node_id)
        return None
    return PeerTrust(
        node=node.node_id,
        roots=(_root(node.root_certificate),),
        crls=(bytes(node.crl),) if node.crl else (),
        agencies=dict(node.agencies),
    )


def nodes_all() -> QuerySet[Node]:
    """The whole trust list, trusted nodes and those no longer trusted."""
    return Node.objects.order_by("node_id")


# ---------------------------------------------------------------------------- CRLs


def _crl_url(node: Node) -> str:
    parts = urlsplit(node.endpoint)
    return f"{parts.scheme}://{parts.netloc}/pki/crl.der"


def node_crl_refresh(node: Node) -> bool:
    """Fetch the node's current CRL (``/pki/crl.der`` at its address) and keep it if it is
    signed by the node's root CA and newer than the one kept. Returns whether it was kept; a
    node that does not answer keeps its last CRL (logged: the next round tries again)."""
    url = _crl_url(node)
    try:
        request = urllib.request.Request(url, headers={"Accept": "application/pkix-crl"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=settings.GOVDOC_FEDERATION_TIMEOUT) as answer:  # noqa: S310
            der = answer.read(10 * 1024 * 1024)
        crl = x509.load_der_x509_crl(der)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.warning("the CRL of node %s could not be fetched from %s: %s", node.node_id, url, exc)
        return False
    root = x509.load_pem_x509_certificate(node.root_certificate.encode("ascii"))
    if crl.issuer != root.subject or not crl.is_signature_valid(root.public_key()):  # type: ignore[arg-type]
        logger.error("the CRL at %s is not signed by the root CA of node %s", url, node.node_id)
        return False
    if node.crl:
        kept = x509.load_der_x509_crl(bytes(node.crl))
        if crl.last_update_utc <= kept.last_update_utc:
            return False
    with transaction.atomic():
        Node.objects.filter(pk=node.pk).update(crl=der, crl_fetched_at=clock.now())
        record(
            "distribution.node_crl_refreshed",
            actor="distribution",
            target=node,
            data={
                "node_id": node.node_id,
                "this_update": crl.last_update_utc.isoformat(),
                "revoked": len(list(crl)),
            },
        )
    return True


def node_crls_refresh() -> dict[str, int]:
    """Fetch the CRL of every trusted node (the periodic job)."""
    counts = {"refreshed": 0, "unchanged": 0}
    for node in Node.objects.filter(is_active=True):
        counts["refreshed" if node_crl_refresh(node) else "unchanged"] += 1
    return counts
