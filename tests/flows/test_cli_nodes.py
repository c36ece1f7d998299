"""`govdoc node`: an administrator keeps the trust list of other GovDoc nodes from the terminal,
with what the other node publishes (its root CA, its address book, its CRL)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from govdoc.signatures.pki import DevPki
from tests.flows.test_cli import run


def _published(tmp_path: Path) -> tuple[Path, Path, Path]:
    """What node rs-b.example's operators hand over: root CA, address book, CRL."""
    other = DevPki(tmp_path / "rs-b", passphrase="x" * 20, public_url="https://rs-b.example")
    other.ensure()
    root, book, crl = tmp_path / "root.pem", tmp_path / "agencies.json", tmp_path / "crl.der"
    root.write_bytes(other.root_certificate().public_bytes(Encoding.PEM))
    book.write_text(
        json.dumps(
            {
                "node": "rs-b.example",
                "agencies": [{"code": "beograd", "name": "Gradska uprava grada Beograda"}],
            }
        )
    )
    crl.write_bytes(other.crl_der())
    return root, book, crl


def test_an_administrator_trusts_lists_and_stops_trusting_a_node(tmp_path: Path) -> None:
    home = tmp_path / "home"
    root, book, crl = _published(tmp_path)
    args = ["--id", "rs-b.example", "--name", "Grad Beograd", "--endpoint", "https://rs-b.example"]

    added = run(home, "node", "add", *args, "--root", str(root), "--agencies", str(book), "--crl", str(crl))
    assert added.returncode == 0, added.stderr
    assert (
        added.stdout.strip() == "trusted node rs-b.example (Grad Beograd) at https://rs-b.example, 1 agencies"
    )

    listed = json.loads(run(home, "node", "list", "--json").stdout)
    assert [(n["node_id"], n["active"], n["agencies"]) for n in listed] == [
        ("rs-b.example", True, ["beograd"])
    ]

    removed = run(home, "node", "remove", "--id", "rs-b.example")
    assert removed.returncode == 0
    assert "no longer trusted" in run(home, "node", "list").stdout


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    root, book, _crl = _published(tmp_path)

    plain_http = run(
        home,
        "node",
        "add",
        "--id",
        "rs-b.example",
        "--name",
        "B",
        "--endpoint",
        "http://rs-b.example",
        "--root",
        str(book),
        "--agencies",
        str(book),
    )
    assert plain_http.returncode == 2
    # after the first run's progress lines, one line says what is wrong
    assert plain_http.stderr.strip().splitlines()[-1] == (
        "govdoc: error: The node cannot be trusted as given: endpoint, root_certificate"
    )

    not_json = run(
        home,
        "node",
        "add",
        "--id",
        "rs-b.example",
        "--name",
        "B",
        "--endpoint",
        "https://rs-b.example",
        "--root",
        str(root),
        "--agencies",
        str(root),
    )
    assert not_json.returncode == 2
    assert not_json.stderr.strip() == f"govdoc: error: {root}: not a JSON address book"

    unknown = run(home, "node", "remove", "--id", "rs-x.example")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "govdoc: error: no node rs-x.example in the trust list"
    assert json.loads(run(home, "node", "list", "--json").stdout) == []
