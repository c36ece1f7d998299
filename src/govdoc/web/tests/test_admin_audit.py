"""What a data-protection authority asks of the administrators' pages: every change made there,
including through inline rows and bulk actions, is an audit event with who, what (old and new
values, personal and secret values masked), when and from where."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from tests.support import log_in

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Membership, Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory
from govdoc.audit.admin import MASKED
from govdoc.audit.models import AuditEvent
from govdoc.audit.verification import verify_database

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) GovDocTest/1.0"


class _FormFields(HTMLParser):
    """The fields a browser would submit from the page's main form (the admin's change form)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            default = "on" if a.get("type") in ("checkbox", "radio") else ""
            self.values.setdefault(name, []).append(a.get("value", default))
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea][0] += data


def _form(client: Client, url: str) -> dict[str, list[str]]:
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormFields()
    parser.feed(page.content.decode())
    values = {k: v for k, v in parser.values.items() if "__prefix__" not in k}
    # dates as ISO (what every locale's input format accepts), not as the page displays them
    values.update({"date_joined_0": ["2026-01-02"], "date_joined_1": ["10:00:00"]})
    values.update({"last_login_0": [""], "last_login_1": [""]})
    return values


@pytest.fixture
def admin_client() -> tuple[Client, Person]:
    root = PersonFactory(username="root", is_staff=True, is_superuser=True)
    client = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.7")
    log_in(client, root)
    return client, root


def test_a_role_granted_through_the_inline_row_is_recorded_with_the_role_and_the_unit(
    admin_client: tuple[Client, Person],
) -> None:
    client, root = admin_client
    unit = UnitFactory(code="uprava", agency=AgencyFactory(code="mup"))
    person = PersonFactory(username="milan", first_name="Milan")
    url = f"/admin/accounts/person/{person.pk}/change/"
    data = _form(client, url)
    data.update(
        {
            "memberships-TOTAL_FORMS": ["1"],
            "memberships-0-unit": [str(unit.pk)],
            "memberships-0-role": [Role.HANDLER.value],
            "memberships-0-position": ["referent"],
            "memberships-0-valid_from": ["2026-01-01"],
            "memberships-0-person": [str(person.pk)],
        }
    )
    answer = client.post(url, {k: v if len(v) != 1 else v[0] for k, v in data.items()})
    assert answer.status_code == 302, _errors(answer.content.decode())
    membership = Membership.objects.get(person=person)

    event = AuditEvent.objects.get(event="admin.object_created", target_type="accounts.membership")
    assert event.target_id == str(membership.pk)
    assert event.actor_id == str(root.pk)
    assert event.data["changes"]["role"]["to"] == Role.HANDLER.value
    assert event.data["changes"]["unit"]["to"] == str(unit.pk)
    assert event.data["part_of"]["type"] == "accounts.person"
    assert event.data["part_of"]["id"] == str(person.pk)
    assert (event.client_address, event.user_agent) == ("203.0.113.7", BROWSER)
    assert verify_database(verify_signature=None).ok


def test_a_changed_name_is_recorded_with_old_and_new_value_and_a_national_id_masked(
    admin_client: tuple[Client, Person],
) -> None:
    client, _root = admin_client
    person = PersonFactory(username="ana", first_name="Ana", national_id="0101990710006")
    url = f"/admin/accounts/person/{person.pk}/change/"
    data = _form(client, url)
    data.update({"first_name": ["Anica"], "national_id": ["1212985710008"]})
    answer = client.post(url, {k: v if len(v) != 1 else v[0] for k, v in data.items()})
    assert answer.status_code == 302, _errors(answer.content.decode())

    event = AuditEvent.objects.get(event="admin.object_changed", target_type="accounts.person")
    assert event.data["changes"]["first_name"] == {"from": "Ana", "to": "Anica"}
    assert event.data["changes"]["national_id"] == {"from": MASKED, "to": MASKED}
    assert "0101990710006" not in str(event.data) and "1212985710008" not in str(event.data)


def test_a_password_set_by_an_administrator_is_recorded_without_the_password(
    admin_client: tuple[Client, Person],
) -> None:
    client, root = admin_client
    person = PersonFactory(username="vesna")
    answer = client.post(
        f"/admin/accounts/person/{person.pk}/password/",
        {"password1": "Nova-lozinka-2026!", "password2": "Nova-lozinka-2026!", "usable_password": "true"},
    )
    assert answer.status_code == 302
    event = AuditEvent.objects.get(event="admin.password_set")
    assert (event.actor_id, event.target_id) == (str(root.pk), str(person.pk))
    assert "Nova-lozinka" not in str(event.data)


def test_a_bulk_delete_records_every_deleted_object(admin_client: tuple[Client, Person]) -> None:
    client, _root = admin_client
    agency = AgencyFactory(code="mup")
    units = [UnitFactory(agency=agency, code=f"u{i}") for i in range(3)]
    answer = client.post(
        "/admin/accounts/unit/",
        {"action": "delete_selected", "_selected_action": [str(u.pk) for u in units], "post": "yes"},
    )
    assert answer.status_code == 302
    assert not Unit.objects.filter(pk__in=[u.pk for u in units]).exists()
    deleted = AuditEvent.objects.filter(event="admin.object_deleted", target_type="accounts.unit")
    assert sorted(e.target_id for e in deleted) == sorted(str(u.pk) for u in units)
    assert all(e.data["bulk"] is True and e.client_address == "203.0.113.7" for e in deleted)
    assert Agency.objects.filter(pk=agency.pk).exists()


def _errors(page: str) -> str:
    """The admin's error messages on a page it answered with 200 instead of saving."""
    import re

    return " | ".join(re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)) or page[:500]
