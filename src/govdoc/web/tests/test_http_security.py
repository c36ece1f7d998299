"""HTTP as a security officer configures it, as a browser or an API client sees it: headers on
every answer, HTTPS enforced when the public address is https, nothing with personal data
cached, file names that cannot break a header, unsafe PDFs refused beside their field."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from pytest_django import Settings
from tests.support import log_in

from govdoc.accounts.models import Person
from govdoc.applications.models import Application
from govdoc.documents.tests.samples import one_page_pdf
from govdoc.signatures.tests.conftest import make_sample_pdf
from govdoc.web.middleware import SecurityHeadersMiddleware

FORM = {
    "ime_prezime": "Ana Petrović",
    "jmbg": "0101990710006",
    "adresa": "Bulevar kralja Aleksandra 73",
    "opstina": "Zvezdara",
    "svrha": "radi zaposlenja",
}
APPLY = "/services/uverenje-o-prebivalistu/apply/"


def _client(username: str) -> Client:
    return log_in(Client(), Person.objects.get(username=username))


def _csp(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/login/", "/verify/", "/api/v1/health", "/api/v1/no-such"])
def test_every_answer_has_a_strict_csp_a_permissions_policy_and_no_store(client: Client, path: str) -> None:
    response = client.get(path)
    csp = _csp(response)
    assert csp["script-src"] == "script-src 'self'"
    assert csp["style-src"] == "style-src 'self'"
    assert csp["object-src"] == "object-src 'none'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_no_page_needs_inline_script_or_style() -> None:
    """The CSP forbids them: a template that used one would break silently in the browser."""
    templates = Path(__file__).resolve().parents[1] / "templates"
    offending = []
    for template in templates.rglob("*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>", text):
            offending.append(f"{template.name}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"\sstyle\s*=", text) or "<style" in text:
            offending.append(f"{template.name}: inline handler or style")
        if "javascript:" in text:
            offending.append(f"{template.name}: javascript: URL")
    assert offending == []


def test_static_files_stay_cacheable(rf: RequestFactory) -> None:
    def whitenoise(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("body { }", content_type="text/css")
        response["Cache-Control"] = "max-age=60, public"
        return response

    middleware = SecurityHeadersMiddleware(whitenoise)
    assert middleware(rf.get("/static/govdoc/govdoc.css"))["Cache-Control"] == "max-age=60, public"
    assert middleware(rf.get("/my/applications/"))["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_with_an_https_public_url_http_is_redirected_and_hsts_is_sent(settings: Settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    plain = Client().get("/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/login/"
    secure = Client().get("/login/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"


def test_the_settings_follow_the_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import govdoc.settings.base as base

    monkeypatch.setenv("GOVDOC_PUBLIC_URL", "https://e-uprava.example.rs")
    monkeypatch.delenv("GOVDOC_DEBUG", raising=False)
    monkeypatch.delenv("GOVDOC_SSL_REDIRECT", raising=False)
    monkeypatch.delenv("GOVDOC_HSTS_SECONDS", raising=False)
    try:
        https = importlib.reload(base)
        assert https.SECURE_SSL_REDIRECT is True
        assert https.SECURE_HSTS_SECONDS == 31536000
        assert https.SESSION_COOKIE_SECURE is True
        monkeypatch.setenv("GOVDOC_PUBLIC_URL", "http://127.0.0.1:8000")
        plain = importlib.reload(base)
        assert plain.SECURE_SSL_REDIRECT is False
        assert plain.SECURE_HSTS_SECONDS == 0
    finally:
        monkeypatch.undo()
        importlib.reload(base)


@pytest.mark.django_db
def test_the_api_docs_come_from_govdoc_itself(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "cdn" not in page.lower()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    styles = re.findall(r'<link[^>]*href="([^"]+\.css)"', page)
    assert scripts and styles
    assert all(src.startswith("/static/") for src in [*scripts, *styles])
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)


# --- files sent back: names from citizens cannot break the header -----------------------------


@pytest.fixture
def odd_name_applied(demo: None) -> Application:
    response = _client("citizen").post(
        APPLY,
        {
            **FORM,
            "file_licna_karta": SimpleUploadedFile(
                'lična "karta";\r\nX-Evil: 1.pdf', make_sample_pdf("LK"), "application/pdf"
            ),
        },
    )
    assert response.status_code == 302, response.content
    return Application.objects.get()


def test_a_quote_newline_and_non_ascii_in_a_name_give_a_valid_header(odd_name_applied: Application) -> None:
    attachment = odd_name_applied.attachments.get()
    response = _client("handler").get(f"/work/applications/{odd_name_applied.pk}/attachments/{attachment.pk}")
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    match = re.fullmatch(r'attachment; filename="([^"\\]*)"; filename\*=UTF-8\'\'(\S+)', header)
    assert match, header
    assert match.group(1).isascii()
    assert unquote(match.group(2)) == attachment.filename
    assert "X-Evil" not in response.headers or response.headers.get("X-Evil") is None


# --- unsafe PDFs refused on the citizen's page -------------------------------------------------


def test_a_pdf_with_javascript_is_refused_beside_its_field_in_the_citizens_script(demo: None) -> None:
    js = one_page_pdf(catalog_extra=b"/OpenAction 4 0 R ", more=(b"<< /S /JavaScript /JS (app.alert(1)) >>",))
    response = _client("citizen").post(
        APPLY, {**FORM, "file_licna_karta": SimpleUploadedFile("lk.pdf", js, "application/pdf")}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "lk.pdf je PDF dokument sa JavaScript kodom" in page
    assert not Application.objects.exists()
