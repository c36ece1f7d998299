"""What a phone shows after scanning the QR code of an issued document: the registered record
and, checked by the page's script from the URL fragment, what the agency's signature says."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from govdoc.issuance import services
from govdoc.issuance.qr_payload import QrPayload, qr_text
from govdoc.issuance.tests.conftest import files_dir, holder, issue  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_page_a_qr_code_opens_shows_the_signed_content_and_refuses_a_changed_one(
    live_server: Any,
    page: Any,
    issue: Any,  # noqa: F811 - the issuance tests' fixture, imported above
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []
    original = services.payload_sign

    def recording(payload: QrPayload, *, key: Any) -> str:
        made.append(original(payload, key=key))
        return made[-1]

    monkeypatch.setattr(services, "payload_sign", recording)
    issued = issue()
    scanned = qr_text(live_server.url, issued.verification_code, made[-1])
    # the QR text has an upper-case scheme and host; a phone opens it as it is
    page.goto(scanned)
    verdict = page.locator("#signed-verdict")
    verdict.wait_for()
    # waits without evaluating a string in the page (its CSP forbids eval; Playwright's locator
    # assertions run in their own isolated world)
    expect(page.locator("#signed-verdict")).to_have_text(re.compile(r"\S"), timeout=20_000)
    assert "Potpis je ispravan" in verdict.inner_text()
    assert "status-valid" in (verdict.get_attribute("class") or "")
    assert page.locator("#signed-holder").inner_text() == "Љубица Ђорђевић"
    assert page.locator("#signed-number").inner_text() == issued.registry_number
    assert page.locator("#signed-code").inner_text() == issued.verification_code

    url, _, fragment = scanned.partition("#")
    payload = made[-1]
    # one letter of the signature changed, the text still well formed
    at = len(payload) - 3
    changed = payload[:at] + ("A" if payload[at] != "A" else "B") + payload[at + 1 :]
    # and a code damaged into an escape that is no UTF-8 (%A5): the page must still answer
    damaged = fragment.replace("GD1:", "GD1:%A5", 1)
    for tampered in (qr_text(live_server.url, issued.verification_code, changed), f"{url}#{damaged}"):
        page.goto("about:blank")  # a new load, not a same-document move to another fragment
        page.goto(tampered)
        # waits without evaluating a string in the page (its CSP forbids eval; Playwright's
        # locator assertions run in their own isolated world)
        expect(page.locator("#signed-verdict")).to_have_text(re.compile(r"\S"), timeout=20_000)
        assert "Potpis QR koda NIJE ispravan" in page.locator("#signed-verdict").inner_text()
        assert page.locator("#signed-holder").is_hidden()
