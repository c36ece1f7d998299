from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy, ngettext

from govdoc.accounts.models import Agency, Membership, Person, Unit
from govdoc.accounts.registry_format import template_errors
from govdoc.accounts.second_factor import factor_reset
from govdoc.audit.admin import MASKED, AuditedModelAdmin
from govdoc.audit.services import record


class UnitInline(admin.TabularInline[Unit, Agency]):
    model = Unit
    extra = 0
    fields = ["code", "name", "parent"]


class AgencyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Agency
        fields = ["code", "name", "name_cyrl", "name_en", "is_active", "registry_number_template"]

    def clean_registry_number_template(self) -> str:
        template = str(self.cleaned_data.get("registry_number_template") or "").strip()
        errors = template_errors(template)
        if errors:
            raise forms.ValidationError(" ".join(errors))
        return template


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    form = AgencyForm
    list_display = ["code", "name", "name_en", "registry_number_template", "is_active"]
    search_fields = ["code", "name", "name_en"]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "agency", "parent"]
    list_filter = ["agency"]
    search_fields = ["code", "name"]


class MembershipInline(admin.TabularInline[Membership, Person]):
    model = Membership
    extra = 0
    fields = ["unit", "role", "position", "valid_from", "valid_to"]


@admin.register(Person)
class PersonAdmin(AuditedModelAdmin, UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "first_name", "last_name", "account_kind", "is_citizen", "is_staff"]
    list_filter = ["account_kind", "is_citizen", "is_staff", "memberships__role"]
    # A system account is made with `govdoc system-account create`; its kind never changes here.
    readonly_fields = ["account_kind", "email_confirmed_at"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            "GovDoc",
            {
                "fields": [
                    "account_kind",
                    "is_citizen",
                    "national_id",
                    "preferred_script",
                    "email_confirmed_at",
                ]
            },
        ),
    )
    inlines = [MembershipInline]
    actions = ["second_factor_reset"]

    @admin.action(
        description=gettext_lazy("Remove the authenticator (lost phone): they enrol again at next log-in")
    )
    def second_factor_reset(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        actor = request.user
        assert isinstance(actor, Person)
        for person in queryset:
            factor_reset(person=person, actor=actor)
        count = queryset.count()
        messages.success(
            request,
            ngettext(
                "%(count)d person will enrol an authenticator at the next log-in.",
                "%(count)d people will enrol an authenticator at the next log-in.",
                count,
            )
            % {"count": count},
        )

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """The admin's "set password" page: the new password is an audit event (never its value)."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                record(
                    "admin.password_set",
                    actor=request.user,
                    target=Person.objects.filter(pk=id).first(),
                    data={"changes": {"password": {"from": MASKED, "to": MASKED}}},
                )
        return response


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["person", "unit", "role", "position", "valid_from", "valid_to"]
    list_filter = ["role", "unit__agency"]
