"""Helpers for journey tests: an API client with a bearer token, and one run of the worker."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.test import Client

from govdoc.accounts import services as accounts
from govdoc.accounts.models import Person
from govdoc.cli import demo_data

PIN = demo_data.DEMO_SIGNING_PIN


def person(username: str) -> Person:
    return Person.objects.get(username=username)


class ApiClient:
    """A system calling the API with a bearer token issued to one person."""

    def __init__(self, username: str) -> None:
        _, self.token = accounts.api_token_issue(person=person(username), name="journey test", actor="test")
        self.client = Client()

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", **self._headers(), **kw)

    def post(self, path: str, data: Any = None) -> Any:
        """A JSON body."""
        return self.client.post(
            f"/api/v1{path}", data or {}, content_type="application/json", **self._headers()
        )

    def post_form(self, path: str, data: dict[str, Any]) -> Any:
        """A multipart form (with files)."""
        return self.client.post(f"/api/v1{path}", data, **self._headers())

    def put(self, path: str, data: Any) -> Any:
        return self.client.put(f"/api/v1{path}", data, content_type="application/json", **self._headers())


def run_worker() -> None:
    """What ``govdoc worker`` does, once: take every queued task from the database and run it."""
    call_command("db_worker", batch=True, verbosity=0)
