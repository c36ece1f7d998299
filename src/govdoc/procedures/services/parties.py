"""The parties of an instance: resolving the addresses given at the start (an agency here, or
``code@node`` of a trusted node) and finding where a lane's people are."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils.translation import gettext as _

from govdoc.accounts.errors import AgencyNotFoundError
from govdoc.accounts.models import Agency
from govdoc.accounts.selectors import agency_by_code
from govdoc.procedures import engine
from govdoc.procedures.errors import PartiesInvalidError
from govdoc.procedures.lanes import Lane, party_key
from govdoc.procedures.models import ProcessInstance, ProcessParty
from govdoc.procedures.services.definitions import parties_of


def parties_of_instance(instance: ProcessInstance) -> dict[str, ProcessParty]:
    return {p.key: p for p in ProcessParty.objects.filter(instance=instance).select_related("agency")}


def _party_where(address: str) -> tuple[Agency | None, str, str] | str:
    """An address given for a party: (agency here, "", "") or (None, agency code, node), or a
    message saying what is wrong with it."""
    code, at, node = address.strip().partition("@")
    code, node = code.strip(), node.strip().lower()
    if at and node == str(settings.GOVDOC_NODE_ID).lower():
        at = ""  # this node's own identifier: an agency here
    if not code:
        return _("give an agency code, or agency@node for an agency of another node")
    if not at:
        try:
            return agency_by_code(code), "", ""
        except AgencyNotFoundError:
            return _("no agency here has the code '%(code)s'") % {"code": code}
    from govdoc.distribution.nodes import nodes_all

    found = nodes_all().filter(node_id=node, is_active=True).first()
    if found is None:
        return _("'%(node)s' is no trusted node") % {"node": node}
    if code not in found.agencies:
        return _("the node %(node)s has no agency '%(code)s'") % {"node": node, "code": code}
    return None, code, node


def parties_resolve(parsed: engine.ParsedProcess, given: Mapping[str, str] | None) -> list[ProcessParty]:
    """The instance's parties (unsaved), one for each party its lanes name, or a refusal with
    one message per party: missing, unknown to the process, or an address that is no agency."""
    wanted = parties_of(parsed)
    errors: dict[str, str] = {}
    chosen: dict[str, tuple[str, str]] = {}
    for name, address in (given or {}).items():
        key = party_key(str(name))
        if key not in wanted:
            known = ", ".join(sorted(wanted.values())) or _("none")
            errors[f"parties.{name}"] = _("the process has no party '%(party)s' (its parties: %(known)s)") % {
                "party": name,
                "known": known,
            }
        elif key in chosen:
            errors[f"parties.{name}"] = _("the party '%(party)s' is given twice") % {"party": wanted[key]}
        else:
            chosen[key] = (wanted[key], str(address))
    for key, name in wanted.items():
        if key not in chosen:
            errors[f"parties.{name}"] = _("say which agency is '%(party)s'") % {"party": name}
    parties: list[ProcessParty] = []
    for key, (name, address) in chosen.items():
        where = _party_where(address)
        if isinstance(where, str):
            errors[f"parties.{name}"] = where
            continue
        agency, remote_agency, remote_node = where
        parties.append(
            ProcessParty(
                name=name, key=key, agency=agency, remote_agency=remote_agency, remote_node=remote_node
            )
        )
    if errors:
        first = next(iter(errors.values()))
        raise PartiesInvalidError(
            _("the parties of the process are not right: %(first)s") % {"first": first}, errors=errors
        )
    return sorted(parties, key=lambda p: p.key)


def lane_agency(
    instance_agency: Agency, lane: Lane | None, parties: Mapping[str, ProcessParty]
) -> tuple[Agency | None, ProcessParty | None]:
    """Where the people of a lane are: the instance's agency, or its party's (None: another node)."""
    if lane is None or not lane.party:
        return instance_agency, None
    party = parties.get(lane.party_key)
    if party is None:  # pragma: no cover - every party of the lanes is given at the start
        return None, None
    return party.agency, party
