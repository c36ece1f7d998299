"""Errors of the procedures domain. Each carries ids and plain values, never model objects."""

from __future__ import annotations

from govdoc.core.errors import (
    ConflictError,
    GovDocError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)


class ProceduresError(GovDocError):
    code = "procedures"


class DefinitionInvalidError(ProceduresError, InvalidInputError):
    """A BPMN file GovDoc will not keep; the subclass's ``code`` says why, ``details["reason"]``
    is the engine's reason code and ``details["detail"]`` where."""

    code = "procedure-definition-invalid"


class DefinitionTooLargeError(DefinitionInvalidError):
    code = "procedure-definition-too-large"


class DefinitionNotXmlError(DefinitionInvalidError):
    code = "procedure-definition-not-xml"


class DefinitionDtdError(DefinitionInvalidError):
    """A DOCTYPE (a DTD, entities) is never read: it is how XML files reach local files and
    the network (XXE) or blow up (billion laughs)."""

    code = "procedure-definition-dtd"


class DefinitionNotBpmnError(DefinitionInvalidError):
    code = "procedure-definition-not-bpmn"


class DefinitionScriptError(DefinitionInvalidError):
    """Script tasks and scripts of any kind are refused: procedures do not run code."""

    code = "procedure-definition-script"


class DefinitionConditionError(DefinitionInvalidError):
    code = "procedure-definition-condition"


class DefinitionTimerError(DefinitionInvalidError):
    code = "procedure-definition-timer"


class DefinitionProcessCountError(DefinitionInvalidError):
    code = "procedure-definition-process-count"


class DefinitionNoStartEventError(DefinitionInvalidError):
    code = "procedure-definition-no-start-event"


class DefinitionUnparsableError(DefinitionInvalidError):
    code = "procedure-definition-unparsable"


class DefinitionLaneError(DefinitionInvalidError):
    """A lane names no GovDoc role, or a user or manual task sits in no lane."""

    code = "procedure-definition-lane"


class DefinitionDocumentError(DefinitionInvalidError):
    """A task's document (``govdoc:draft``, ``govdoc:countersign``) names an unknown template,
    kind or party, or is drawn where no person completes a task."""

    code = "procedure-definition-document"


class NotDefinitionManagerError(ProceduresError, PermissionDeniedError):
    """Only administrators load process definitions."""

    code = "procedure-not-definition-manager"


class DefinitionConflictError(ProceduresError, ConflictError):
    """Two loads of one new process at the same moment; the later one is refused."""

    code = "procedure-definition-conflict"


class DefinitionNotFoundError(ProceduresError, NotFoundError):
    code = "procedure-definition-not-found"


class DefinitionInactiveError(ProceduresError, ConflictError):
    """A newer version of the definition replaced it: new instances start from that one."""

    code = "procedure-definition-inactive"


class InstanceNotFoundError(ProceduresError, NotFoundError):
    code = "procedure-instance-not-found"


class NotAllowedToStartError(ProceduresError, PermissionDeniedError):
    """The actor is no official of the agency, or lacks the role of the start event's lane."""

    code = "procedure-not-allowed-to-start"


class InstanceStateError(ProceduresError, ConflictError):
    """The instance is completed or cancelled: nothing in it moves any more."""

    code = "procedure-instance-state"


class TaskNotOpenError(ProceduresError, ConflictError):
    """No such task is waiting for a person in this instance (it was completed, perhaps by
    someone else a moment ago, or it never existed)."""

    code = "procedure-task-not-open"


class NotYourTaskError(ProceduresError, PermissionDeniedError):
    """The actor does not hold the role of the task's lane in the instance's agency."""

    code = "procedure-not-your-task"


class NotAllowedToCancelError(ProceduresError, PermissionDeniedError):
    code = "procedure-not-allowed-to-cancel"


class InvalidProcessDataError(ProceduresError, InvalidInputError):
    code = "procedure-data-invalid"


class ProcessStepFailedError(ProceduresError, InvalidInputError):
    """The process could not move on with this data (a condition needs a value that is not
    there, or no outgoing flow of a gateway holds). Nothing was changed."""

    code = "procedure-step-failed"


class PartiesInvalidError(ProceduresError, InvalidInputError):
    """The parties given at the start do not fit the process: one its lanes name is missing, a
    name is none of its parties, or an address is no agency here nor of a trusted node.
    ``errors`` has one message per party."""

    code = "procedure-parties-invalid"


class TaskOnOtherNodeError(ProceduresError, ConflictError):
    """The task is its party's, whose agency is on another node: it is completed there."""

    code = "procedure-task-on-other-node"


class TaskWaitsForDocumentError(ProceduresError, ConflictError):
    """The task produces a document: it completes when that document is sent, not by hand."""

    code = "procedure-task-waits-for-document"


class TaskDoneOnApplicationError(ProceduresError, ConflictError):
    """The task waits for a step of the application it handles: it completes when that step is
    taken on the application, not by hand."""

    code = "procedure-task-done-on-application"


class TaskDocumentError(ProceduresError, InvalidInputError):
    """The task's document cannot be drafted now; ``details["errors"]`` names the fields."""

    code = "procedure-task-document"


class TaskDocumentPendingError(ProceduresError, ConflictError):
    """The task's document is already drafted and not yet sent or rejected."""

    code = "procedure-task-document-pending"
