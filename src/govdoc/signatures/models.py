from __future__ import annotations

from django.db import models

from govdoc.accounts.models import Person


class SigningPin(models.Model):
    """The signing PIN of one official's personal key (one certificate): wrong PINs in a row,
    how long the key is blocked after them, and whether the PIN set by whoever provisioned
    the key must still be changed by its holder (see ``signatures.services``)."""

    id = models.BigAutoField(primary_key=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="signing_pins")
    certificate_serial = models.CharField(
        max_length=64, unique=True, help_text="Hex, as `govdoc pki status`."
    )
    failures = models.PositiveIntegerField(default=0, help_text="Wrong PINs in a row.")
    blocked_until = models.DateTimeField(null=True, blank=True)
    blocked = models.BooleanField(
        default=False, help_text="Blocked until an administrator unblocks it (too many wrong PINs)."
    )
    change_required = models.BooleanField(
        default=False, help_text="The PIN was set by whoever provisioned the key: its holder must change it."
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["person", "-id"]

    def __str__(self) -> str:
        return f"{self.person} ({self.certificate_serial[:12]}…)"
