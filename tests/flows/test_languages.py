"""Every page in each of the three languages, and nothing on it in another language or script:
what a citizen who reads only Cyrillic, a Latin reader and an English reader each see.

Pages are listed per part of GovDoc; a page added to GovDoc is added here. Proper names the demo
people typed (in Latin) are allowed on every page (``NAMES``).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Agency, Person
from govdoc.applications.models import Application
from govdoc.applications.services import applications as app_services
from govdoc.applications.services import decisions
from govdoc.approvals import selectors as approvals
from govdoc.approvals import services as approval_services
from govdoc.cli import demo_data
from govdoc.issuance.services import document_issue
from govdoc.issuance.tests.conftest import CERTIFICATE_TEMPLATE
from govdoc.signatures.tests.conftest import make_sample_pdf
from tests.language_check import problems
from tests.support import PIN, log_in, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SCRIPTS = ("sr-latn", "sr-cyrl", "en")
NAMES = frozenset(
    {f"{p.first_name} {p.last_name}" for p in demo_data.PEOPLE}
    | {p.first_name for p in demo_data.PEOPLE}
    | {p.last_name for p in demo_data.PEOPLE}
    | {p.username for p in demo_data.PEOPLE}
)

# Each list is one part of GovDoc's pages (and one test below).
PUBLIC_AND_CITIZEN = [
    "/",
    "/services/",
    "/verify/",
    "/no/such/page/",
    "/services/uverenje-o-prebivalistu/apply/",
    "/services/izvod-iz-maticne-knjige-rodjenih/apply/",
    "/services/uverenje-da-se-ne-vodi-krivicni-postupak/apply/",
    "/my/applications/",
    "/my/applications/{application}/",
    "/inbox/",
    "/my/data-access/",
]
OFFICIALS = [
    "/work/",
    "/work/cases/",
    "/work/cases/?state=closed",
    "/work/applications/{application}/",
]
# e-Doc distribution, as a letter of the police goes to the City of Belgrade and is answered:
# (who looks, page) with {outgoing}, {delivery} and {answer} filled in.
DISTRIBUTION = [
    ("handler", "/work/outgoing/"),
    ("handler", "/work/outgoing/new/"),
    ("handler", "/work/outgoing/{outgoing}/"),
    ("registry-bg", "/work/incoming/"),
    ("registry-bg", "/work/incoming/{delivery}/"),
    ("handler-bg", "/work/incoming/"),
    ("handler-bg", "/work/incoming/{delivery}/"),
    ("handler-bg", "/work/outgoing/new/?reply_to={delivery}"),
    ("handler-bg", "/work/outgoing/{answer}/"),
    ("registry-bg", "/work/registry/"),
]
ACCOUNT_PUBLIC = ["/login/", "/signup/", "/password/reset/", "/signup/confirm/MQ/a-token/"]
ACCOUNT_CITIZEN = ["/account/password/", "/login/confirm/"]
ACCOUNT_OFFICIAL = ["/work/pin/", "/login/confirm/"]


@pytest.fixture
def application(demo: None) -> Application:
    citizen = log_in(Client(), Person.objects.get(username="citizen"))
    answer = citizen.post(
        "/services/uverenje-o-prebivalistu/apply/",
        {
            "ime_prezime": "Ana Petrović",
            "jmbg": "0101990710008",
            "adresa": "Bulevar kralja Aleksandra 73",
            "opstina": "Zvezdara",
            "svrha": "radi zaposlenja",
            "file_licna_karta": SimpleUploadedFile("lk.pdf", make_sample_pdf("LK"), "application/pdf"),
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:300]
    return Application.objects.get()


def _check(client: Client, paths: list[str], application: Application) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for script in SCRIPTS:
        for path in paths:
            url = path.format(application=application.pk)
            answer = client.get(url, {"lang": script})
            expected = 404 if url.startswith("/no/such/") else 200  # the styled 404 page is one of them
            assert answer.status_code == expected, f"{url}: {answer.status_code}"
            wrong = problems(answer.content.decode(), script, names=NAMES)
            if wrong:
                found[f"{script} {url}"] = wrong
    return found


def _as(username: str) -> Client:
    return log_in(Client(), Person.objects.get(username=username))


def test_public_and_citizens_pages_are_in_the_language_chosen(application: Application) -> None:
    found = _check(Client(), PUBLIC_AND_CITIZEN[:4], application)
    found |= _check(_as("citizen"), PUBLIC_AND_CITIZEN, application)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_verification_and_issued_document_pages_are_in_the_language_chosen(demo: None) -> None:
    """A document issued to the demo citizen: its verification page (anyone) and its page in
    the citizen's e-Inbox. The document's own words (title, holder) carry its ``lang``."""
    citizen = Person.objects.get(username="citizen")
    handler = Person.objects.get(username="handler")
    issued = document_issue(
        agency=Agency.objects.get(code="mup"),
        recipient=citizen,
        title="Uverenje o prebivalištu",
        template_html=CERTIFICATE_TEMPLATE,
        context={"notes": []},
        data={"jmbg": "0101990710008", "address": "Bulevar kralja Aleksandra 73"},
        script=Script.LATIN,
        valid_until=None,
        actor=handler,
        doc_type="uverenje",
        classification_code="02-05",
    )
    found: dict[str, list[str]] = {}
    for client, url in (
        (Client(), f"/verify/{issued.verification_code}"),
        (_as("citizen"), f"/my/documents/{issued.pk}/"),
    ):
        for script in SCRIPTS:
            answer = client.get(url, {"lang": script})
            assert answer.status_code == 200, f"{url}: {answer.status_code}"
            if wrong := problems(answer.content.decode(), script, names=NAMES):
                found[f"{script} {url}"] = wrong
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_officials_pages_are_in_the_language_chosen(application: Application) -> None:
    found = _check(_as("head-unit"), OFFICIALS, application)
    # The same pages as the case goes on: assigned (the draft, the approval line and its policy),
    # in approval (the approver's queue, the line's steps), issued (the document, its revocation).
    case = ["/work/applications/{application}/"]
    head_unit, handler = Person.objects.get(username="head-unit"), Person.objects.get(username="handler")
    app_services.application_assign(application=application, handler=handler, actor=head_unit)
    found |= _in_state("assigned", _check(_as("handler"), case, application))
    decisions.decision_send_to_approval(application=application, actor=handler)
    found |= _in_state("in approval", _check(_as("head-unit"), [*case, "/work/"], application))
    for username in ("head-unit", "registry", "head-agency"):
        approver = Person.objects.get(username=username)
        for step in approvals.queue_for(person=approver):
            approval_services.step_decide(step=step, actor=approver, decision="approve", pin=PIN)
        run_worker()
    application.refresh_from_db()
    assert application.status == "issued"
    found |= _in_state("issued", _check(_as("head-unit"), case, application))
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def _in_state(state: str, found: dict[str, list[str]]) -> dict[str, list[str]]:
    return {f"{state}: {page}": wrong for page, wrong in found.items()}


def test_account_pages_are_in_the_language_chosen(application: Application) -> None:
    found = _check(Client(), ACCOUNT_PUBLIC, application)
    found |= _check(_as("citizen"), ACCOUNT_CITIZEN, application)
    found |= _check(_as("head-unit"), ACCOUNT_OFFICIAL, application)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_distribution_pages_are_in_the_language_chosen(demo: None) -> None:
    """The pages of officials' own documents at each step: a draft on its way (the drafter's
    line form), sent and awaiting registration (the registry clerk's forms), registered, read
    and answered."""
    from govdoc.accounts.models import Unit
    from govdoc.approvals.services import StepSpec
    from govdoc.distribution import services as distribution
    from govdoc.documents.tests.samples import text_pdf

    handler, head = Person.objects.get(username="handler"), Person.objects.get(username="head-unit")
    beograd = Agency.objects.get(code="beograd")
    outgoing = distribution.outgoing_draft(
        actor=handler,
        unit=Unit.objects.get(code="pu-beograd"),
        title="Zahtev za dostavu podataka o prebivalištu",
        kind="dopis",
        classification_code="02-05",
        retention_years=10,
        disclosure="not_public",
        legal_ground="Zakon o zaštiti podataka o ličnosti, čl. 12",
        content=text_pdf("Molimo da nam dostavite podatke."),
        filename="dopis.pdf",
        recipients=[distribution.Recipient(agency=beograd)],
    )
    found = _check_pages(DISTRIBUTION[:3], outgoing=outgoing.pk)
    distribution.outgoing_send_for_approval(
        outgoing=outgoing, steps=[StepSpec("approval", head.pk, 1)], actor=handler
    )
    found |= _in_state("in approval", _check_pages([("head-unit", "/work/")], outgoing=outgoing.pk))
    for step in approvals.queue_for(person=head):
        approval_services.step_decide(step=step, actor=head, decision="approve", pin=PIN)
    run_worker()
    delivery = outgoing.deliveries.get()
    found |= _in_state("delivered", _check_pages(DISTRIBUTION[3:5], delivery=delivery.pk))
    maticna = Unit.objects.get(code="maticna")
    city_handler = Person.objects.get(username="handler-bg")
    delivery = distribution.delivery_register(
        delivery=delivery,
        actor=Person.objects.get(username="registry-bg"),
        unit=maticna,
        handler=city_handler,
    )
    distribution.delivery_read_record(delivery=delivery, actor=city_handler)
    answer = distribution.outgoing_draft(
        actor=city_handler,
        unit=maticna,
        title="Odgovor: Zahtev za dostavu podataka o prebivalištu",
        kind="dopis",
        classification_code="02-05",
        retention_years=None,
        disclosure="public",
        content=text_pdf("Dostavljamo podatke."),
        filename="odgovor.pdf",
        recipients=[distribution.Recipient(agency=outgoing.agency, unit=outgoing.unit)],
        in_reply_to=delivery,
    )
    found |= _in_state(
        "registered",
        _check_pages(
            [*DISTRIBUTION[:3], *DISTRIBUTION[3:]],
            outgoing=outgoing.pk,
            delivery=delivery.pk,
            answer=answer.pk,
        ),
    )
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def _check_pages(pages: list[tuple[str, str]], **ids: object) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for username, path in pages:
        client = _as(username)
        url = path.format(**ids)
        for script in SCRIPTS:
            answer = client.get(url, {"lang": script})
            assert answer.status_code == 200, f"{url}: {answer.status_code}"
            if wrong := problems(answer.content.decode(), script, names=NAMES):
                found[f"{script} {username} {url}"] = wrong
    return found


def test_procedure_pages_are_in_the_language_chosen(demo: None) -> None:
    """A permit request (drawn in English: what the drawing names is shown as drawn, marked
    ``translate="no"``) after the handler's review: My tasks, the task form, the agency's
    procedures, the procedure's page and the definitions."""
    from pathlib import Path

    from govdoc.procedures import services as procedures

    bpmn = Path(__file__).resolve().parents[2] / "src/govdoc/web/tests/bpmn/permit_request.bpmn"
    handler = Person.objects.get(username="handler")
    definition = procedures.definition_load(xml_bytes=bpmn.read_bytes(), actor="test")
    instance = procedures.instance_start(
        definition=definition,
        agency=Agency.objects.get(code="mup"),
        actor=handler,
        title="Dozvola za prekop ulice",
        business_key="P-2027-1",
    )
    review = instance.open_tasks.get()
    procedures.task_complete(
        instance=instance,
        task_id=str(review.task_id),
        actor=handler,
        data={"decision": "approve", "comment": "Zahtev je uredan."},
    )
    sign = instance.open_tasks.get()
    pages = [
        ("handler", "/work/procedures/tasks/"),
        ("handler", "/work/procedures/"),
        ("handler", "/work/procedures/{instance}/"),
        ("head-unit", "/work/procedures/tasks/"),
        ("head-unit", "/work/procedures/{instance}/tasks/{task}/"),
        ("mup-admin", "/work/procedures/definitions/"),
    ]
    found = _check_pages(pages, instance=instance.pk, task=sign.task_id)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_a_shipped_procedure_reads_in_the_language_chosen(demo: None) -> None:
    """The demo's invitational training programme (shipped, drawn in English by GovDoc): its
    task, process, party and flow names are GovDoc's own text, shown in the reader's language
    (not marked ``translate="no"``), on My tasks, the task form, the procedure's page, the
    agency's procedures and the performance page."""
    from govdoc.procedures.models import ProcessInstance

    instance = ProcessInstance.objects.get(business_key="DGCC-TRAINING-2027")
    select = instance.open_tasks.get(spec_name="select_trainees")
    pages = [
        ("head-unit", "/work/procedures/tasks/"),
        ("head-unit", "/work/procedures/{instance}/tasks/{task}/"),
        ("head-unit", "/work/procedures/{instance}/"),
        ("dgcc", "/work/procedures/"),
        ("dgcc", "/work/performance/"),
    ]
    found = _check_pages(pages, instance=instance.pk, task=select.task_id)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    head = _as("head-unit")
    task_url = f"/work/procedures/{instance.pk}/tasks/{select.task_id}/"
    cyrillic = head.get(task_url, {"lang": "sr-cyrl"}).content.decode()
    assert "Изабрати полазнике: један виши службеник, три службеника извршилачког нивоа" in cyrillic
    latin = head.get(f"/work/procedures/{instance.pk}/", {"lang": "sr-latn"}).content.decode()
    assert "Pozvati partnersku zemlju da predloži polaznike" in latin  # the step the Center did
    english = head.get("/work/procedures/tasks/", {"lang": "en"}).content.decode()
    assert "Select the trainees: one senior, three working-level" in english
    figures = _as("dgcc").get("/work/performance/", {"lang": "sr-latn"}).content.decode()
    running = figures.split('id="t-procedures-running"')[1].split("</table>")[0]
    assert '<td data-label="Postupak">Program obuke po pozivu</td>' in running
