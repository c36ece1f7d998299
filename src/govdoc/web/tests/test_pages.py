"""Pages of the citizen portal and the officials' workspace, through Django's test client."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from tests.support import log_in

from govdoc.accounts import services as accounts
from govdoc.accounts.models import Person
from govdoc.applications.models import Application
from govdoc.audit.models import AuditEvent
from govdoc.signatures.tests.conftest import make_sample_pdf

FORM = {
    "ime_prezime": "Ana Petrović",
    "jmbg": "0101990710006",
    "adresa": "Bulevar kralja Aleksandra 73",
    "opstina": "Zvezdara",
    "svrha": "radi zaposlenja",
}


def _client(username: str) -> Client:
    return log_in(Client(), Person.objects.get(username=username))


@pytest.fixture
def applied(demo: None) -> Application:
    citizen = _client("citizen")
    response = citizen.post(
        "/services/uverenje-o-prebivalistu/apply/",
        {**FORM, "file_licna_karta": SimpleUploadedFile("lk.pdf", make_sample_pdf("LK"), "application/pdf")},
    )
    assert response.status_code == 302
    return Application.objects.get()


def test_a_png_named_pdf_is_refused_beside_its_field_and_nothing_is_written(demo: None) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 200
    response = _client("citizen").post(
        "/services/uverenje-o-prebivalistu/apply/",
        {**FORM, "file_licna_karta": SimpleUploadedFile("lk.pdf", png, "application/pdf")},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="err_file_licna_karta"' in page
    assert not Application.objects.exists()


def test_citizen_reads_the_receipt_and_nobody_else_does(applied: Application) -> None:
    receipt = _client("citizen").get(f"/my/applications/{applied.pk}/receipt")
    assert receipt.status_code == 200
    assert applied.receipt_number in receipt.content.decode()
    assert "default-src 'none'" in receipt["Content-Security-Policy"]
    accounts.person_create(username="other", password="drugi-gradjanin-1", is_citizen=True, actor="test")
    assert _client("other").get(f"/my/applications/{applied.pk}/receipt").status_code == 404


def test_official_opens_an_attachment_and_the_access_is_audited(applied: Application) -> None:
    attachment = applied.attachments.get()
    handler = _client("handler")
    response = handler.get(f"/work/applications/{applied.pk}/attachments/{attachment.pk}")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    access = AuditEvent.objects.filter(event="audit.personal_data_viewed", target_id=str(applied.pk))
    assert access.filter(actor_label="handler").exists()
    # an official of another agency learns nothing
    other = _client("handler-bg").get(f"/work/applications/{applied.pk}/attachments/{attachment.pk}")
    assert other.status_code == 404


def test_citizens_are_kept_out_of_the_workspace(applied: Application) -> None:
    response = _client("citizen").get(f"/work/applications/{applied.pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/my/applications/"


def test_anonymous_visitors_are_sent_to_log_in(db: None) -> None:
    response = Client().get("/my/applications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def _assigned(applied: Application) -> Application:
    head = _client("head-unit")
    handler = Person.objects.get(username="handler")
    head.post(f"/work/applications/{applied.pk}/", {"action": "assign", "handler": str(handler.pk)})
    applied.refresh_from_db()
    assert applied.status == "assigned"
    return applied


def test_handler_changes_the_line_before_sending_then_withdraws_it(applied: Application) -> None:
    from govdoc.approvals.models import ApprovalLine

    app = _assigned(applied)
    people = {
        u: str(Person.objects.get(username=u).pk)
        for u in ("head-unit", "mup-admin", "head-agency", "registry")
    }
    handler = _client("handler")
    page = handler.get(f"/work/applications/{app.pk}/").content.decode()
    assert 'name="step_assignee"' in page
    policy = page.split('id="approval-policy"')[1].split("</div>")[0]
    assert "Pregled: šef jedinice u jedinici koja rešava predmet" in policy  # the page's language
    assert "Saglasnost: službenik pisarnice u organu" in policy
    # The residence certificate's policy wants the registry clerk's consent: an administrator in
    # its place is refused, and the page says why beside the line.
    refused = handler.post(
        f"/work/applications/{app.pk}/",
        {
            "action": "send",
            "step_kind": ["review", "consent", "approval"],
            "step_position": ["1", "2", "3"],
            "step_assignee": [people["head-unit"], people["mup-admin"], people["head-agency"]],
        },
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    beside = html.split('id="steps-error"')[1].split("</p>")[0]
    assert (
        "korak „saglasnost” na poziciji 2 dodeljen je korisniku Petar Perić (administrator), "
        "kome ne može biti dodeljen" in beside
    )
    app.refresh_from_db()
    assert app.status == "assigned"

    # The handler may add a consent of their own choosing beside the required ones.
    sent = handler.post(
        f"/work/applications/{app.pk}/",
        {
            "action": "send",
            "step_kind": ["review", "consent", "consent", "approval"],
            "step_position": ["1", "2", "2", "3"],
            "step_assignee": [
                people["head-unit"],
                people["registry"],
                people["mup-admin"],
                people["head-agency"],
            ],
        },
    )
    assert sent.status_code == 302
    app.refresh_from_db()
    assert app.status == "in_approval"
    line = ApprovalLine.objects.get(pk=app.approval_line_id)
    assert [s.assignee.username for s in line.steps.order_by("position", "assignee__username")] == [
        "head-unit",
        "mup-admin",
        "registry",
        "head-agency",
    ]

    withdrawn = handler.post(
        f"/work/applications/{app.pk}/", {"action": "withdraw_line", "reason": "ispravka"}
    )
    assert withdrawn.status_code == 302
    line.refresh_from_db()
    assert line.status == "withdrawn"
    call_command("db_worker", batch=True, verbosity=0)  # the worker applies the outcome
    app.refresh_from_db()
    assert app.status == "assigned"


def test_a_nul_character_in_a_form_is_refused_before_anything_is_stored(demo: None) -> None:
    response = _client("citizen").post(
        "/services/uverenje-o-prebivalistu/apply/", {**FORM, "ime_prezime": "Ana\x00Petrović"}
    )
    assert response.status_code == 400
    assert not Application.objects.exists()


def test_when_the_applicant_withdraws_during_approval_the_page_shows_why_the_line_stopped(
    applied: Application,
) -> None:
    from govdoc.applications.services import applications as app_services
    from govdoc.applications.services import decisions
    from govdoc.approvals.selectors import queue_for

    app = _assigned(applied)
    decisions.decision_send_to_approval(application=app, actor=Person.objects.get(username="handler"))
    head_unit = Person.objects.get(username="head-unit")
    [step] = queue_for(person=head_unit)
    assert f'id="step-{step.pk}"' in _client("head-unit").get("/work/").content.decode()

    app_services.application_withdraw(application=app, actor=Person.objects.get(username="citizen"))

    assert f'id="step-{step.pk}"' not in _client("head-unit").get("/work/").content.decode()
    page = _client("handler").get(f"/work/applications/{app.pk}/").content.decode()
    steps = page.split('id="line-steps"')[1]
    assert "podnosilac je povukao zahtev" in steps
    assert steps.count("(podnosilac je povukao zahtev)") == 3


def test_the_citizen_withdraws_from_the_page_during_approval_and_the_approvers_queue_empties(
    applied: Application,
) -> None:
    app = _assigned(applied)
    _client("handler").post(f"/work/applications/{app.pk}/", {"action": "send"})
    app.refresh_from_db()
    assert app.status == "in_approval"
    head = _client("head-unit")

    def my_queue() -> str:
        page = head.get("/work/").content.decode()
        return page.split('id="h-queue"')[1].split('id="h-post"')[0]

    assert 'id="step-' in my_queue()

    citizen = _client("citizen")
    page = citizen.get(f"/my/applications/{app.pk}/").content.decode()
    assert "Povuci zahtev" in page
    assert citizen.post(f"/my/applications/{app.pk}/", {"action": "withdraw"}).status_code == 302

    app.refresh_from_db()
    assert app.status == "withdrawn"
    assert 'id="step-' not in my_queue()  # the line stopped: nothing waits for the head of unit


def test_the_citizen_sees_who_in_the_administration_opened_their_application(applied: Application) -> None:
    citizen = _client("citizen")
    before = citizen.get("/my/data-access/?lang=en")
    assert before.status_code == 200
    assert "Nobody in the administration has opened your data." in before.content.decode()

    head = Person.objects.get(username="head-unit")
    assert _client("head-unit").get(f"/work/applications/{applied.pk}/").status_code == 200
    page = citizen.get("/my/data-access/").content.decode()
    assert head.get_full_name() in page
    assert f"application {applied.receipt_number}" in page
    assert "handling the application" in page

    listed = citizen.get("/api/v1/me/data-access").json()
    assert [(r["reader"], r["subject"]) for r in listed] == [
        (head.get_full_name(), f"application {applied.receipt_number}")
    ]
    assert "applicant.national_id" in listed[0]["fields"]
    # an official has no such page: it is the data subject's
    assert _client("head-unit").get("/my/data-access/").status_code in (302, 403, 404)


def test_closed_cases_are_found_with_a_search_and_filters(applied: Application) -> None:
    from govdoc.applications.constants import ApplicationStatus

    Application.objects.filter(pk=applied.pk).update(status=ApplicationStatus.WITHDRAWN)
    head = _client("head-unit")
    inbox = head.get("/work/").content.decode()
    assert applied.receipt_number not in inbox  # a closed case leaves the inbox ...
    assert "/work/cases/" in inbox
    closed = head.get("/work/cases/", {"state": "closed"}).content.decode()
    assert applied.receipt_number in closed  # ... and is found among the closed ones
    assert applied.receipt_number not in head.get("/work/cases/", {"state": "open"}).content.decode()
    last_name = applied.applicant.last_name
    assert applied.receipt_number in head.get("/work/cases/", {"q": last_name}).content.decode()
    assert (
        applied.receipt_number
        in head.get("/work/cases/", {"q": applied.receipt_number[-4:]}).content.decode()
    )
    assert applied.receipt_number not in head.get("/work/cases/", {"q": "nema-takvog"}).content.decode()
    # another agency's official finds nothing of it
    assert applied.receipt_number not in _client("handler-bg").get("/work/cases/").content.decode()


def test_the_apply_form_starts_with_name_and_jmbg_from_the_profile(demo: None) -> None:
    citizen = Person.objects.get(username="citizen")
    Person.objects.filter(pk=citizen.pk).update(national_id="0101990710006")
    page = _client("citizen").get("/services/uverenje-o-prebivalistu/apply/").content.decode()
    assert f'value="{citizen.get_full_name()}"' in page
    assert 'value="0101990710006"' in page


def test_a_head_of_unit_handling_a_case_sees_the_default_line_with_a_step_to_fill(
    applied: Application,
) -> None:
    """The head of unit who handles a case cannot review their own draft: the step they would
    hold is proposed empty for them to choose, with human labels, never "no default line"."""
    head = _client("head-unit")
    me = Person.objects.get(username="head-unit")
    head.post(f"/work/applications/{applied.pk}/", {"action": "assign", "handler": str(me.pk)})
    page = head.get(f"/work/applications/{applied.pk}/").content.decode()
    line = page.split('id="line"')[1].split("</ol>")[0]
    assert "nema podrazumevane linije" not in line
    assert "Pregled — korak 1" in line
    assert "Konačno odobrenje" in line
    assert '<option value="" selected>— izaberite —</option>' in line


def test_the_timeline_and_a_refusal_are_in_the_language_of_the_page(applied: Application) -> None:
    """The timeline entry was written in the applicant's script (Latin); each page shows it in
    its own language, with the receipt number and the date carried over."""
    citizen = _client("citizen")
    url = f"/my/applications/{applied.pk}/"
    number = applied.receipt_number
    english = citizen.get(url, {"lang": "en"}).content.decode()
    assert f"Your application was received under number {number}. It is due by" in english
    cyrillic = citizen.get(url, {"lang": "sr-cyrl"}).content.decode()
    assert f"Захтев је примљен под бројем {number}. Рок за решавање је" in cyrillic
    latin = citizen.get(url, {"lang": "sr-latn"}).content.decode()
    assert f"Zahtev je primljen pod brojem {number}. Rok za rešavanje je" in latin

    assert citizen.post(url, {"action": "withdraw"}).status_code == 302
    again = citizen.post(f"{url}?lang=en", {"action": "withdraw"})
    assert again.status_code == 409
    assert "The application is “Withdrawn”: this can no longer be done." in again.content.decode()
