"""Administrators see officials' signing PINs' state (never a PIN) and unblock a key through
the service the CLI calls (``govdoc pin unblock``), so the same audit event is written."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from govdoc.accounts.models import Person
from govdoc.signatures.models import SigningPin
from govdoc.signatures.services import signing_pin_unblock


@admin.register(SigningPin)
class SigningPinAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["person", "certificate_serial", "failures", "blocked_until", "blocked", "change_required"]
    list_filter = ["blocked", "change_required"]
    list_select_related = ["person"]
    search_fields = ["person__username", "certificate_serial"]
    readonly_fields = [
        "person",
        "certificate_serial",
        "failures",
        "blocked_until",
        "blocked",
        "change_required",
        "changed_at",
    ]
    actions = ["unblock_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    @admin.action(description="Unblock the selected officials' signing keys")
    def unblock_selected(self, request: HttpRequest, queryset: QuerySet[SigningPin]) -> None:
        actor = request.user
        assert isinstance(actor, Person)
        people = {row.person for row in queryset.select_related("person")}
        for person in people:
            signing_pin_unblock(person=person, actor=actor)
        messages.success(request, f"{len(people)} signing key(s) unblocked.")
