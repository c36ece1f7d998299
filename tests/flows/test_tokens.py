"""API tokens: every token expires, scopes belong to system accounts, the secret is shown once;
system accounts never log in to pages. ``govdoc token create|list|revoke`` calls the same services."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.test import Client

from govdoc.accounts.errors import ApiTokenInvalidError
from govdoc.accounts.models import ApiToken, Person
from govdoc.accounts.services import api_token_issue
from govdoc.audit.models import AuditEvent
from govdoc.cli.main import main
from govdoc.core import clock
from tests.support import log_in


def _in(days: int) -> dt.datetime:
    return clock.now() + dt.timedelta(days=days)


@pytest.mark.django_db
def test_a_token_must_expire_within_a_year_and_a_person_carries_no_scopes() -> None:
    from govdoc.accounts.tests.factories import PersonFactory

    person = PersonFactory(username="integrator")
    for expires_at, scopes, field in (
        (None, (), "expires_at"),
        (_in(-1), (), "expires_at"),
        (_in(400), (), "expires_at"),
        (_in(30), ("issue:uverenje",), "scopes"),
        (_in(30), ("admin",), "scopes"),
    ):
        with pytest.raises(ApiTokenInvalidError) as caught:
            api_token_issue(person=person, name="x", expires_at=expires_at, scopes=scopes, actor="test")  # type: ignore[arg-type]
        assert field in caught.value.details["errors"]  # type: ignore[operator]
    assert not ApiToken.objects.exists()


def test_the_cli_creates_a_scoped_token_shows_its_secret_once_lists_and_revokes_it(
    demo: None, capsys: pytest.CaptureFixture[str]
) -> None:
    expires = (clock.today_local() + dt.timedelta(days=90)).isoformat()
    code = main(
        [
            "token", "create", "--account", "mup-salter", "--name", "Šalter", "--expires", expires,
            "--scope", "issue:uverenje-o-prebivalistu",
        ]
    )  # fmt: skip

    assert code == 0
    out = capsys.readouterr().out.splitlines()
    secret = out[-1]
    token = ApiToken.objects.get()
    assert token.token_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert token.scopes == ["issue:uverenje-o-prebivalistu"]
    issued = AuditEvent.objects.get(event="accounts.api_token_issued")
    assert secret not in json.dumps(issued.data)

    assert main(["token", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["account"], t["account_kind"], t["state"]) for t in listed] == [
        ("mup-salter", "system", "valid")
    ]
    assert secret not in json.dumps(listed)

    me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert me.status_code == 200

    assert main(["token", "revoke", str(token.pk)]) == 0
    refused = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("/api-token-revoked")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "nobody", "--expires", "2099-01-01"], "no account 'nobody'"),
        (["--account", "mup-salter", "--expires", "tomorrow"], "give a date as YYYY-MM-DD"),
        (
            ["--account", "mup-salter", "--expires", "2000-01-01"],
            "expires_at: the expiry must be in the future",
        ),
        (
            ["--account", "mup-salter", "--expires", "{soon}", "--scope", "issue:nema-je"],
            "issue:nema-je: no such service",
        ),
        (
            [
                "--account",
                "mup-salter",
                "--expires",
                "{soon}",
                "--scope",
                "issue:izvod-iz-maticne-knjige-rodjenih",
            ],
            "belongs to another agency",
        ),
        (
            ["--account", "handler", "--expires", "{soon}", "--scope", "issue:uverenje-o-prebivalistu"],
            "only a system account's token carries scopes",
        ),
    ],
)
def test_bad_token_input_is_one_line_exit_2_and_writes_nothing(
    demo: None, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    soon = (clock.today_local() + dt.timedelta(days=30)).isoformat()
    code = main(["token", "create", "--name", "x", *[a.replace("{soon}", soon) for a in args]])

    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("govdoc: error: ")
    assert message in err[0]
    assert not ApiToken.objects.exists()


def test_a_system_account_never_logs_in_to_pages(demo: None) -> None:
    system = Person.objects.get(username="mup-salter")
    assert system.is_system and not system.has_usable_password()
    system.set_password("a-password-someone-set")
    system.save()

    client = Client()
    response = client.post("/login/", {"username": "mup-salter", "password": "a-password-someone-set"})

    assert "_auth_user_id" not in client.session
    assert response.status_code != 302
    assert client.get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(event="accounts.login_succeeded", actor_id=str(system.pk)).count() == 0


def test_an_administrator_creates_lists_and_revokes_a_token_in_the_admin(demo: None) -> None:
    admin_user = Person.objects.get(username="admin")
    client = log_in(Client(), admin_user)
    system = Person.objects.get(username="mup-salter")
    url = "/admin/accounts/apitoken/add/"
    expires = clock.now() + dt.timedelta(days=30)
    form = {
        "person": str(system.pk),
        "name": "Šalter",
        "expires_at_0": expires.strftime("%Y-%m-%d"),
        "expires_at_1": "12:00:00",
        "scopes_text": "issue:nema-je",
    }

    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "issue:nema-je: no such service" in refused.content.decode()
    assert not ApiToken.objects.exists()

    created = client.post(url, {**form, "scopes_text": "issue:uverenje-o-prebivalistu"}, follow=True)
    assert created.status_code == 200
    token = ApiToken.objects.get()
    page = created.content.decode()
    secret = page.split("secret store now: ")[1].split("<")[0].strip()
    assert token.token_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    listing = client.get("/admin/accounts/apitoken/").content.decode()
    assert "issue:uverenje-o-prebivalistu" in listing and secret not in listing
    issued = AuditEvent.objects.get(event="accounts.api_token_issued")
    assert issued.actor_id == str(admin_user.pk)

    client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke_selected", "_selected_action": [str(token.pk)]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(event="accounts.api_token_revoked", actor_id=str(admin_user.pk)).exists()


@pytest.mark.django_db
def test_a_tokens_use_is_recorded_once_per_address_and_quarter_hour() -> None:
    """A security officer sees where and when each token works, without an event per request."""
    from govdoc.accounts.tests.factories import PersonFactory

    person = PersonFactory(username="integrator")
    token, secret = api_token_issue(
        person=person, name="reporting", expires_at=_in(30), scopes=(), actor="test"
    )
    office = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR="198.51.100.10")
    for _ in range(3):
        assert office.get("/api/v1/me").status_code == 200
    used = AuditEvent.objects.filter(event="accounts.api_token_used", target_id=str(token.pk))
    assert [(e.client_address, e.data["path"]) for e in used.all()] == [("198.51.100.10", "/api/v1/me")]
    elsewhere = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR="203.0.113.99")
    assert elsewhere.get("/api/v1/me").status_code == 200
    assert used.all().count() == 2 and used.all().last().client_address == "203.0.113.99"  # type: ignore[union-attr]
    with clock.frozen(clock.now() + dt.timedelta(minutes=20)):
        assert elsewhere.get("/api/v1/me").status_code == 200
    assert used.all().count() == 3


@pytest.mark.django_db
def test_refused_requests_are_security_events_with_where_they_came_from() -> None:
    from govdoc.accounts.tests.factories import PersonFactory

    anonymous = Client(REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="curl/8.5")
    assert anonymous.get("/api/v1/me").status_code == 401
    refused = AuditEvent.objects.get(event="security.request_refused")
    assert refused.actor_label == "anonymous"
    assert refused.data["path"] == "/api/v1/me" and refused.data["status"] == 401
    assert (refused.client_address, refused.user_agent) == ("192.0.2.44", "curl/8.5")

    # a page form posted without its CSRF token (a forged request) is refused and recorded
    person = PersonFactory(username="citizen-x", is_citizen=True)
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="192.0.2.45")
    browser.force_login(person)
    assert browser.post("/script/", {"script": "en"}).status_code == 403
    forged = AuditEvent.objects.filter(event="security.request_refused").last()
    assert forged is not None and forged.actor_id == str(person.pk) and forged.data["status"] == 403
