"""The names drawn in the shipped procedures are GovDoc's own text: listed for translation
(procedures/shipped_names.py, generated from the shipped files) and shown in the page's language;
a name an agency drew in its own file stays as drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from govdoc.procedures import drawn_names
from govdoc.procedures.drawn_names import name_shown, names_in, shipped_names
from govdoc.procedures.shipped_names import SHIPPED_NAMES

SHIPPED = drawn_names.SHIPPED_FOLDER


def test_the_list_of_shipped_names_matches_the_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert drawn_names.main(["--check"]) == 0, capsys.readouterr().err
    assert set(shipped_names()) == SHIPPED_NAMES


def test_an_edited_shipped_file_without_a_regenerated_list_fails_with_the_command_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "bpmn"
    folder.mkdir()
    for path in SHIPPED.glob("*.bpmn"):
        (folder / path.name).write_bytes(path.read_bytes())
    training = folder / "training_programme.bpmn"
    drawn = training.read_bytes()
    training.write_bytes(drawn.replace(b'name="Book accommodation"', b'name="Book hotel rooms"'))

    assert drawn_names.main(["--check"], folder=folder) == 1
    assert "python -m govdoc.procedures.drawn_names --write" in capsys.readouterr().err

    module = tmp_path / "shipped_names.py"
    assert drawn_names.main(["--write"], folder=folder, module=module) == 0
    assert drawn_names.main(["--check"], folder=folder, module=module) == 0
    text = module.read_text(encoding="utf-8")
    assert 'pgettext("drawn in a shipped procedure", "Book hotel rooms"),' in text
    assert '"Book accommodation"' not in text


def test_every_kind_of_drawn_name_is_listed_with_the_parties_of_party_lanes() -> None:
    names = names_in((SHIPPED / "training_programme.bpmn").read_bytes())
    assert names[0] == "Invitational training programme"  # the participant, then the process
    for name in (
        "Host organization (Korea) / handler",  # a lane
        "Host organization (Korea)",  # its party
        "Sending organization (partner country)",  # also the party a govdoc:draft goes to
        "Training planned",  # the start event
        "Select the trainees: one senior, three working-level",  # a user task
        "21 days",  # a timer on a task's border
        "One senior and three working-level?",  # a gateway
        "no: select again",  # a flow
        "Training closed",  # the end event
    ):
        assert name in names
    assert len(names) == len(set(names)) and "" not in names
    # the parties a document is addressed to or a started procedure runs in, even with no lane
    drawn = names_in(
        b"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
        xmlns:govdoc="https://govdoc.example/bpmn/1"><bpmn:process id="p" name="P">
        <bpmn:userTask id="t" name="T"><bpmn:extensionElements>
          <govdoc:draft template="letter" to="Partner  A; Partner B" />
          <govdoc:start process="q" each="items" party="Centre C" />
        </bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="e" /></bpmn:process>
        </bpmn:definitions>"""
    )
    assert drawn == ["P", "T", "Partner A", "Partner B", "Centre C"]


def test_every_shipped_name_is_shown_in_serbian_and_in_english_as_drawn() -> None:
    with translation.override("sr-latn"):
        latin = {name: name_shown(name) for name in SHIPPED_NAMES}
    untranslated = sorted(name for name, (shown, _ok) in latin.items() if shown == name)
    assert untranslated == [], "no Serbian translation in locale/sources/procedure_names.po"
    assert all(ok for _shown, ok in latin.values())
    assert latin["Lead organization (partner country) / head of agency"] == (
        "Organizacija nosilac (partnerska zemlja) / rukovodilac organa",
        True,
    )
    with translation.override("sr"):
        cyrillic = "Потписати Меморандум о разумевању у име Кореје"
        assert name_shown("Sign the MOU for Korea") == (cyrillic, True)
    with translation.override("en"):
        assert name_shown("Sign the MOU for Korea") == ("Sign the MOU for Korea", True)


def test_a_name_an_agency_drew_stays_as_drawn_and_is_marked_foreign() -> None:
    with translation.override("sr-latn"):
        assert name_shown("Review the request") == ("Review the request", False)
        assert name_shown("Pregled zahteva") == ("Pregled zahteva", False)
    with translation.override("en"):
        assert name_shown("Pregled zahteva") == ("Pregled zahteva", False)
