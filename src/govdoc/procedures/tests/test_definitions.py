"""Loading BPMN files: what is kept as a new version, and every file that is refused, with why."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from govdoc.audit.models import AuditEvent
from govdoc.procedures import errors, services
from govdoc.procedures.models import ProcessDefinition
from govdoc.procedures.tests.conftest import CERTIFICATE_REQUEST, Office

GOOD = CERTIFICATE_REQUEST.decode("utf-8")
PROLOG = '<?xml version="1.0" encoding="UTF-8"?>'
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
END = "</bpmn:definitions>"
REVIEW = (
    '<bpmn:userTask id="review" name="Review the application"><bpmn:incoming>f1</bpmn:incoming>'
    "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>"
)
CHECK_FEES = (
    '<bpmn:manualTask id="check_fees" name="Check the fees"><bpmn:incoming>f4</bpmn:incoming>'
    "<bpmn:outgoing>f6</bpmn:outgoing></bpmn:manualTask>"
)
CONDITION_YES = 'complete == True and "fee" in paid'


def changed(old: str, new: str) -> bytes:
    assert old in GOOD, old
    return GOOD.replace(old, new).encode("utf-8")


def without_start() -> bytes:
    text = GOOD
    for part in (
        '<bpmn:startEvent id="start" name="Application received"><bpmn:outgoing>f1</bpmn:outgoing>'
        "</bpmn:startEvent>",
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />',
        "<bpmn:flowNodeRef>start</bpmn:flowNodeRef>",
        "<bpmn:incoming>f1</bpmn:incoming>",
    ):
        assert part in text, part
        text = text.replace(part, "")
    return text.encode("utf-8")


def with_doctype(doctype: str, old: str, new: str) -> bytes:
    body = GOOD.split("?>", 1)[1].replace(old, new)
    return f'<?xml version="1.0"?>{doctype}{body}'.encode()


BILLION_LAUGHS = (
    '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)

# (name, the bad file, the error class, a phrase of its message)
REFUSED: list[tuple[str, Callable[[], bytes], type[errors.DefinitionInvalidError], str]] = [
    ("not well-formed", lambda: GOOD[:-40].encode(), errors.DefinitionNotXmlError, "not well-formed XML"),
    ("empty", lambda: b"", errors.DefinitionNotXmlError, "not well-formed XML"),
    ("not UTF-8",
     lambda: GOOD.replace("UTF-8", "ISO-8859-2").replace("Certificate request", "Uverenje o državljanstvu")
     .encode("iso-8859-2"), errors.DefinitionNotXmlError, "UTF-8"),
    ("HTML, not BPMN", lambda: b"<html><body>process</body></html>", errors.DefinitionNotBpmnError,
     "not BPMN 2.0"),
    ("BPMN namespace, invalid schema",
     lambda: f'{PROLOG}<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="d"><bpmn:banana/>{END}'.encode(),
     errors.DefinitionNotBpmnError, "banana"),
    ("external entity (XXE)",
     lambda: with_doctype('<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                          'name="Certificate request"', 'name="&xxe;"'),
     errors.DefinitionDtdError, "DTD"),
    ("external entity in text",
     lambda: with_doctype('<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', CONDITION_YES, "&xxe;"),
     errors.DefinitionDtdError, "DTD"),
    ("billion laughs", lambda: with_doctype(BILLION_LAUGHS, CONDITION_YES, "&d; == 1"),
     errors.DefinitionDtdError, "DTD"),
    ("external DTD", lambda: with_doctype('<!DOCTYPE d SYSTEM "http://attacker.example/x.dtd">', "", ""),
     errors.DefinitionDtdError, "DTD"),
    ("script task",
     lambda: changed(CHECK_FEES, '<bpmn:scriptTask id="check_fees" scriptFormat="python">'
                     "<bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>"
                     "<bpmn:script>fees = 100</bpmn:script></bpmn:scriptTask>"),
     errors.DefinitionScriptError, "scriptTask"),
    ("SpiffWorkflow pre-script",
     lambda: changed(REVIEW, REVIEW.replace(
         "<bpmn:incoming>f1</bpmn:incoming>",
         '<bpmn:extensionElements><spiffworkflow:preScript xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/'
         'schema/1.0/core">import os</spiffworkflow:preScript></bpmn:extensionElements>'
         "<bpmn:incoming>f1</bpmn:incoming>")),
     errors.DefinitionScriptError, "preScript"),
    ("import in a condition", lambda: changed(CONDITION_YES, "__import__('os').system('id') or True"),
     errors.DefinitionConditionError, "not allowed"),
    ("call in a condition", lambda: changed(CONDITION_YES, "len(paid) &gt; 0"),
     errors.DefinitionConditionError, "Call not allowed"),
    ("attribute in a condition", lambda: changed(CONDITION_YES, "paid.__class__"),
     errors.DefinitionConditionError, "not allowed"),
    ("broken condition", lambda: changed(CONDITION_YES, "complete =="),
     errors.DefinitionConditionError, "not a valid expression"),
    ("unquoted timer", lambda: changed('"P8D"', "P8D"), errors.DefinitionTimerError, "quoted ISO 8601"),
    ("timer that is no duration", lambda: changed('"P8D"', '"eight days"'), errors.DefinitionTimerError,
     "not an ISO 8601"),
    ("no start event", without_start, errors.DefinitionNoStartEventError, "no start event"),
    ("no process",
     lambda: f'{PROLOG}<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="d" targetNamespace="x"/>'.encode(),
     errors.DefinitionProcessCountError, "one executable process"),
    ("SpiffWorkflow cannot build it",
     lambda: changed('targetRef="end_done" />', 'targetRef="Collab" />'),
     errors.DefinitionUnparsableError, "cannot be run"),
    ("a call to a process that is not there",
     lambda: changed('<bpmn:userTask id="check_register" name="Check the register"><bpmn:incoming>f3'
                     "</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>",
                     '<bpmn:callActivity id="check_register" calledElement="nowhere"><bpmn:incoming>f3'
                     "</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:callActivity>"),
     errors.DefinitionUnparsableError, "nowhere"),
    ("a service task, which would wait for ever",
     lambda: changed(CHECK_FEES, CHECK_FEES.replace("manualTask", "serviceTask")),
     errors.DefinitionUnparsableError, "serviceTask"),
    ("a lane that names no role", lambda: changed('name="Head of unit"', 'name="Minister"'),
     errors.DefinitionLaneError, "'Minister' names no GovDoc role"),
    ("a citizen lane", lambda: changed('name="Head of unit"', 'name="citizen"'),
     errors.DefinitionLaneError, "names no GovDoc role"),
    ("a user task in no lane",
     lambda: changed("<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>", ""),
     errors.DefinitionLaneError, "'Approve the certificate' is in no lane"),
    ("too large", lambda: changed("<bpmn:collaboration", f"<!--{'x' * 2**21}--><bpmn:collaboration"),
     errors.DefinitionTooLargeError, "too large"),
]  # fmt: skip


def test_a_good_file_becomes_version_1_active_and_audited(office: Office) -> None:
    definition = services.definition_load(xml_bytes=CERTIFICATE_REQUEST, actor=office.admin)

    assert (definition.key, definition.version) == ("certificate_request", 1)
    assert definition.name == "Certificate request"
    assert definition.is_active
    assert definition.sha256 == hashlib.sha256(CERTIFICATE_REQUEST).hexdigest()
    assert definition.bpmn_xml.encode("utf-8") == CERTIFICATE_REQUEST
    assert definition.uploaded_by == office.admin
    event = AuditEvent.objects.get(event="procedures.definition_loaded")
    assert event.target_id == str(definition.pk)
    assert event.data["version"] == 1


def test_a_changed_file_is_the_next_version_and_replaces_the_active_one(office: Office) -> None:
    first = services.definition_load(xml_bytes=CERTIFICATE_REQUEST, actor=office.admin)
    second = services.definition_load(xml_bytes=changed('"P8D"', '"P15D"'), actor="setup")

    first.refresh_from_db()
    assert (first.version, first.is_active) == (1, False)
    assert (second.version, second.is_active, second.uploaded_by) == (2, True, None)
    assert AuditEvent.objects.filter(event="procedures.definition_loaded").count() == 2


def test_loading_the_active_file_again_changes_nothing(office: Office) -> None:
    first = services.definition_load(xml_bytes=CERTIFICATE_REQUEST, actor=office.admin)
    again = services.definition_load(xml_bytes=CERTIFICATE_REQUEST, actor=office.admin)

    assert again.pk == first.pk
    assert ProcessDefinition.objects.count() == 1
    assert AuditEvent.objects.filter(event="procedures.definition_loaded").count() == 1


def test_only_an_administrator_loads_definitions(office: Office) -> None:
    with pytest.raises(errors.NotDefinitionManagerError):
        services.definition_load(xml_bytes=CERTIFICATE_REQUEST, actor=office.chief)
    assert not ProcessDefinition.objects.exists()


@pytest.mark.parametrize(("name", "bad", "error", "phrase"), REFUSED, ids=[case[0] for case in REFUSED])
def test_a_bad_file_is_refused_with_its_reason_and_nothing_is_kept(
    office: Office,
    name: str,
    bad: Callable[[], bytes],
    error: type[errors.DefinitionInvalidError],
    phrase: str,
) -> None:
    with pytest.raises(errors.DefinitionInvalidError) as refused:
        services.definition_load(xml_bytes=bad(), actor=office.admin)

    assert type(refused.value) is error, refused.value
    assert refused.value.code.startswith("procedure-definition-")
    assert phrase in refused.value.message
    assert refused.value.status == 400
    assert not ProcessDefinition.objects.exists()
    assert not AuditEvent.objects.filter(event="procedures.definition_loaded").exists()


def test_an_external_entity_is_never_read(office: Office, tmp_path: Path) -> None:
    """Not even on the way to the refusal: the file the entity names is not opened."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doctype = f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    bad = with_doctype(doctype, "Review the application", "&xxe;")
    with pytest.raises(errors.DefinitionDtdError) as refused:
        services.definition_load(xml_bytes=bad, actor=office.admin)
    assert "TOP-SECRET" not in str(refused.value.details)


@pytest.mark.parametrize(
    ("lane", "accepted"),
    [("handler", True), ("Head of unit", True), ("head-of-agency", True), ("REGISTRY CLERK", True),
     ("archivist", True), ("administrator", True), ("system", False), ("citizen", False), ("Clerk", False)],
)  # fmt: skip
def test_a_lane_is_named_after_a_role(office: Office, lane: str, accepted: bool) -> None:
    bad = changed('name="Head of unit"', f'name="{lane}"')
    if accepted:
        assert services.definition_load(xml_bytes=bad, actor=office.admin).version == 1
    else:
        with pytest.raises(errors.DefinitionLaneError):
            services.definition_load(xml_bytes=bad, actor=office.admin)


def test_a_refusal_reads_in_the_language_of_the_request(office: Office) -> None:
    from django.utils import translation

    for language, phrase in (
        ("sr-latn", "staza 'Minister' ne imenuje"),
        ("sr", "стаза 'Minister' не именује"),
    ):
        with translation.override(language), pytest.raises(errors.DefinitionLaneError) as refused:
            services.definition_load(
                xml_bytes=changed('name="Head of unit"', 'name="Minister"'), actor=office.admin
            )
        assert phrase in refused.value.message
