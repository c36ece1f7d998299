"""Reads of the applications domain; each takes the person who reads.

An application exists only for its applicant and for the officials of its handling unit: for
everyone else it is "not found", exactly like an id that was never used.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.utils import translation

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Membership, Person
from govdoc.accounts.selectors import memberships_current
from govdoc.applications.access import is_official_of_unit
from govdoc.applications.constants import (
    CLOSED_STATUSES,
    LANGUAGE_OF_SCRIPT,
    OPEN_STATUSES,
    PUBLIC_MESSAGES,
    EventKind,
)
from govdoc.applications.errors import (
    ApplicationNotFoundError,
    HandlerOutsideUnitError,
    InboxMessageNotFoundError,
)
from govdoc.applications.models import (
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    CompletionRequest,
    InboxMessage,
    Receipt,
    Service,
)
from govdoc.audit.services import record_access
from govdoc.core import clock
from govdoc.documents.storage import file_read

Viewer = AbstractBaseUser | AnonymousUser

# What an official sees of the applicant when opening an application: personal data.
PERSONAL_DATA_FIELDS = ("applicant.name", "applicant.national_id", "applicant.email")
ACCESS_PURPOSE = "handling the application"


def _uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def services_active() -> QuerySet[Service]:
    """The catalogue a citizen chooses from, with the handling agency and unit. One query."""
    return (
        Service.objects.filter(is_active=True)
        .select_related("agency", "unit")
        .order_by("agency__code", "name")
    )


def service_by_code(code: str) -> Service | None:
    return Service.objects.select_related("agency", "unit").filter(code=code).first()


def _with_overdue(qs: QuerySet[Application]) -> QuerySet[Application]:
    today = clock.today_local()
    return qs.annotate(
        is_overdue=Case(
            When(Q(due_date__lt=today) & Q(status__in=OPEN_STATUSES), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def applications_of_citizen(*, citizen: Person) -> QuerySet[Application]:
    """The citizen's own applications, newest first, with service and agency. One query."""
    return _with_overdue(
        Application.objects.filter(applicant=citizen).select_related("service", "agency", "unit")
    ).order_by("-submitted_at", "id")


def _visible(application: Application, viewer: Viewer) -> bool:
    if not isinstance(viewer, Person) or not viewer.is_active:
        return False
    return application.applicant_id == viewer.pk or is_official_of_unit(
        person=viewer, unit_id=application.unit_id
    )


def application_get(
    *, viewer: Viewer, application_id: uuid.UUID | str, purpose: str = ACCESS_PURPOSE
) -> Application:
    """One application for its applicant or an official of the handling unit; "not found" for
    everyone else. An official's opening is recorded as a personal-data access (``purpose``)."""
    pk = _uuid(application_id)
    application = (
        Application.objects.select_related("service", "agency", "unit", "applicant", "handler", "receipt")
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=ApplicationAttachment.objects.filter(superseded_at__isnull=True).select_related(
                    "file"
                ),
                to_attr="current_attachments",
            )
        )
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if application is None or not _visible(application, viewer):
        raise ApplicationNotFoundError(
            translation.gettext("no such application"), application_id=str(application_id)
        )
    if application.applicant_id != viewer.pk:
        fields = [*PERSONAL_DATA_FIELDS, *(f"data.{name}" for name in sorted(application.data))]
        record_access(actor=viewer, target=application, purpose=purpose, fields=fields)
    return application


def timeline(*, application: Application, viewer: Viewer) -> QuerySet[ApplicationEvent]:
    """What the applicant sees happen to the application, in the order it happened.

    Ordered by the event's serial id: events of one application are written under its row lock,
    so their ids follow the real order even if two servers' clocks disagree."""
    if not _visible(application, viewer):
        raise ApplicationNotFoundError(
            translation.gettext("no such application"), application_id=str(application.pk)
        )
    return ApplicationEvent.objects.filter(application=application).order_by("id")


def event_text(event: ApplicationEvent, *, application: Application) -> str:
    """A timeline entry in the language active now. The entry was written in the applicant's
    script; its values (receipt number, date, the handler's words) are read back from it and put
    into the text of the reader's language. An entry that does not match its text is shown as
    written."""
    try:
        kind = EventKind(event.kind)
    except ValueError:
        return event.message
    with translation.override(LANGUAGE_OF_SCRIPT.get(application.script, "sr-latn")):
        written = str(PUBLIC_MESSAGES[kind])
    pattern = "".join(
        f"(?P<{part[1:-1]}>.*?)" if re.fullmatch(r"\{\w+\}", part) else re.escape(part)
        for part in re.split(r"(\{\w+\})", written)
        if part
    )
    found = re.fullmatch(pattern, event.message, re.DOTALL) or re.fullmatch(
        pattern, event.message + " ", re.DOTALL
    )
    if found is None:
        return event.message
    return str(PUBLIC_MESSAGES[kind]).format(**found.groupdict()).strip()


def completion_request_open(*, application: Application) -> CompletionRequest | None:
    return CompletionRequest.objects.filter(application=application, answered_at__isnull=True).first()


def unit_inbox(*, official: Person) -> QuerySet[Application]:
    """New and in-progress applications of the official's units, earliest due first, with an
    ``is_overdue`` flag. One query."""
    unit_ids = memberships_current(person=official).values("unit_id")
    return _with_overdue(
        Application.objects.filter(unit_id__in=unit_ids, status__in=OPEN_STATUSES).select_related(
            "service", "agency", "unit", "applicant", "handler"
        )
    ).order_by("due_date", "submitted_at", "id")


CASE_FILTERS = ("open", "closed", "all")


def unit_cases(
    *, official: Person, text: str = "", state: str = "all", service_code: str = ""
) -> QuerySet[Application]:
    """Every case of the official's units, open and closed, newest first: what the unit inbox
    shows plus what was issued, rejected or withdrawn. ``text`` matches the receipt number, the
    applicant's name or the service's name; ``state`` is open, closed or all. One query."""
    unit_ids = memberships_current(person=official).values("unit_id")
    cases = Application.objects.filter(unit_id__in=unit_ids)
    if state == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif state == "closed":
        cases = cases.filter(status__in=CLOSED_STATUSES)
    if service_code:
        cases = cases.filter(service__code=service_code)
    for word in text.split()[:5]:
        cases = cases.filter(
            Q(receipt_number__icontains=word)
            | Q(applicant__first_name__icontains=word)
            | Q(applicant__last_name__icontains=word)
            | Q(service__name__icontains=word)
        )
    return _with_overdue(cases.select_related("service", "agency", "unit", "applicant", "handler")).order_by(
        "-submitted_at", "id"
    )


def overdue(*, agency: Agency) -> QuerySet[Application]:
    """Open applications of ``agency`` past their due date, most overdue first. One query."""
    return (
        Application.objects.filter(agency=agency, status__in=OPEN_STATUSES, due_date__lt=clock.today_local())
        .select_related("service", "unit", "handler")
        .order_by("due_date", "submitted_at", "id")
    )


def inbox_of(*, citizen: Person) -> QuerySet[InboxMessage]:
    """The citizen's e-inbox, newest first. One query."""
    return (
        InboxMessage.objects.filter(recipient=citizen)
        .select_related("application")
        .order_by("-created_at", "-id")
    )


def inbox_message_get(*, viewer: Viewer, message_id: uuid.UUID | str) -> InboxMessage:
    pk = _uuid(message_id)
    message = InboxMessage.objects.filter(pk=pk).first() if pk else None
    if message is None or not isinstance(viewer, Person) or message.recipient_id != viewer.pk:
        raise InboxMessageNotFoundError(translation.gettext("no such message"), message_id=str(message_id))
    return message


def inbox_unread_count(*, citizen: Person) -> int:
    return InboxMessage.objects.filter(recipient=citizen, read_at__isnull=True).count()


HANDLER_ROLES = (Role.HANDLER, Role.HEAD_OF_UNIT)


def handlers_of(*, application: Application) -> QuerySet[Person]:
    """Who may be given the application: today's handlers and heads of the handling unit."""
    today = clock.today_local()
    people = (
        Membership.objects.filter(unit_id=application.unit_id, role__in=HANDLER_ROLES, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .values("person_id")
    )
    return Person.objects.filter(pk__in=people, is_active=True).order_by(
        "last_name", "first_name", "username"
    )


def handler_get(*, application: Application, person_id: uuid.UUID | str) -> Person:
    """The person named to handle ``application``, if they may; otherwise an input error on the
    ``handler`` field (whether the id exists at all is not told)."""
    pk = _uuid(person_id)
    person = handlers_of(application=application).filter(pk=pk).first() if pk else None
    if person is None:
        said = translation.gettext("choose a handler of the handling unit")
        raise HandlerOutsideUnitError(said, application_id=str(application.pk), errors={"handler": said})
    return person


def people_named(*, ids: list[str]) -> QuerySet[Person]:
    """People by id (ids that are not UUIDs are ignored), e.g. to show a resolved approval line."""
    valid = [pk for pk in (_uuid(i) for i in ids) if pk is not None]
    return Person.objects.filter(pk__in=valid)


def receipt_content(*, viewer: Viewer, application_id: uuid.UUID | str) -> tuple[Receipt, bytes]:
    """The receipt of an application, for whoever may see the application (integrity-checked)."""
    application = application_get(viewer=viewer, application_id=application_id, purpose="read the receipt")
    receipt = Receipt.objects.select_related("file").get(application=application)
    return receipt, file_read(receipt.file)


def attachment_content(
    *, viewer: Viewer, application_id: uuid.UUID | str, attachment_id: uuid.UUID | str
) -> tuple[ApplicationAttachment, bytes]:
    """One attachment of an application (integrity-checked). An official's opening of the
    application is recorded as personal-data access by ``application_get``."""
    application = application_get(viewer=viewer, application_id=application_id, purpose="open an attachment")
    pk = _uuid(attachment_id)
    attachment = (
        ApplicationAttachment.objects.select_related("file").filter(application=application, pk=pk).first()
        if pk
        else None
    )
    if attachment is None:
        raise ApplicationNotFoundError(
            translation.gettext("no such attachment"), attachment_id=str(attachment_id)
        )
    return attachment, file_read(attachment.file)


PREFILL_SOURCES = ("full_name", "national_id", "email")


def profile_prefill(*, form_schema: dict[str, Any], person: Person) -> dict[str, str]:
    """The form fields a service fills from the applicant's profile (a property marked
    ``"x-govdoc-prefill": "full_name" | "national_id" | "email"``), for a form being opened."""
    profile = {
        "full_name": person.get_full_name(),
        "national_id": person.national_id or "",
        "email": person.email or "",
    }
    properties = form_schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    return {
        name: profile[source]
        for name, spec in properties.items()
        if isinstance(spec, dict)
        and (source := spec.get("x-govdoc-prefill")) in PREFILL_SOURCES
        and profile[source]
    }
