"""Process definitions (BPMN versions), running instances with their workflow state, the
history of completed steps, and the work list of open tasks."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from govdoc.accounts.models import Agency
from govdoc.procedures.constants import TITLE_MAX_LENGTH, InstanceStatus


class ProcessDefinition(models.Model):
    """One version of a BPMN process. ``key`` is the BPMN process id; versions of a key count
    1, 2, 3 ...; new instances start from the one active version. A version is never changed:
    running instances keep the process they started with (their state holds it)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(max_length=200, help_text="The BPMN process id.")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    bpmn_xml = models.TextField(help_text="The BPMN 2.0 file as loaded (UTF-8).")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file's bytes.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="processdefinition_version_unique"),
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(is_active=True), name="processdefinition_one_active"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="processdefinition_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class ProcessInstance(models.Model):
    """One run of a process in one agency. ``state`` is SpiffWorkflow's serialized workflow
    (process spec, tasks and their data) as the JSON text it wrote; it is read and written
    only under the row's lock. Text, not a JSONField: PostgreSQL's jsonb reorders object
    keys, and SpiffWorkflow 3.2.0 restores a workflow from reordered keys without its data
    (the process data of a completed workflow came back empty; test_engine checks it).
    ``next_timer_at`` is when its earliest waiting timer is due (``procedures_tick``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="instances")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    business_key = models.CharField(
        max_length=100, blank=True, help_text="What the process is about, e.g. an application's number."
    )
    status = models.CharField(max_length=16, choices=InstanceStatus.choices, default=InstanceStatus.RUNNING)
    state = models.TextField(help_text="SpiffWorkflow's serialized workflow (JSON text, as written).")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    next_timer_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "id"]
        indexes = [models.Index(fields=["status", "next_timer_at"], name="processinstance_timers")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=InstanceStatus.values), name="processinstance_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=InstanceStatus.COMPLETED, completed_at__isnull=False)
                | (~models.Q(status=InstanceStatus.COMPLETED) & models.Q(completed_at__isnull=True)),
                name="processinstance_completed_at_iff_completed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition_id} {self.title or self.pk}: {self.status}"


class ProcessTask(models.Model):
    """A user or manual task waiting for a person: the work list. Derived from ``state`` and
    rewritten with it in the same transaction, so the list can be filtered in the database."""

    id = models.BigAutoField(primary_key=True)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="open_tasks")
    task_id = models.UUIDField(help_text="SpiffWorkflow's task id.")
    spec_name = models.CharField(max_length=200, help_text="The BPMN id of the task.")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    lane = models.CharField(max_length=200)
    role = models.CharField(max_length=32, help_text="The role the lane stands for.")
    since = models.DateTimeField()

    class Meta:
        ordering = ["since", "id"]
        indexes = [models.Index(fields=["role"], name="processtask_role")]
        constraints = [
            models.UniqueConstraint(fields=["instance", "task_id"], name="processtask_once_per_instance")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.role})"


class ProcessStep(models.Model):
    """A task a person completed: who, when, in which lane, with which data."""

    id = models.BigAutoField(primary_key=True)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.PROTECT, related_name="steps")
    task_id = models.UUIDField()
    spec_name = models.CharField(max_length=200)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    lane = models.CharField(max_length=200)
    role = models.CharField(max_length=32)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField()
    data: models.JSONField[dict[str, Any], Any] = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["instance", "completed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["instance", "task_id"], name="processstep_task_once")]

    def __str__(self) -> str:
        return f"{self.title} by {self.completed_by_id}"
