"""The demo stays walkable: a newcomer passes a demo official's second factor with the secret
the start-up banner prints, or with ``govdoc demo-totp``."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings

from govdoc.accounts.second_factor import demo_secret


def test_a_newcomer_passes_a_demo_officials_second_factor(
    demo: None, capsys: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govdoc.cli import serve
    from govdoc.cli.main import main

    settings.GOVDOC_DEMO = True
    monkeypatch.setenv("GOVDOC_DEMO_DATA", "1")  # as on SQLite, the embedded default
    serve._banner("127.0.0.1", 8000, demo=True)
    banner = capsys.readouterr().out
    assert f"head-unit    {demo_secret('head-unit')}" in banner and "govdoc demo-totp USERNAME" in banner

    client = Client()
    assert "govdoc demo-totp" in client.get("/login/").content.decode()
    response = client.post("/login/", {"username": "head-unit", "password": "demo-govdoc-2026"})
    assert response.url == "/login/code/"
    assert demo_secret("head-unit") in client.get("/login/code/").content.decode()
    assert main(["demo-totp", "head-unit"]) == 0
    current = capsys.readouterr().out.split()[0]
    assert client.post("/login/code/", {"code": current}).url == "/"
    assert main(["demo-totp", "citizen"]) == 2  # citizens have no second factor
