"""Under the strict Content-Security-Policy, in a real browser: the API docs (Swagger UI served by
GovDoc itself, no CDN) render, and the pages report no blocked script or style."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _violations(page: Any) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return found


def test_the_api_docs_render_offline_under_the_csp(live_server: Any, page: Any) -> None:
    violations = _violations(page)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "GovDoc API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for()  # the operations, read from /api/v1/openapi.json
    assert page.locator(".opblock").count() > 10
    assert violations == []
    assert [url for url in outside if not url.startswith("data:")] == []


@pytest.mark.parametrize("path", ["/", "/login/", "/verify/", "/services/"])
def test_pages_have_no_blocked_script_or_style(live_server: Any, page: Any, path: str) -> None:
    violations = _violations(page)
    response = page.goto(f"{live_server.url}{path}")
    assert response.status < 400
    page.wait_for_load_state("networkidle")
    assert violations == []
