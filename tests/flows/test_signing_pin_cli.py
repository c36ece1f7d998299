"""``govdoc pin unblock``: an administrator unblocks an official's signing key after too many
wrong PINs; the same service and audit event as the admin's action."""

from __future__ import annotations

import pytest

from govdoc.accounts.models import Person
from govdoc.audit.models import AuditEvent
from govdoc.cli.main import main
from govdoc.signatures import services
from govdoc.signatures.errors import PinBlockedError, WrongPinError
from govdoc.signatures.models import SigningPin

pytestmark = pytest.mark.django_db


def test_the_cli_unblocks_a_key_blocked_after_ten_wrong_pins(
    handler: Person, capsys: pytest.CaptureFixture[str]
) -> None:
    services.person_certificate_issue(
        person=handler, pin="246813", organization="MUP", actor="test", pin_change_required=False
    )
    SigningPin.objects.filter(person=handler).update(failures=9)
    with pytest.raises(WrongPinError, match="administrator"):
        services.person_key_open(person=handler, pin="000000")
    with pytest.raises(PinBlockedError):
        services.person_key_open(person=handler, pin="246813")

    assert main(["pin", "unblock", "handler"]) == 0
    assert "unblocked" in capsys.readouterr().out
    event = AuditEvent.objects.get(event="signatures.pin_unblocked")
    assert event.actor_label == "cli" and event.target_id == str(handler.pk)
    assert services.person_key_open(person=handler, pin="246813").certificate is not None


def test_unblocking_an_unknown_account_is_one_line(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pin", "unblock", "nobody"]) == 2
    assert capsys.readouterr().err.strip() == "govdoc: error: no account 'nobody'"


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("sr-Latn", "govdoc: greška: ovaj službenik još nema sertifikat za potpisivanje"),
        ("sr-Cyrl", "govdoc: грешка: овај службеник још нема сертификат за потписивање"),
    ],
)
def test_a_services_refusal_is_one_line_in_the_officials_language(
    handler: Person,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    line: str,
) -> None:
    """``govdoc`` tells a service's refusal (translated by the domain where it is raised) in the
    language of the official at the terminal, and leaves Django's language as it was."""
    from django.utils import translation

    monkeypatch.setenv("GOVDOC_LANGUAGE", language)
    before = translation.get_language()
    assert main(["pin", "unblock", "handler"]) == 2  # the handler has no signing key yet
    said = capsys.readouterr().err.strip()
    assert said == line
    assert translation.get_language() == before
