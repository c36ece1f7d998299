"""Reads about agencies and people."""

from __future__ import annotations

import hashlib
import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import translation

from govdoc.accounts.constants import AccountKind, Role
from govdoc.accounts.errors import AgencyNotFoundError, ApiTokenNotFoundError
from govdoc.accounts.models import Agency, ApiToken, Membership, Person, Unit
from govdoc.core import clock


def agency_by_code(code: str) -> Agency:
    agency = Agency.objects.filter(code=code, is_active=True).first()
    if agency is None:
        codes = Agency.objects.filter(is_active=True).values_list("code", flat=True)
        known = ", ".join(codes) or translation.gettext("none")
        raise AgencyNotFoundError(
            translation.gettext("unknown agency '%(code)s' (known: %(known)s)")
            % {"code": code, "known": known},
            agency=code,
        )
    return agency


def agencies_all() -> QuerySet[Agency]:
    return Agency.objects.filter(is_active=True)


def memberships_current(*, person: Person) -> QuerySet[Membership]:
    today = clock.today_local()
    return (
        Membership.objects.filter(person=person, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("unit", "unit__agency")
    )


def memberships_current_in_agency(
    *, agency_id: uuid.UUID | str, person_ids: list[str] | None = None
) -> QuerySet[Membership]:
    """Today's memberships of active people in units of the agency (optionally of ``person_ids``)."""
    today = clock.today_local()
    qs = Membership.objects.filter(unit__agency_id=agency_id, valid_from__lte=today, person__is_active=True)
    if person_ids is not None:
        qs = qs.filter(person_id__in=person_ids)
    return qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today)).select_related("person", "unit")


def agency_ids_of(*, person: Person) -> set[object]:
    return set(memberships_current(person=person).values_list("unit__agency_id", flat=True))


def has_role(*, person: Person, role: Role, agency: Agency | None = None) -> bool:
    if role == Role.CITIZEN:
        return person.is_citizen
    qs = memberships_current(person=person).filter(role=role)
    if agency is not None:
        qs = qs.filter(unit__agency=agency)
    return qs.exists()


def units_of_agency(*, agency: Agency) -> QuerySet[Unit]:
    return Unit.objects.filter(agency=agency).select_related("parent")


def api_token_find(clear: str) -> ApiToken | None:
    """The token a bearer secret names, in whatever state it is (None: no such token)."""
    digest = hashlib.sha256(clear.encode()).hexdigest()
    return ApiToken.objects.select_related("person").filter(token_sha256=digest).first()


def api_token_state(token: ApiToken) -> str:
    """'valid', 'revoked', 'expired' or 'account-disabled' now."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= clock.now():
        return "expired"
    if not token.person.is_active:
        return "account-disabled"
    return "valid"


def api_tokens_all() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("person").order_by("-created_at", "id")


def api_token_get(token_id: uuid.UUID | str) -> ApiToken:
    try:
        token = ApiToken.objects.select_related("person").filter(pk=token_id).first()
    except (ValueError, ValidationError):
        token = None
    if token is None:
        raise ApiTokenNotFoundError(f"no API token {token_id}", token_id=str(token_id))
    return token


def person_by_username(username: str) -> Person | None:
    return Person.objects.filter(username=username).first()


def people_by_ids(ids: list[str]) -> QuerySet[Person]:
    return Person.objects.filter(pk__in=ids)


def officials_of_agency(*, agency_id: uuid.UUID | str, role: str = "") -> QuerySet[Person]:
    """People who hold a current membership in a unit of the agency (e.g. to choose approvers);
    with ``role``, a current membership with that role."""
    today = clock.today_local()
    with_role = {"memberships__role": role} if role else {}
    return (
        Person.objects.filter(
            **with_role,
            memberships__unit__agency_id=agency_id,
            memberships__valid_from__lte=today,
            is_active=True,
            account_kind=AccountKind.PERSON,
        )
        .filter(Q(memberships__valid_to__isnull=True) | Q(memberships__valid_to__gte=today))
        .distinct()
        .order_by("last_name", "first_name")
    )
