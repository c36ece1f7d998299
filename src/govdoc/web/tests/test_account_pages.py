"""Sign-up, e-mail confirmation, password change and reset, as a person uses the pages."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from govdoc.accounts.models import Person
from govdoc.accounts.tests.factories import PersonFactory
from govdoc.audit.models import AuditEvent
from govdoc.jobs.tests.worker import run_queued_tasks

pytestmark = pytest.mark.django_db

PASSWORD = "zelena-livada-pored-reke"
SIGNUP = {
    "username": "milan",
    "first_name": "Milan",
    "last_name": "Milanović",
    "email": "milan@example.rs",
    "national_id": "0101990710008",
    "password": PASSWORD,
    "preferred_script": "sr-latn",
}


def send_mail() -> None:
    run_queued_tasks()


def path_in(body: str, kind: str) -> str:
    found = re.search(rf"http://[^/\s]+(/{kind}/[^\s]+/)", body)
    assert found, body
    return found.group(1)


def body(response: HttpResponse) -> str:
    """The page without its CSRF tokens, which differ from one client to the next."""
    return re.sub(r'value="[^"]{64}"', "", response.content.decode())


def logged_in(username: str, password: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def test_sign_up_then_confirm_the_e_mail_then_log_in() -> None:
    client = Client()
    response = client.post("/signup/", SIGNUP)
    assert response.status_code == 200
    assert "milan@example.rs" in response.content.decode()
    # not yet: the account waits for its e-mail confirmation
    refused = Client().post("/login/", {"username": "milan", "password": PASSWORD})
    assert refused.status_code == 400

    send_mail()
    link = path_in(mail.outbox[0].body, "signup/confirm")
    assert client.get(link).status_code == 200  # opening the link changes nothing
    assert not Person.objects.get(username="milan").is_active
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed["Location"] == "/login/"
    logged_in("milan", PASSWORD)
    assert client.post(link).status_code == 400  # used once


def test_the_page_answers_the_same_whether_the_username_or_jmbg_is_taken_or_not() -> None:
    PersonFactory(username="zauzet", national_id="0202985710009")
    fresh = Client().post("/signup/", SIGNUP)
    taken_name = Client().post("/signup/", {**SIGNUP, "username": "Zauzet", "national_id": "1505985710005"})
    taken_jmbg = Client().post("/signup/", {**SIGNUP, "username": "neko", "national_id": "0202985710009"})

    assert fresh.status_code == taken_name.status_code == taken_jmbg.status_code == 200

    assert body(fresh) == body(taken_name) == body(taken_jmbg)
    assert Person.objects.filter(username__in=["milan", "neko"]).count() == 1
    send_mail()
    assert len(mail.outbox) == 3
    assert AuditEvent.objects.filter(event="accounts.signup_refused").count() == 2


def test_form_errors_are_shown_beside_their_fields() -> None:
    response = Client().post("/signup/", {**SIGNUP, "national_id": "0101990710006", "password": "kratka"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="err_national_id"' in page and "control" in page
    assert 'id="err_password"' in page
    assert not Person.objects.exists()


def test_a_password_change_ends_the_other_sessions_but_not_this_one() -> None:
    PersonFactory(username="ana", is_citizen=True)
    here, elsewhere = logged_in("ana", "correct-horse-battery"), logged_in("ana", "correct-horse-battery")

    wrong = here.post(
        "/account/password/",
        {"old_password": "nope", "new_password": PASSWORD, "new_password_again": PASSWORD},
    )
    assert wrong.status_code == 400 and 'id="err_old_password"' in wrong.content.decode()
    common = here.post(
        "/account/password/",
        {
            "old_password": "correct-horse-battery",
            "new_password": "qwerty123456",
            "new_password_again": "qwerty123456",
        },
    )
    assert common.status_code == 400 and 'id="err_new_password"' in common.content.decode()

    done = here.post(
        "/account/password/",
        {"old_password": "correct-horse-battery", "new_password": PASSWORD, "new_password_again": PASSWORD},
    )
    assert done.status_code == 302
    assert here.get("/account/password/").status_code == 200
    assert elsewhere.get("/account/password/").status_code == 302  # logged out
    assert AuditEvent.objects.filter(event="accounts.password_changed").count() == 1
    logged_in("ana", PASSWORD)


def test_the_password_page_needs_a_login() -> None:
    response = Client().get("/account/password/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_reset_by_e_mail_link_answers_the_same_for_anyone_and_works_once() -> None:
    PersonFactory(username="ana", email="ana@example.rs")
    client = Client()
    known = client.post("/password/reset/", {"login": "ana@example.rs"})
    unknown = Client().post("/password/reset/", {"login": "nobody@example.rs"})
    assert known.status_code == unknown.status_code == 200
    assert body(known) == body(unknown)
    send_mail()
    [message] = mail.outbox
    link = path_in(message.body, "password/reset")

    opened = client.get(link)
    assert opened.status_code == 302 and opened["Location"].endswith("/set-password/")  # token leaves the URL
    form = opened["Location"]
    weak = client.post(form, {"new_password": "123456789012", "new_password_again": "123456789012"})
    assert weak.status_code == 400 and 'id="err_new_password"' in weak.content.decode()
    done = client.post(form, {"new_password": PASSWORD, "new_password_again": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/login/"
    logged_in("ana", PASSWORD)

    again = Client()
    assert again.get(link).status_code == 302
    assert again.get(form).status_code == 400  # used once
