"""Admin: issued documents and verification events are read-only here.

Revoking and superseding go through ``services`` (roles checked, audit recorded).
"""

from __future__ import annotations

from django.contrib import admin

from govdoc.audit.admin import ReadOnlyAdmin
from govdoc.issuance.models import IssuedDocument, VerificationEvent


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    list_display = ("registry_number", "title", "agency", "recipient", "status", "issued_at", "valid_until")
    list_filter = ("status", "agency", "script")
    search_fields = ("registry_number", "verification_code", "title")
    date_hierarchy = "issued_at"
    list_select_related = ("agency", "recipient")


@admin.register(VerificationEvent)
class VerificationEventAdmin(ReadOnlyAdmin):
    list_display = ("issued", "at", "channel", "status", "verdict", "identical", "verifier_label")
    list_filter = ("channel", "status")
    list_select_related = ("issued",)
