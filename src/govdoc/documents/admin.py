"""Admin: documents, versions, files and the registry are read-only here.

Every change goes through ``services`` (which check roles and record audit events); the admin is
for looking things up.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from govdoc.audit.admin import ReadOnlyAdmin
from govdoc.documents.models import (
    Attachment,
    Document,
    DocumentVersion,
    RegistryCounter,
    RegistryEntry,
    StoredFile,
)


class VersionInline(admin.TabularInline[DocumentVersion, Document]):
    model = DocumentVersion
    fk_name = "document"
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "number",
        "filename",
        "media_type",
        "file",
        "created_by",
        "created_at",
        "sealed",
        "note",
    )

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["title", "agency", "owner_unit", "doc_type", "disclosure", "created_at", "registry"]
    list_filter = ["agency", "disclosure", "doc_type"]
    list_select_related = ["agency", "owner_unit", "registry_entry", "registry_entry__agency"]
    search_fields = ["title", "classification_code", "id"]
    date_hierarchy = "created_at"
    inlines = [VersionInline]

    @admin.display(description="registry number")
    def registry(self, obj: Document) -> str:
        entry = getattr(obj, "registry_entry", None)
        return entry.registry_number if entry is not None else "—"


class AttachmentInline(admin.TabularInline[Attachment, DocumentVersion]):
    model = Attachment
    extra = 0
    can_delete = False
    fields = readonly_fields = ("filename", "media_type", "file", "description", "created_by", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(DocumentVersion)
class DocumentVersionAdmin(ReadOnlyAdmin):
    list_display = ["document", "number", "filename", "media_type", "sealed", "created_by", "created_at"]
    list_filter = ["sealed", "media_type"]
    list_select_related = ["document", "created_by"]
    search_fields = ["document__title", "filename", "file__sha256"]
    inlines = [AttachmentInline]


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    list_display = ["sha256", "size", "media_type", "created_at"]
    list_filter = ["media_type"]
    search_fields = ["sha256"]


@admin.register(RegistryEntry)
class RegistryEntryAdmin(ReadOnlyAdmin):
    list_display = ["registry_number", "registered_at", "subject", "document", "registered_by"]
    list_filter = ["agency", "year"]
    list_select_related = ["agency", "document", "registered_by"]
    search_fields = ["subject", "document__title"]
    ordering = ["agency", "-year", "-number"]


@admin.register(RegistryCounter)
class RegistryCounterAdmin(ReadOnlyAdmin):
    list_display = ["agency", "year", "last_number"]
    list_filter = ["agency", "year"]
    list_select_related = ["agency"]
