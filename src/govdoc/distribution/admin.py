"""Admin: each agency's approval policy per kind of document (edited here, each change audited);
officials' documents, deliveries and the trust list are read here and changed by the services
(the pages, the API, `govdoc node`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from govdoc.approvals.policy import policy_errors
from govdoc.audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from govdoc.distribution.models import Delivery, KindPolicy, Node, OutgoingDocument


class KindPolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = KindPolicy
        fields = ["agency", "kind", "approval_policy"]

    def clean_approval_policy(self) -> Any:
        policy = self.cleaned_data.get("approval_policy")
        errors = policy_errors(policy)
        if errors:
            raise forms.ValidationError(
                "; ".join(f"{field}: {message}" for field, message in sorted(errors.items()))
            )
        return policy


@admin.register(KindPolicy)
class KindPolicyAdmin(AuditedModelAdmin):
    form = KindPolicyForm
    list_display = ["agency", "kind"]
    list_filter = ["agency", "kind"]


@admin.register(OutgoingDocument)
class OutgoingDocumentAdmin(ReadOnlyAdmin):
    list_display = ["document", "agency", "unit", "kind", "status", "created_at", "sent_at"]
    list_filter = ["agency", "kind", "status"]
    list_select_related = ["document", "agency", "unit"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["outgoing", "agency", "unit", "status", "delivered_at", "registered_at", "returned_at"]
    list_filter = ["agency", "status"]
    list_select_related = ["outgoing__document", "agency", "unit"]


@admin.register(Node)
class NodeAdmin(ReadOnlyAdmin):
    list_display = ["node_id", "name", "endpoint", "is_active", "crl_fetched_at", "changed_at"]
    list_filter = ["is_active"]
