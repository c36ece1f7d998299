"""The trust list: the other GovDoc nodes this installation exchanges documents with.

An administrator adds a node with what its operators published out of band (its identifier,
endpoint, root CA and address book), checked here; a node is deactivated, never deleted.
``peer_trust`` gives the envelope checks what they trust of a node.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONValue
from govdoc.distribution.envelopes import PeerTrust
from govdoc.distribution.errors import InvalidOutgoingError, NodeNotFoundError
from govdoc.distribution.models import Node

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
    record("distribution.node_untrusted", actor=actor, target=node, data={"node_id": node_id})
    return node


def peer_trust(node_id: str) -> PeerTrust | None:
    """What the envelope checks trust of an active node (None: the node is not trusted)."""
    node = Node.objects.filter(node_id=node_id, is_active=True).first()
    if node is None:
        return None
    root = x509.load_pem_x509_certificate(node.root_certificate.encode("ascii"))
    return PeerTrust(
        node=node.node_id,
        roots=(root,),
        crls=(bytes(node.crl),) if node.crl else (),
        agencies=dict(node.agencies),
    )


def nodes_all() -> QuerySet[Node]:
    """The whole trust list, trusted nodes and those no longer trusted."""
    return Node.objects.order_by("node_id")
