"""API authentication: a browser session (with CSRF) or a bearer token for other systems.

A bearer token names a person or an agency's system account (``accounts.ApiToken``). An
unknown token is a plain 401; a known token that is revoked or expired, or whose account is
disabled, is a 401 with its own problem type, and the refusal is audited (someone still uses
it). The token the request came with is kept as ``request.api_token`` (its scopes decide what
a system may issue directly).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer

from govdoc.accounts.errors import (
    ApiTokenExpiredError,
    ApiTokenRefusedError,
    ApiTokenRevokedError,
    SystemAccountOutsideScopeError,
)
from govdoc.accounts.models import ApiToken
from govdoc.accounts.selectors import api_token_find, api_token_state
from govdoc.accounts.services import api_token_refusal_record, api_token_use_record
from govdoc.accounts.sessions import require_recent_authentication

# A system account acts through the API only, and there only where its scopes reach: who it is,
# and the issued documents (direct issuance, ``issue:<service>`` scopes).
_SYSTEM_PATHS = ("/api/v1/me", "/api/v1/issued")

_REFUSALS: dict[str, type[ApiTokenRefusedError]] = {
    "revoked": ApiTokenRevokedError,
    "expired": ApiTokenExpiredError,
    "account-disabled": ApiTokenRefusedError,
}


def _refusal_message(state: str) -> str:
    """Why a known token no longer opens the API, in the language of the request."""
    if state == "revoked":
        return _("This API token is revoked.")
    if state == "expired":
        return _("This API token has expired.")
    return _("The account of this API token is disabled.")


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = api_token_find(token)
        if found is None:
            return None
        state = api_token_state(found)
        if state != "valid":
            api_token_refusal_record(token=found, reason=state, path=request.path)
            raise _REFUSALS[state](_refusal_message(state), token_id=str(found.pk))
        if found.person.is_system and not request.path.startswith(_SYSTEM_PATHS):
            api_token_refusal_record(token=found, reason="outside-scope", path=request.path)
            raise SystemAccountOutsideScopeError(
                _("An agency system's token opens only %(paths)s.") % {"paths": "/api/v1/me, /api/v1/issued"},
                token_id=str(found.pk),
            )
        request.user = found.person
        request.api_token = found  # type: ignore[attr-defined]
        api_token_use_record(token=found, path=request.path)
        return found.person


class SessionAuth(APIKeyCookie):
    """The logged-in person of a browser session; unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not getattr(user, "is_system", False):
            return user
        return None


def token_of(request: HttpRequest) -> ApiToken | None:
    """The token the request authenticated with (None: a browser session)."""
    token = getattr(request, "api_token", None)
    return token if isinstance(token, ApiToken) else None


def require_step_up(request: HttpRequest) -> None:
    """Signing, issuing and revoking from a browser session need a recent log-in (a 401
    ``reauthentication-required`` points to /login/confirm/). A bearer token is not asked."""
    if token_of(request) is None:
        require_recent_authentication(request)


api_auth = [TokenAuth(), SessionAuth(csrf=True)]
