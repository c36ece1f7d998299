"""Writes of the procedures domain: definitions, instances, tasks and timers.

Every write runs in one transaction with its audit event; every move of an instance locks
its row first, so its stored workflow state never forks.
"""

from govdoc.procedures.services.definitions import definition_load, parse_checked
from govdoc.procedures.services.documents import task_document_countersign, task_document_draft
from govdoc.procedures.services.install import Installed, procedures_install, shipped_files
from govdoc.procedures.services.instances import (
    CANCEL_ROLES,
    instance_cancel,
    instance_start,
    task_complete,
)
from govdoc.procedures.services.remote import fields_of as remote_fields
from govdoc.procedures.services.remote import remote_task_complete
from govdoc.procedures.services.timers import procedures_tick

__all__ = [
    "CANCEL_ROLES",
    "Installed",
    "definition_load",
    "instance_cancel",
    "instance_start",
    "parse_checked",
    "procedures_install",
    "procedures_tick",
    "remote_fields",
    "remote_task_complete",
    "shipped_files",
    "task_complete",
    "task_document_countersign",
    "task_document_draft",
]
