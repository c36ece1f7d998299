"""Installing the shipped procedures: once, again without a new version, keeping an agency's
own drawing, all or nothing (the command and the demo: tests/flows/test_procedures_install.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govdoc.procedures import errors, services
from govdoc.procedures.models import ProcessDefinition
from govdoc.procedures.tests.conftest import SHIPPED_DIR, Office

KEYS = ["application_handling", "dgcc_operation", "egov_project", "training_programme"]


def outcomes(done: list[services.Installed]) -> list[tuple[str, int, str]]:
    return [(d.key, d.version, d.outcome) for d in done]


def test_installing_twice_keeps_one_version_and_an_agency_s_drawing_is_kept(office: Office) -> None:
    assert outcomes(services.procedures_install(actor="cli")) == [(k, 1, "installed") for k in KEYS]
    assert outcomes(services.procedures_install(actor="cli")) == [(k, 1, "unchanged") for k in KEYS]

    # the agency switches the second review on; installing again does not take it back
    edited = (
        (SHIPPED_DIR / "application_handling.bpmn")
        .read_bytes()
        .replace(b"service in []", b'service in ["gradjevinska-dozvola"]')
    )
    services.definition_load(xml_bytes=edited, actor=office.admin)
    assert outcomes(services.procedures_install(actor="cli"))[0] == ("application_handling", 2, "kept")
    assert ProcessDefinition.objects.get(key="application_handling", is_active=True).version == 2


def test_a_changed_shipped_file_is_the_next_version(office: Office, tmp_path: Path) -> None:
    services.procedures_install(actor="cli")
    for path in services.shipped_files():
        shutil.copy(path, tmp_path / path.name)
    project = tmp_path / "egov_project.bpmn"
    project.write_bytes(project.read_bytes().replace(b'"P14D"', b'"P10D"'))

    done = outcomes(services.procedures_install(actor="cli", folder=tmp_path))
    assert ("egov_project", 2, "installed") in done
    assert ("dgcc_operation", 1, "unchanged") in done


def test_one_refused_file_installs_nothing_and_says_which(office: Office, tmp_path: Path) -> None:
    for path in services.shipped_files():
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "zz_broken.bpmn").write_text("<bpmn:definitions")

    with pytest.raises(
        errors.DefinitionNotXmlError, match=r"^zz_broken\.bpmn: the file is not well-formed XML"
    ):
        services.procedures_install(actor="cli", folder=tmp_path)
    assert not ProcessDefinition.objects.exists()
    with pytest.raises(errors.ProceduresError, match="no BPMN files"):
        services.procedures_install(actor="cli", folder=tmp_path / "nowhere")


def test_only_an_administrator_installs(office: Office) -> None:
    with pytest.raises(errors.NotDefinitionManagerError):
        services.procedures_install(actor=office.handler)
    assert outcomes(services.procedures_install(actor=office.admin))[0][2] == "installed"


@pytest.mark.parametrize("path", services.shipped_files(), ids=lambda p: p.name)
def test_every_shipped_element_is_drawn_for_a_modeler(path: Path) -> None:
    """bpmn.io and the pages' viewer draw only what the diagram interchange places: every lane,
    event, task and gateway has a shape, every flow an edge with its waypoints."""
    from lxml import etree

    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    root = etree.fromstring(path.read_bytes())
    process = root.find(f"{bpmn}process")
    assert process is not None
    elements = {e.get("id") for e in process.iter() if e.get("id") and e.tag != f"{bpmn}laneSet"}
    elements -= {
        e.get("id") for e in process.iter(f"{bpmn}timerEventDefinition", f"{bpmn}terminateEventDefinition")
    }
    elements -= {process.get("id")}
    drawn = {e.get("bpmnElement") for e in root.iter("{*}BPMNShape", "{*}BPMNEdge")}
    assert elements - drawn == set()
    assert all(len(edge.findall("{*}waypoint")) >= 2 for edge in root.iter("{*}BPMNEdge"))
