from __future__ import annotations

import uuid

from django.db import models


class AuditEvent(models.Model):
    """One business event. Never updated, never deleted: ``hash`` chains it to its predecessor."""

    seq = models.BigIntegerField(unique=True, help_text="Position in the chain, from 1, gap-free.")
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    occurred_at = models.DateTimeField()
    event = models.CharField(max_length=100, db_index=True)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    client_address = models.CharField(
        max_length=64, blank=True, help_text="The client's IP address, or cli / worker; empty if unknown."
    )
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            # "Was this refused from this address lately?" (request refusals are recorded once
            # per address and interval) must stay one index lookup however long the chain grows.
            models.Index(fields=["event", "client_address", "occurred_at"], name="audit_event_origin_idx"),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_seq_positive")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event}"


class AuditHead(models.Model):
    """The single row that holds the head of the chain; writers lock it to append in order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_singleton")]

    def __str__(self) -> str:
        return f"head #{self.seq} {self.hash[:12]}"


class AuditCheckpoint(models.Model):
    """A signed, timestamped statement "the chain had head <hash> at <seq>".

    It anchors the chain: rewriting history (even with recomputed hashes) or cutting its tail
    no longer matches the last checkpoint.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    statement = models.BinaryField(help_text="The canonical JSON that was signed.")
    signature = models.BinaryField(help_text="Detached CMS signature (DER) with a timestamp.")
    signer_label = models.CharField(max_length=200)

    class Meta:
        ordering = ["seq"]
        get_latest_by = "seq"

    def __str__(self) -> str:
        return f"checkpoint #{self.seq} {self.head_hash[:12]}"
