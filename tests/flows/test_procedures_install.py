"""``govdoc procedures install`` prints a line per shipped procedure and fails with one line;
the demo installs them with a training programme whose parties are demo agencies."""

from __future__ import annotations

import pytest

from govdoc.cli import bootstrap
from govdoc.cli.main import main
from govdoc.procedures import errors, services
from govdoc.procedures.models import ProcessDefinition

KEYS = ["application_handling", "dgcc_operation", "egov_project", "training_programme"]


def test_the_command_prints_a_line_per_procedure_and_fails_with_one_line(
    db: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bootstrap, "prepare", lambda **kwargs: None)  # the test database is ready

    assert main(["procedures", "install"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{key}: version 1 installed" for key in KEYS]
    assert main(["procedures", "install"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "application_handling: unchanged (version 1)"

    def refused(**kwargs: object) -> list[services.Installed]:
        raise errors.DefinitionNotXmlError("egov_project.bpmn: the file is not well-formed XML (line 1)")

    monkeypatch.setattr(services, "procedures_install", refused)
    assert main(["procedures", "install"]) == 2
    err = capsys.readouterr().err
    assert err == "govdoc: error: egov_project.bpmn: the file is not well-formed XML (line 1)\n"


def test_the_demo_installs_them_with_a_training_programme_of_two_agencies(demo: None) -> None:
    from govdoc.accounts.selectors import person_by_username
    from govdoc.cli import demo_data
    from govdoc.procedures.selectors import tasks_for

    head = person_by_username("head-unit")  # the Ministry of Interior's head of unit
    assert head is not None
    waiting = list(tasks_for(person=head))
    assert [(t.spec_name, t.party, t.instance.definition.key) for t in waiting] == [
        ("select_trainees", "Sending organization (partner country)", "training_programme")
    ]
    assert sorted(ProcessDefinition.objects.values_list("key", flat=True)) == KEYS

    demo_data.ensure(progress=lambda _m: None)  # a restart of the demo: nothing new
    assert ProcessDefinition.objects.count() == 4
    assert waiting[0].instance.definition.instances.count() == 1
