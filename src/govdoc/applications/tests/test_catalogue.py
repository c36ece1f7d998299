"""The service catalogue: defined by the agency's administrator, checked when saved, audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.support import log_in

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.applications import selectors, services
from govdoc.applications.demo_catalogue import ensure_demo_services
from govdoc.applications.errors import DuplicateServiceCodeError, InvalidServiceError, NotAdministratorError
from govdoc.applications.models import Service
from govdoc.applications.tests.conftest import ID_CARD_RULE, make_service, submit
from govdoc.audit.models import AuditEvent
from govdoc.core.transliteration import to_cyrillic
from govdoc.documents.tests.samples import PDF


def test_the_agency_administrator_creates_a_service_and_it_is_audited(
    unit: Unit, administrator: Person
) -> None:
    service = make_service(unit=unit, actor=administrator)

    assert service.name_in("sr-cyrl") == "Уверење о пребивалишту"
    assert service.name_in("en") == "Certificate of residence"
    event = AuditEvent.objects.get(event="applications.service_created")
    assert (event.actor_id, event.target_id, event.data["code"]) == (
        str(administrator.pk),
        str(service.pk),
        "uverenje-o-prebivalistu",
    )


def test_only_an_administrator_of_that_agency_defines_its_services(unit: Unit, handler: Person) -> None:
    foreign_admin = PersonFactory(username="foreign-admin")
    grant(foreign_admin, UnitFactory(agency=AgencyFactory(code="rgz")), Role.ADMINISTRATOR)
    for outsider in (handler, foreign_admin):
        with pytest.raises(NotAdministratorError):
            make_service(unit=unit, actor=outsider)
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"form_schema": {"type": "object", "properties": {"jmbg": {"type": "strin"}}}}, "form_schema"),
        ({"form_schema": {"type": "array"}}, "form_schema"),
        ({"form_schema": {"type": "object", "properties": {"x": {"minLength": -1}}}}, "form_schema"),
        ({"output_template": "#if data.x [unclosed"}, "output_template"),
        ({"output_template": '#read("/etc/passwd")\n#import "@preview/x:0.1.0"'}, "output_template"),
        (
            {"attachment_rules": [{**ID_CARD_RULE, "allowed": ["application/x-msdownload"]}]},
            "attachment_rules.0.allowed",
        ),
        ({"attachment_rules": [{**ID_CARD_RULE, "max_bytes": 0}]}, "attachment_rules.0.max_bytes"),
        ({"attachment_rules": [ID_CARD_RULE, ID_CARD_RULE]}, "attachment_rules.1.key"),
        (
            {"default_line": [{"kind": "signature", "role": "head_of_unit", "position": 1}]},
            "default_line.0.kind",
        ),
        ({"default_line": [{"kind": "approval", "role": "citizen", "position": 1}]}, "default_line.0.role"),
        ({"default_line": [{"kind": "review", "role": "head_of_unit", "position": 1}]}, "default_line"),
        ({"deadline_working_days": 0}, "deadline_working_days"),
        ({"approval_policy": {"steps": []}}, "approval_policy.steps"),
        (
            {
                "approval_policy": {
                    "steps": [{"kind": "approval", "holders": [{"role": "boss", "scope": "unit"}]}]
                }
            },
            "approval_policy.steps.0.holders.0.role",
        ),
        ({"direct_issuance": True, "direct_issuance_legal_basis": " "}, "direct_issuance_legal_basis"),
        (  # the default line gives the final approval to a role the policy does not allow
            {"default_line": [{"kind": "approval", "role": "registry_clerk", "position": 1}]},
            "default_line",
        ),
        ({"name": "  "}, "name"),
        ({"code": "Uverenje O"}, "code"),
        ({"classification_code": "02 021"}, "classification_code"),
        ({"handling_procedure": "application handling"}, "handling_procedure"),
    ],
)
def test_a_bad_definition_is_refused_field_by_field(
    unit: Unit, administrator: Person, override: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidServiceError) as caught:
        make_service(unit=unit, actor=administrator, **override)
    assert field in caught.value.field_errors
    assert not Service.objects.exists()


def test_the_handling_unit_must_belong_to_the_agency(unit: Unit, administrator: Person) -> None:
    elsewhere = UnitFactory(agency=AgencyFactory(code="rgz"))
    with pytest.raises(InvalidServiceError) as caught:
        make_service(unit=elsewhere, actor=administrator, agency=unit.agency)
    assert caught.value.field_errors == {"unit": "the handling unit belongs to another agency"}


def test_service_codes_are_unique(unit: Unit, administrator: Person) -> None:
    make_service(unit=unit, actor=administrator)
    with pytest.raises(DuplicateServiceCodeError):
        make_service(unit=unit, actor=administrator)


def test_an_update_is_checked_and_audited_and_applies_to_new_applications(
    service: Service, administrator: Person, citizen: Person
) -> None:
    with pytest.raises(InvalidServiceError):
        services.service_update(service=service, changes={"form_schema": {"type": 5}}, actor=administrator)

    services.service_update(
        service=service,
        changes={"deadline_working_days": 3, "name": "Uverenje o prebivalištu"},
        actor=administrator,
    )

    service.refresh_from_db()
    assert service.deadline_working_days == 3
    event = AuditEvent.objects.get(event="applications.service_updated")
    assert event.data == {"fields": ["deadline_working_days"]}


def test_demo_catalogue_creates_three_services_that_take_applications(db: None, citizen: Person) -> None:
    for code, name in (
        ("mup", "Ministarstvo unutrašnjih poslova"),
        ("beograd", "Gradska uprava"),
        ("pravda", "Ministarstvo pravde"),
    ):
        UnitFactory(agency=AgencyFactory(code=code, name=name), code="prva")

    created = ensure_demo_services(actor="demo-setup")
    again = ensure_demo_services(actor="demo-setup")

    assert sorted(s.code for s in created) == sorted(s.code for s in again)
    assert [(s.agency.code, s.name) for s in selectors.services_active()] == [
        ("beograd", "Izvod iz matične knjige rođenih"),
        ("mup", "Uverenje o prebivalištu"),
        ("pravda", "Uverenje da se ne vodi krivični postupak"),
    ]
    assert Service.objects.get(code="uverenje-o-prebivalistu").name_cyrl == "Уверење о пребивалишту"
    residence = Service.objects.get(code="uverenje-o-prebivalistu")
    application = submit(
        residence,
        citizen,
        data={
            "ime_prezime": "Ana Petrović",
            "jmbg": "0101990710006",
            "adresa": "Njegoševa 7, Beograd",
            "opstina": "Vračar",
            "svrha": "radi zaposlenja",
        },
        files=[services.UploadedFileData(rule_key="licna_karta", filename="lk.pdf", content=PDF)],
    )
    assert application.receipt_number.startswith("P-MUP-")
    assert application.service.deadline_working_days == 8


def test_service_texts_are_transliterated_letter_for_letter() -> None:
    assert to_cyrillic("Ljubica Đorđević, Njegoševa, džep") == "Љубица Ђорђевић, Његошева, џеп"


def test_the_admin_lists_services_and_shows_applications_read_only(
    service: Service, application: Any, db: None
) -> None:
    superuser = PersonFactory(username="root", is_staff=True, is_superuser=True)
    client = log_in(Client(), superuser)
    assert client.get("/admin/applications/service/").status_code == 200
    page = client.get(f"/admin/applications/application/{application.pk}/change/")
    assert page.status_code == 200
    assert application.receipt_number in page.content.decode()
    assert client.get("/admin/applications/application/add/").status_code == 403


def _admin_post(service: Service, **changes: Any) -> dict[str, Any]:
    import json

    data: dict[str, Any] = {
        "code": service.code,
        "name": service.name,
        "name_cyrl": service.name_cyrl,
        "name_en": service.name_en,
        "agency": str(service.agency_id),
        "unit": str(service.unit_id),
        "form_schema": json.dumps(service.form_schema),
        "attachment_rules": json.dumps(service.attachment_rules),
        "deadline_working_days": service.deadline_working_days,
        "output_title": service.output_title,
        "output_title_cyrl": service.output_title_cyrl,
        "output_title_en": service.output_title_en,
        "output_template": service.output_template,
        "output_doc_type": service.output_doc_type,
        "classification_code": service.classification_code,
        "validity_days": service.validity_days or "",
        "default_line": json.dumps(service.default_line),
        "approval_policy": json.dumps(service.approval_policy),
        "direct_issuance": "on" if service.direct_issuance else "",
        "direct_issuance_legal_basis": service.direct_issuance_legal_basis,
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_an_admin_edit_is_checked_like_the_service_and_audited(service: Service) -> None:
    superuser = PersonFactory(username="root", is_staff=True, is_superuser=True)
    client = log_in(Client(), superuser)
    url = f"/admin/applications/service/{service.pk}/change/"

    refused = client.post(url, _admin_post(service, form_schema='{"type": "object", "properties": 3}'))
    assert refused.status_code == 200
    assert "form_schema:" in refused.content.decode()
    service.refresh_from_db()
    assert service.form_schema["properties"] != 3

    saved = client.post(url, _admin_post(service, deadline_working_days=5))
    assert saved.status_code == 302
    service.refresh_from_db()
    assert service.deadline_working_days == 5
    event = AuditEvent.objects.get(event="admin.object_changed")
    assert (event.actor_id, event.target_id) == (str(superuser.pk), str(service.pk))
    assert event.data["changes"]["deadline_working_days"]["to"] == 5
    assert event.target_type == "applications.service"
