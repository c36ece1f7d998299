"""API authentication: a browser session (with CSRF) or a bearer token for other systems."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from govdoc.accounts.selectors import person_by_api_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        person = person_by_api_token(token)
        if person is not None:
            request.user = person
        return person


class SessionAuth(APIKeyCookie):
    """The logged-in person of a browser session; unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


api_auth = [TokenAuth(), SessionAuth(csrf=True)]
