"""The ``govdoc`` command.

Every subcommand works on a fresh ``GOVDOC_HOME``: it creates the database and the development
PKI on first use (``bootstrap.prepare``). Errors print one line ``govdoc: error: ...`` and exit
non-zero; nothing is half-written (outputs are written to a temporary name and renamed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govdoc import __version__
from govdoc.cli import bootstrap, language
from govdoc.cli.language import gettext as _
from govdoc.cli.language import ngettext

if TYPE_CHECKING:
    from govdoc.accounts.models import Person
    from govdoc.audit.verification import ChainReport

EXIT_OK = 0
EXIT_ERROR = 2
# ``govdoc verify``: 0 only for authentic; each other verdict has its own status.
VERDICT_EXIT = {"authentic": 0, "altered": 3, "certificate_problem": 4, "cannot_be_verified": 5}


def verdict_text(state: str) -> str:
    """A verdict as ``govdoc verify`` prints it, in capitals, in the command's language."""
    texts = {
        "authentic": _("AUTHENTIC"),
        "altered": _("ALTERED"),
        "certificate_problem": _("CERTIFICATE PROBLEM"),
        "cannot_be_verified": _("CANNOT BE VERIFIED"),
    }
    return texts.get(state, state)


class CliError(Exception):
    """One clear line for the person at the terminal."""


def _read_input(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        raise CliError(_("%(path)s: no such file") % {"path": path})
    if p.is_dir():
        raise CliError(_("%(path)s: is a folder, not a file") % {"path": path})
    try:
        return p.read_bytes()
    except OSError as exc:
        raise CliError(_("%(path)s: cannot be read (%(why)s)") % {"path": path, "why": exc.strerror}) from exc


def _write_output(path: str, data: bytes) -> None:
    target = Path(path)
    if not target.parent.exists():
        raise CliError(
            _("%(path)s: the folder %(folder)s does not exist") % {"path": path, "folder": target.parent}
        )
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        why = {"path": path, "why": exc.strerror}
        raise CliError(_("%(path)s: cannot be written (%(why)s)") % why) from exc


# -- subcommands ------------------------------------------------------------------------------


def cmd_sign(args: argparse.Namespace) -> int:
    data = _read_input(args.input)
    bootstrap.prepare()
    from govdoc.accounts.selectors import agency_by_code
    from govdoc.signatures import services
    from govdoc.signatures.engine.errors import EngineError

    agency = agency_by_code(args.seal or _default_agency())
    try:
        signed = services.pdf_seal(
            pdf=data,
            agency=agency,
            actor="cli",
            certify=args.certify,
            progress=bootstrap.stderr_progress,
        )
    except EngineError as exc:
        raise CliError(f"{args.input}: {exc.message}") from exc
    _write_output(args.output, signed)
    print(
        _(
            "%(file)s: sealed by %(agency)s "
            "(PAdES B-LTA: timestamped, with validation data and a document timestamp)"
        )
        % {"file": args.output, "agency": agency.name}
    )
    return EXIT_OK


def _default_agency() -> str:
    from django.conf import settings

    from govdoc.accounts.selectors import agencies_all

    code = getattr(settings, "GOVDOC_DEFAULT_AGENCY", "")
    if code:
        return str(code)
    first = agencies_all().order_by("code").first()
    if first is None:
        raise CliError(_("no agency exists yet: create one in the admin, or pass --seal CODE"))
    return first.code


def cmd_verify(args: argparse.Namespace) -> int:
    data = _read_input(args.file)
    bootstrap.prepare()
    from govdoc.signatures.selectors import pdf_verify

    report = pdf_verify(data)
    if args.json:
        print(json.dumps({"file": args.file, **report.to_json()}, ensure_ascii=False, indent=2))
    else:
        from govdoc.signatures.reason_texts import reason_in_page_language

        print(f"{args.file}: {verdict_text(report.state.value)}")
        for reason in report.reasons:
            print(f"  - {reason_in_page_language(reason).text}")
        for sig in report.signatures:
            when = sig.timestamp_time or sig.signing_time
            names = {"signer": sig.signer_subject, "when": when.isoformat() if when else ""}
            if sig.kind == "document_timestamp" and when:
                line = _("document timestamp by %(signer)s at %(when)s")
            elif sig.kind == "document_timestamp":
                line = _("document timestamp by %(signer)s")
            else:
                line = _("signed by %(signer)s at %(when)s") if when else _("signed by %(signer)s")
            print("  " + line % names)
    return VERDICT_EXIT[report.state.value]


def cmd_verify_approvals(args: argparse.Namespace) -> int:
    """Check an exported approval manifest offline: the agency seal over the whole line, every
    decision's signature, the chain of decisions and that they all approve one version."""
    data = _read_input(args.file)
    bootstrap.prepare()
    from govdoc.approvals.manifest import manifest_verify
    from govdoc.signatures import keyring

    report = manifest_verify(data, trust=keyring.trust())
    if args.json:
        print(
            json.dumps(
                {
                    "file": args.file,
                    "ok": report.ok,
                    "state": report.state.value,
                    "problems": report.problems,
                    "decisions": [
                        {
                            "position": d.position,
                            "kind": d.kind,
                            "decision": d.decision,
                            "decided_by": d.decided_by,
                            "decided_at": d.decided_at,
                            "signer": d.signer_subject,
                            "timestamp": d.timestamp_time,
                            "state": d.state.value,
                        }
                        for d in report.decisions
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        valid = _("VALID") if report.ok else _("NOT VALID")
        print(f"{args.file}: {valid} ({verdict_text(report.state.value)})")
        for d in report.decisions:
            line = _("%(position)s. %(kind)s %(decision)s by %(person)s at %(when)s [%(state)s]") % {
                "position": d.position,
                "kind": d.kind,
                "decision": d.decision,
                "person": d.decided_by,
                "when": d.decided_at,
                "state": verdict_text(d.state.value),
            }
            print("  " + line)
        for problem in report.problems:
            print(f"  - {problem}")
    return EXIT_OK if report.ok else VERDICT_EXIT.get(report.state.value, 3) or 3


def cmd_audit_verify(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.signatures.audit_anchor import audit_verify

    report = audit_verify()
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(_audit_summary(report))
        for problem in report.problems[:20]:
            print(f"  - {problem.message}")
    return EXIT_OK if report.ok else 1


def _audit_summary(report: ChainReport) -> str:
    """The report's one-line summary in the command's language (``report.summary()`` is the
    English one the JSON gives); a problem's own sentence stays as the verifier wrote it."""
    if report.first is None:
        names = {
            "events": report.events_checked,
            "seq": report.last_seq,
            "hash": report.last_hash[:12] + "…",
            "checkpoints": sum(1 for c in report.checkpoints if c.chain_matches),
        }
        if report.signatures_checked:
            text = _(
                "The audit chain is intact: %(events)s events up to #%(seq)s (hash %(hash)s); "
                "%(checkpoints)s signed checkpoint(s) match."
            )
        else:
            text = _(
                "The audit chain is intact: %(events)s events up to #%(seq)s (hash %(hash)s); "
                "%(checkpoints)s checkpoint(s) match."
            )
        return text % names
    summary = _("The audit chain has been tampered with: %(problem)s.") % {"problem": report.first.message}
    more = len(report.problems) - 1
    if more:
        listed = ngettext("(%(count)d more problem listed)", "(%(count)d more problems listed)", more)
        summary += " " + listed % {"count": more}
    return summary


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.signatures.audit_anchor import audit_checkpoint

    checkpoint = audit_checkpoint(actor="cli")
    print(
        _("checkpoint at event #%(seq)s, head %(hash)s…, signed and timestamped")
        % {"seq": checkpoint.seq, "hash": checkpoint.head_hash[:16]}
    )
    return EXIT_OK


def cmd_pki_status(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.signatures.selectors import certificate_status, pki_status

    status = pki_status()
    names = _holder_names([c.holder for c in status.certificates])
    if args.json:
        print(
            json.dumps(
                {
                    "folder": status.folder,
                    "root": status.root_subject,
                    "root_not_after": status.root_not_after,
                    "key_backend": status.key_backend,
                    "timestamps": status.timestamps,
                    "crl_next_update": status.crl_next_update,
                    "certificates": [
                        {
                            "serial": c.serial,
                            "kind": c.kind,
                            "holder": c.holder,
                            "holder_name": names.get(c.holder, ""),
                            "subject": c.subject,
                            "not_after": c.not_after.isoformat(),
                            "status": certificate_status(c),
                        }
                        for c in status.certificates
                    ],
                },
                indent=2,
            )
        )
        return EXIT_OK
    rows = [
        (_("PKI folder:"), status.folder),
        (
            _("root CA:"),
            _("%(subject)s (valid until %(day)s)")
            % {"subject": status.root_subject, "day": status.root_not_after[:10]},
        ),
        (_("keys:"), status.key_backend),
        (_("timestamps:"), status.timestamps),
        (_("CRL valid to:"), status.crl_next_update[:19]),
    ]
    width = max(len(label) for label, _value in rows) + 1
    for label, value in rows:
        print(f"{label:<{width}}{value}")
    serial, kind, state, until, who = _("serial"), _("kind"), _("status"), _("valid until"), _("holder")
    print(f"{serial:<42} {kind:<7} {state:<9} {until:<11} {who}")
    for c in status.certificates:
        holder = names.get(c.holder) or c.holder
        print(f"{c.serial:<42} {c.kind:<7} {certificate_status(c):<9} {c.not_after.date()!s:<11} {holder}")
    return EXIT_OK


def _holder_names(holders: list[str]) -> dict[str, str]:
    """``person:<uuid>`` -> ``person:<username> (<full name>)`` for people this database knows."""
    from govdoc.accounts.selectors import people_by_ids

    ids = [h.split(":", 1)[1] for h in holders if h.startswith("person:")]
    names = {}
    for person in people_by_ids(ids):
        names[f"person:{person.pk}"] = f"person:{person.username} ({person.get_full_name()})"
    return names


def cmd_pki_revoke(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.signatures import services

    since = None
    if args.since:
        try:
            since = dt.datetime.fromisoformat(args.since)
        except ValueError as exc:
            raise CliError(
                _("--since '%(value)s' is not an ISO 8601 time (e.g. 2027-05-28T09:00+02:00)")
                % {"value": args.since}
            ) from exc
        if since.utcoffset() is None:
            raise CliError(_("--since needs a time zone (e.g. 2027-05-28T09:00+02:00 or 2027-05-28T07:00Z)"))
    revoked = services.certificate_revoke(
        serial=args.serial, reason=args.reason, actor="cli", effective_at=since
    )
    when = revoked.revoked_at.isoformat() if revoked.revoked_at else _("now")
    print(
        _("revoked %(serial)s (%(holder)s) as of %(when)s; the CRL is updated")
        % {"serial": revoked.serial, "holder": revoked.holder, "when": when}
    )
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from govdoc.cli import serve

    return serve.run_demo(host=args.host, port=args.port, with_worker=not args.no_worker)


def cmd_serve(args: argparse.Namespace) -> int:
    from govdoc.cli import serve

    return serve.run_web(host=args.host, port=args.port, threads=args.threads)


def cmd_worker(args: argparse.Namespace) -> int:
    from govdoc.cli import serve

    return serve.run_worker()


def cmd_manage(args: argparse.Namespace) -> int:
    bootstrap.setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["govdoc manage", *args.rest])
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------------


# -- API tokens and system accounts ---------------------------------------------------------


def _expiry(text: str) -> dt.datetime:
    """YYYY-MM-DD: the token works until the end of that day (local time)."""
    from govdoc.core import clock

    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CliError(_("--expires '%(value)s': give a date as YYYY-MM-DD") % {"value": text}) from exc
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=clock.DISPLAY_TZ)


def _account(username: str) -> Person:
    from govdoc.accounts.selectors import person_by_username

    person = person_by_username(username)
    if person is None:
        raise CliError(_("no account '%(username)s'") % {"username": username})
    return person


def cmd_token_create(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.applications.services.direct import api_token_create

    person = _account(args.account)
    token, secret = api_token_create(
        person=person,
        name=args.name,
        expires_at=_expiry(args.expires),
        scopes=args.scope or [],
        actor="cli",
    )
    print(
        _("token %(id)s for %(account)s (%(name)s), expires %(when)s")
        % {"id": token.pk, "account": args.account, "name": token.name, "when": token.expires_at.isoformat()}
    )
    scopes = ", ".join(token.scopes) or _("(none: acts as the account)")
    print(_("scopes: %(scopes)s") % {"scopes": scopes})
    print(_("secret (shown once, keep it in the system's secret store):"))
    print(secret)
    return EXIT_OK


def cmd_token_list(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.accounts.selectors import api_token_state, api_tokens_all

    tokens = api_tokens_all()
    if args.account:
        tokens = tokens.filter(person__username=args.account)
    rows: list[dict[str, Any]] = [
        {
            "id": str(t.pk),
            "account": t.person.username,
            "account_kind": str(t.person.account_kind),
            "name": t.name,
            "scopes": list(t.scopes),
            "created_at": t.created_at.isoformat(),
            "expires_at": t.expires_at.isoformat(),
            "state": api_token_state(t),
        }
        for t in tokens
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    for row in rows:
        expires = _("expires %(day)s") % {"day": str(row["expires_at"])[:10]}
        print(
            f"{row['id']}  {row['state']:<8}  {row['account']} ({row['account_kind']})  {row['name']}  "
            f"{expires}  {' '.join(row['scopes'])}"
        )
    if not rows:
        print(_("no tokens"))
    return EXIT_OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.accounts.selectors import api_token_get
    from govdoc.accounts.services import api_token_revoke

    token = api_token_revoke(token=api_token_get(args.token_id), actor="cli")
    print(
        _("token %(id)s (%(name)s) revoked at %(when)s")
        % {"id": token.pk, "name": token.name, "when": token.revoked_at}
    )
    return EXIT_OK


def _address_book(path: str) -> dict[str, str]:
    """Agency code → name, from a node's published address book (``/federation/v1/agencies``)
    or a plain ``{"code": "name"}`` object."""
    try:
        loaded = json.loads(_read_input(path).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CliError(_("%(path)s: not a JSON address book") % {"path": path}) from None
    if isinstance(loaded, dict) and isinstance(loaded.get("agencies"), list):
        return {
            str(a.get("code", "")): str(a.get("name", "")) for a in loaded["agencies"] if isinstance(a, dict)
        }
    if isinstance(loaded, dict) and all(isinstance(v, str) for v in loaded.values()):
        return {str(k): v for k, v in loaded.items()}
    raise CliError(_("%(path)s: not a JSON address book") % {"path": path})


def cmd_node_add(args: argparse.Namespace) -> int:
    root = _read_input(args.root).decode("ascii", errors="replace")
    agencies = _address_book(args.agencies)
    crl = _read_input(args.crl) if args.crl else None
    bootstrap.prepare()
    from govdoc.distribution.nodes import node_add

    node = node_add(
        node_id=args.id,
        name=args.name,
        endpoint=args.endpoint,
        root_certificate=root,
        agencies=agencies,
        crl=crl,
        actor="cli",
    )
    print(
        _("trusted node %(node)s (%(name)s) at %(endpoint)s, %(count)d agencies")
        % {"node": node.node_id, "name": node.name, "endpoint": node.endpoint, "count": len(node.agencies)}
    )
    return EXIT_OK


def cmd_node_list(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.distribution.nodes import nodes_all

    rows: list[dict[str, Any]] = [
        {
            "node_id": n.node_id,
            "name": n.name,
            "endpoint": n.endpoint,
            "active": n.is_active,
            "agencies": sorted(n.agencies),
            "crl_fetched_at": n.crl_fetched_at.isoformat() if n.crl_fetched_at else None,
        }
        for n in nodes_all()
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    for row in rows:
        state = _("trusted") if row["active"] else _("no longer trusted")
        print(f"{row['node_id']}  {state}  {row['name']}  {row['endpoint']}  {' '.join(row['agencies'])}")
    if not rows:
        print(_("no nodes in the trust list"))
    return EXIT_OK


def cmd_node_remove(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.distribution.nodes import node_deactivate

    node_deactivate(node_id=args.id, actor="cli")
    print(_("node %(node)s is no longer trusted") % {"node": args.id})
    return EXIT_OK


def cmd_procedures_install(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.procedures.services import procedures_install

    outcomes = {
        "installed": _("version %(version)d installed"),
        "unchanged": _("unchanged (version %(version)d)"),
        "kept": _("kept the agency's own version %(version)d"),
    }
    for done in procedures_install(actor="cli"):
        print(f"{done.key}: {outcomes[done.outcome] % {'version': done.version}}")
    return EXIT_OK


def cmd_system_account_create(args: argparse.Namespace) -> int:
    bootstrap.prepare()
    from govdoc.accounts.selectors import agency_by_code, units_of_agency
    from govdoc.accounts.services import system_account_create

    agency_code, _slash, unit_code = args.unit.partition("/")
    unit = units_of_agency(agency=agency_by_code(agency_code)).filter(code=unit_code).first()
    if unit is None:
        raise CliError(
            _("--unit '%(value)s': no such unit (give AGENCY/UNIT, e.g. `mup/pu-beograd`)")
            % {"value": args.unit}
        )
    system = system_account_create(unit=unit, username=args.username, name=args.name, actor="cli")
    print(
        _("system account %(username)s in %(unit)s: API only, no password")
        % {"username": system.username, "unit": args.unit}
    )
    return EXIT_OK


def cmd_pin_unblock(args: argparse.Namespace) -> int:
    """Unblock an official's signing key after wrong PINs (audited as done by the CLI)."""
    bootstrap.prepare()
    from govdoc.accounts.selectors import person_by_username
    from govdoc.signatures.services import signing_pin_unblock

    person = person_by_username(args.username)
    if person is None:
        raise CliError(_("no account '%(username)s'") % {"username": args.username})
    row = signing_pin_unblock(person=person, actor="cli")
    print(
        _("signing key of %(username)s (%(serial)s) unblocked; wrong PINs reset to 0")
        % {"username": person.username, "serial": row.certificate_serial}
    )
    return EXIT_OK


def cmd_demo_totp(args: argparse.Namespace) -> int:
    """The current authenticator code of a demo official (their published demo secret)."""
    bootstrap.setup_django()  # before the demo data module, which imports Django models
    from govdoc.cli import demo_data

    officials = {p.username for p in demo_data.PEOPLE if p.agency is not None}
    if args.username not in officials:
        raise CliError(f"{args.username}: not a demo official (one of: {', '.join(sorted(officials))})")
    import time

    from govdoc.accounts import totp
    from govdoc.accounts.second_factor import demo_secret

    now = time.time()
    left = totp.PERIOD - int(now) % totp.PERIOD
    print(f"{totp.code_at(demo_secret(args.username), now)}  (valid for {left} s more)")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govdoc",
        description=_("GovDoc e-Document system. State lives in GOVDOC_HOME (default `./var`)."),
    )
    parser.add_argument("--version", action="version", version=f"govdoc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", help=_("start the embedded default: web server, worker, demo data"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("GOVDOC_PORT", "8000")))
    p.add_argument("--no-worker", action="store_true", help=_("do not start the background worker"))
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help=_("run the web server only (production: several behind a balancer)"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("GOVDOC_PORT", "8000")))
    p.add_argument("--threads", type=int, default=8)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help=_("run the background worker (tasks, audit checkpoints)"))
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("sign", help=_("seal a PDF with an agency's e-seal (PAdES B-LTA)"))
    p.add_argument("input", metavar="IN.pdf")
    p.add_argument("-o", "--output", required=True, metavar="OUT.pdf")
    p.add_argument("--seal", metavar="AGENCY", help=_("agency code (default: the first agency)"))
    p.add_argument("--certify", action="store_true", help=_("certify: no change is allowed afterwards"))
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("verify", help=_("verify a signed PDF; exit 0 only when authentic"))
    p.add_argument("file", metavar="FILE.pdf")
    p.add_argument("--json", action="store_true", help=_('print {"state": ..., "reasons": [...], ...}'))
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "verify-approvals", help=_("check an exported approval manifest offline; exit 0 only if valid")
    )
    p.add_argument("file", metavar="MANIFEST.json")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify_approvals)

    audit = sub.add_parser("audit", help=_("the hash-chained audit log")).add_subparsers(
        dest="audit_command", required=True, metavar="ACTION"
    )
    p = audit.add_parser("verify", help=_("check the whole chain and its signed checkpoints"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit_verify)
    p = audit.add_parser("checkpoint", help=_("sign and timestamp the current head of the chain"))
    p.set_defaults(func=cmd_audit_checkpoint)

    pki = sub.add_parser("pki", help=_("keys and certificates")).add_subparsers(
        dest="pki_command", required=True, metavar="ACTION"
    )
    p = pki.add_parser("status", help=_("root CA, TSA, CRL and every certificate issued"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_pki_status)
    p = pki.add_parser("revoke", help=_("revoke a certificate (publishes a new CRL)"))
    p.add_argument("serial", help=_("serial number in hex, as `govdoc pki status` shows it"))
    p.add_argument(
        "--reason",
        required=True,
        help=_(
            "why; an RFC 5280 reason code (`keyCompromise`, `superseded`, `cessationOfOperation`, "
            "`affiliationChanged`) is also written into the CRL"
        ),
    )
    p.add_argument(
        "--since",
        help=_(
            "revoke as of this earlier time (ISO 8601 with zone), e.g. when a key was compromised: "
            "seals made after it stop being authentic; seals proven earlier by their timestamps stay "
            "authentic"
        ),
    )
    p.set_defaults(func=cmd_pki_revoke)

    token = sub.add_parser(
        "token", help=_("API tokens: create (secret shown once), list, revoke")
    ).add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = token.add_parser("create", help=_("issue a token; prints its secret once"))
    p.add_argument("--account", required=True, metavar="USERNAME", help=_("a system account (or a person)"))
    p.add_argument("--name", required=True, help=_("what system uses the token"))
    p.add_argument(
        "--expires", required=True, metavar="YYYY-MM-DD", help=_("last day it works (at most a year)")
    )
    p.add_argument(
        "--scope",
        action="append",
        metavar="issue:SERVICE",
        help=_("direct issuance of a service (repeatable)"),
    )
    p.set_defaults(func=cmd_token_create)
    p = token.add_parser("list", help=_("every token with its state (never its secret)"))
    p.add_argument("--account", metavar="USERNAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_token_list)
    p = token.add_parser("revoke", help=_("revoke a token at once"))
    p.add_argument("token_id", metavar="TOKEN_ID")
    p.set_defaults(func=cmd_token_revoke)

    system = sub.add_parser("system-account", help=_("agency systems' accounts (API only)")).add_subparsers(
        dest="system_command", required=True, metavar="ACTION"
    )
    p = system.add_parser("create", help=_("an account for an agency's system; it never logs in to pages"))
    p.add_argument("--unit", required=True, metavar="AGENCY/UNIT", help=_("e.g. `mup/pu-beograd`"))
    p.add_argument("--username", required=True)
    p.add_argument("--name", required=True, help=_("the system's name, e.g. 'Šalterski sistem'"))
    p.set_defaults(func=cmd_system_account_create)

    node = sub.add_parser("node", help=_("the trust list of other GovDoc nodes (federation)")).add_subparsers(
        dest="node_command", required=True, metavar="ACTION"
    )
    p = node.add_parser("add", help=_("trust a node with what its operators published"))
    p.add_argument("--id", required=True, help=_("its identifier, e.g. rs-beograd.gov.rs"))
    p.add_argument("--name", required=True)
    p.add_argument("--endpoint", required=True, help=_("its address, https://..."))
    p.add_argument("--root", required=True, metavar="FILE", help=_("its root CA certificate (PEM)"))
    p.add_argument(
        "--agencies",
        required=True,
        metavar="FILE",
        help=_("its address book (JSON from /federation/v1/agencies)"),
    )
    p.add_argument("--crl", metavar="FILE", help=_("its current CRL (DER), if at hand"))
    p.set_defaults(func=cmd_node_add)
    p = node.add_parser("list", help=_("every node of the trust list"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_node_list)
    p = node.add_parser("remove", help=_("stop trusting a node (it stays listed)"))
    p.add_argument("--id", required=True)
    p.set_defaults(func=cmd_node_remove)

    procedures = sub.add_parser("procedures", help=_("BPMN procedures")).add_subparsers(
        dest="procedures_command", required=True, metavar="ACTION"
    )
    p = procedures.add_parser(
        "install", help=_("load the procedures GovDoc ships (an unchanged file is not a new version)")
    )
    p.set_defaults(func=cmd_procedures_install)

    pin = sub.add_parser("pin", help=_("officials' signing PINs")).add_subparsers(
        dest="pin_command", required=True, metavar="ACTION"
    )
    p = pin.add_parser("unblock", help=_("unblock an official's signing key after too many wrong PINs"))
    p.add_argument("username")
    p.set_defaults(func=cmd_pin_unblock)
    p = sub.add_parser("demo-totp", help=_("the current log-in code of a demo official (demo data only)"))
    p.add_argument("username")
    p.set_defaults(func=cmd_demo_totp)

    p = sub.add_parser("manage", help=_("Django management commands (createsuperuser, migrate, ...)"))
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


@contextlib.contextmanager
def _command_origin(command: str) -> Iterator[None]:
    """Audit events recorded by this command say where they came from: the command line (with
    the operating-system user who ran it) or the worker. Web requests in ``serve`` set their own."""
    from govdoc.audit.context import origin

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = f"uid {os.getuid()}"
    address = "worker" if command == "worker" else "cli"
    with origin(address, f"govdoc {command} (user {user})"):
        yield


# Commands that run GovDoc's servers: their pages, e-mails and documents choose their own language.
_SERVERS = frozenset({"demo", "serve", "worker"})


def main(argv: Sequence[str] | None = None) -> int:
    language.use(language.language_from_environment(os.environ))
    args = build_parser().parse_args(argv)
    from govdoc.core.errors import GovDocError

    speaking = contextlib.nullcontext() if args.command in _SERVERS else language.django_speaking()
    try:
        action = next((v for k, v in vars(args).items() if k.endswith("_command") and isinstance(v, str)), "")
        with _command_origin(f"{args.command} {action}".strip()), speaking:
            return int(args.func(args))
    except CliError as exc:
        print(_("govdoc: error: %(message)s") % {"message": exc}, file=sys.stderr)
        return EXIT_ERROR
    except GovDocError as exc:
        print(_("govdoc: error: %(message)s") % {"message": exc.message}, file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(_("govdoc: interrupted"), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
