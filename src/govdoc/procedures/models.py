"""Process definitions (BPMN versions), running instances with their workflow state, the
history of completed steps, and the work list of open tasks."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext

from govdoc.accounts.models import Agency
from govdoc.procedures.constants import PARTY_NAME_MAX, TITLE_MAX_LENGTH, InstanceStatus


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
    timer_failures = models.PositiveSmallIntegerField(
        default=0, help_text="Failed attempts to let its due timers fire, since the last success."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The procedure whose task started this one (govdoc:start), if any.",
    )
    application = models.OneToOneField(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The citizen's application this procedure handles, if any.",
    )

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


class ProcessParty(models.Model):
    """An organization that works an instance's party lanes (``lanes.py``), given when the
    instance starts: an agency of this installation, or an agency of another node
    (``agency@node``), whose tasks are completed on that node and arrive through distribution."""

    id = models.BigAutoField(primary_key=True)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="parties")
    name = models.CharField(max_length=PARTY_NAME_MAX, help_text="The party's name as the lanes draw it.")
    key = models.CharField(max_length=PARTY_NAME_MAX, help_text="The name without case or repeated spaces.")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    remote_agency = models.CharField(max_length=32, blank=True, help_text="An agency code of another node.")
    remote_node = models.CharField(max_length=63, blank=True, help_text="That node's identifier.")

    class Meta:
        ordering = ["instance", "name"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "key"], name="processparty_once_per_instance"),
            models.CheckConstraint(
                condition=(models.Q(agency__isnull=False, remote_agency="", remote_node=""))
                | (models.Q(agency__isnull=True) & ~models.Q(remote_agency="") & ~models.Q(remote_node="")),
                name="processparty_here_or_on_a_node",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.address}"

    @property
    def address(self) -> str:
        """``code`` of an agency here, ``code@node`` of an agency on another node."""
        if self.agency is not None:
            return str(self.agency.code)
        return f"{self.remote_agency}@{self.remote_node}"


class ProcessTask(models.Model):
    """A user or manual task waiting for a person: the work list. Derived from ``state`` and
    rewritten with it in the same transaction, so the list can be filtered in the database.
    ``agency`` is where its people are (the instance's agency, or its lane's party's); a task
    of a party on another node has none and names that party's ``remote`` address instead."""

    id = models.BigAutoField(primary_key=True)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="open_tasks")
    task_id = models.UUIDField(help_text="SpiffWorkflow's task id.")
    spec_name = models.CharField(max_length=200, help_text="The BPMN id of the task.")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    lane = models.CharField(max_length=200)
    role = models.CharField(max_length=32, help_text="The role the lane stands for.")
    party = models.CharField(max_length=PARTY_NAME_MAX, blank=True, help_text="The lane's party, if any.")
    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose people complete it here; empty when its party is on another node.",
    )
    remote = models.CharField(max_length=100, blank=True, help_text="agency@node of a party elsewhere.")
    document = models.BooleanField(
        default=False, help_text="It produces a document: any drafter of its agency may prepare it."
    )
    since = models.DateTimeField()

    class Meta:
        ordering = ["since", "id"]
        indexes = [models.Index(fields=["agency", "role"], name="processtask_agency_role")]
        constraints = [
            models.UniqueConstraint(fields=["instance", "task_id"], name="processtask_once_per_instance")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.party + ' / ' if self.party else ''}{self.role})"

    @property
    def waiting_on_other_node(self) -> bool:
        return bool(self.remote)

    def waiting_for(self) -> str:
        """What a person reads beside a task of a party on another node ("" for a task here)."""
        if not self.remote:
            return ""
        node = self.remote.partition("@")[2]
        return gettext("waiting for %(party)s on %(node)s") % {"party": self.party, "node": node}


class ProcessStep(models.Model):
    """A task a person completed: who, when, in which lane, with which data."""

    id = models.BigAutoField(primary_key=True)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.PROTECT, related_name="steps")
    task_id = models.UUIDField()
    spec_name = models.CharField(max_length=200)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    lane = models.CharField(max_length=200)
    role = models.CharField(max_length=32)
    party = models.CharField(max_length=PARTY_NAME_MAX, blank=True)
    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where its role was held.",
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who completed it here; empty when its party completed it on another node.",
    )
    completed_elsewhere = models.CharField(
        max_length=100, blank=True, help_text="agency@node of the party that completed it there."
    )
    ready_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the task became ready (its work-list row's 'since'); empty for steps "
        "completed before GovDoc kept it.",
    )
    completed_at = models.DateTimeField()
    data: models.JSONField[dict[str, Any], Any] = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["instance", "completed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["instance", "task_id"], name="processstep_task_once")]

    def __str__(self) -> str:
        return f"{self.title} by {self.completed_by_id}"


class TaskDocument(models.Model):
    """An official document a task of a procedure produces (``govdoc:draft``,
    ``govdoc:countersign`` in the BPMN file): the outgoing document drafted from the task, which
    the task waits for until it is sent; or, for a party on another node, the answer that party
    sent back (``answer``, a registered delivery here). A rejected draft stays listed; the task
    then drafts another."""

    id = models.BigAutoField(primary_key=True)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.PROTECT, related_name="documents")
    task_id = models.UUIDField(help_text="SpiffWorkflow's task id.")
    spec_name = models.CharField(max_length=200, help_text="The BPMN id of the task.")
    mode = models.CharField(max_length=16, help_text="draft or countersign.")
    outgoing = models.OneToOneField(
        "distribution.OutgoingDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="procedure_task",
    )
    answer = models.OneToOneField(
        "distribution.Delivery",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="procedure_task",
        help_text="The registered answer of a party on another node.",
    )
    data: models.JSONField[dict[str, Any], Any] = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the drafter decided with the draft for the next gateway; it enters the "
        "process data when the task completes.",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["instance", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outgoing__isnull=False, answer__isnull=True)
                | models.Q(outgoing__isnull=True, answer__isnull=False),
                name="taskdocument_outgoing_or_answer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.spec_name}: {self.outgoing_id or self.answer_id}"


class ProcessTaskLapse(models.Model):
    """A task a timer took away before anyone completed it (an interrupting timer boundary
    event fired): its deadline was missed. Written by ``procedures_tick`` in the transaction
    that moves the instance on; the work list forgets the task, this row keeps the fact for
    the performance figures (``performance.py``)."""

    id = models.BigAutoField(primary_key=True)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.PROTECT, related_name="lapses")
    task_id = models.UUIDField()
    spec_name = models.CharField(max_length=200)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    lane = models.CharField(max_length=200)
    role = models.CharField(max_length=32)
    party = models.CharField(max_length=PARTY_NAME_MAX, blank=True)
    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose people had the task; empty when its party is on another node.",
    )
    ready_at = models.DateTimeField(help_text="When the task became ready.")
    lapsed_at = models.DateTimeField(help_text="When the timer took it away.")

    class Meta:
        ordering = ["instance", "lapsed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["instance", "task_id"], name="processtasklapse_once")]

    def __str__(self) -> str:
        return f"{self.title} lapsed {self.lapsed_at:%Y-%m-%d %H:%M}"


class RemoteTask(models.Model):
    """A task of a procedure that runs on another node, for a party that is an agency here:
    the other node asked for it (a signed message, ``distribution.messages``); whoever holds its
    lane's role in that agency completes it here, and the result goes back as a message. The
    procedure itself, its diagram and its other tasks stay on its own node."""

    class Status(models.TextChoices):
        OPEN = "open", "open"
        DONE = "done", "done"
        WITHDRAWN = "withdrawn", "withdrawn"

    id = models.BigAutoField(primary_key=True)
    origin = models.CharField(max_length=100, help_text="agency@node of the procedure's agency.")
    origin_instance = models.UUIDField(help_text="The instance's id on its node.")
    origin_task = models.UUIDField(help_text="The task's id on its node.")
    procedure = models.CharField(max_length=200, help_text="The procedure's name, as drawn.")
    instance_title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    business_key = models.CharField(max_length=100, blank=True)
    spec_name = models.CharField(max_length=200)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    lane = models.CharField(max_length=200)
    role = models.CharField(max_length=32)
    party = models.CharField(max_length=PARTY_NAME_MAX)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    fields: models.JSONField[list[dict[str, Any]], Any] = models.JSONField(
        default=list, help_text="What completing it asks (name, kind, choices, label)."
    )
    deadline = models.DateTimeField(null=True, blank=True)
    since = models.DateTimeField(help_text="When its node asked for it.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    data: models.JSONField[dict[str, Any], Any] = models.JSONField(default=dict, blank=True)
    withdrawn_reason = models.CharField(max_length=500, blank=True)
    result = models.ForeignKey(
        "distribution.FederationMessage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The message that carries the result back.",
    )
    refusal = models.CharField(
        max_length=500, blank=True, help_text="Why the procedure's node did not take the last result."
    )

    class Meta:
        ordering = ["since", "id"]
        indexes = [models.Index(fields=["agency", "role", "status"], name="remotetask_queue")]
        constraints = [
            models.UniqueConstraint(fields=["origin", "origin_task"], name="remotetask_once"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.origin})"
