"""Administrators' page for API tokens: create (the secret is shown once), list, revoke.

Every write calls the service that the CLI calls (``applications.services.direct.api_token_create``,
``accounts.services.api_token_revoke``), so the same checks and the same audit events apply. The
admin never shows a token's secret again, and tokens are never edited or deleted: revoke them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from govdoc.accounts.models import ApiToken, Person
from govdoc.accounts.selectors import api_token_state
from govdoc.accounts.services import api_token_revoke
from govdoc.applications.services.direct import api_token_create, api_token_create_errors


class ApiTokenForm(forms.ModelForm):  # type: ignore[type-arg]
    scopes_text = forms.CharField(
        required=False,
        label="Scopes",
        help_text="One per line, e.g. issue:uverenje-o-prebivalistu (system accounts only).",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = ApiToken
        fields = ["person", "name", "expires_at"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        self.scope_list = [line.strip() for line in data.get("scopes_text", "").splitlines() if line.strip()]
        person = data.get("person")
        if isinstance(person, Person):
            errors = api_token_create_errors(
                person=person,
                name=data.get("name", ""),
                expires_at=data.get("expires_at"),
                scopes=self.scope_list,
            )
            for field, message in errors.items():
                name = "scopes_text" if field == "scopes" else field
                self.add_error(name if name in self.fields else None, message)
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ApiTokenForm
    list_display = ["name", "person", "account_kind", "scopes_shown", "expires_at", "state", "created_at"]
    list_select_related = ["person"]
    list_filter = ["person__account_kind"]
    search_fields = ["name", "person__username"]
    actions = ["revoke_selected"]

    @admin.display(description="account")
    def account_kind(self, obj: ApiToken) -> str:
        return str(obj.person.account_kind)

    @admin.display(description="scopes")
    def scopes_shown(self, obj: ApiToken) -> str:
        return " ".join(obj.scopes)

    @admin.display(description="state")
    def state(self, obj: ApiToken) -> str:
        return api_token_state(obj)

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: object | None = None) -> list[str]:
        return ["person", "name", "expires_at"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        person = form.cleaned_data["person"]
        assert isinstance(person, Person) and isinstance(request.user, Person)
        expires_at: dt.datetime | None = form.cleaned_data.get("expires_at")
        token, secret = api_token_create(
            person=person,
            name=form.cleaned_data["name"],
            expires_at=expires_at,
            scopes=getattr(form, "scope_list", []),
            actor=request.user,
        )
        obj.pk, obj.person, obj.name, obj.scopes = token.pk, token.person, token.name, token.scopes
        messages.warning(
            request,
            f"Token {token.pk} created. Its secret is shown this once; store it in the system's secret "
            f"store now: {secret}",
        )

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None) -> Any:
        from django.http import HttpResponseRedirect
        from django.urls import reverse

        return HttpResponseRedirect(reverse("admin:accounts_apitoken_changelist"))

    @admin.action(description="Revoke the selected tokens")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        actor = request.user
        assert isinstance(actor, Person)
        for token in queryset:
            api_token_revoke(token=token, actor=actor)
        messages.success(request, f"{queryset.count()} token(s) revoked.")
