"""Every error the API returns is problem+json (RFC 9457) with a stable ``type``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from govdoc.audit.context import refusal_note
from govdoc.core.errors import GovDocError

PROBLEM_BASE = "https://govdoc.example/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(
    status: int,
    code: str,
    title: str,
    *,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    details: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if details:
        body["details"] = details
    return JsonResponse(
        body, status=status, content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )


class Problem(Schema):
    """application/problem+json (RFC 9457), as ``problem()`` writes it."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, str]] | None = None
    details: dict[str, Any] | None = None


def problems(*statuses: int, auth: bool = True) -> dict[frozenset[int], type[Problem]]:
    """The error answers an operation documents: its own ``statuses``, 422 (its input does not
    validate) and, with ``auth``, 401 (no, an unknown, an expired or a revoked token) and 403 (a
    system account's token used outside its scopes). Use as ``response={200: Out, **problems(404)}``."""
    return {frozenset({422, *statuses, *((401, 403) if auth else ())}): Problem}


def openapi_problem_media_type(schema: dict[str, Any]) -> dict[str, Any]:
    """ninja documents every answer as application/json; error answers are problem+json."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if int(status) >= 400 and "application/json" in content:
                    content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
    return schema


_SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", ())]
        # ninja puts the source first ("body", "query", "form", "file", ...), then the field path
        if loc and loc[0] in _SOURCES:
            loc = loc[1:]
        # then the operation's parameter for a whole schema ("payload" or "body"), which the
        # client never sees: it sent the schema's fields
        if loc and loc[0] in ("payload", "body"):
            loc = loc[1:]
        out.append({"field": ".".join(loc), "message": str(err.get("msg", "invalid"))})
    return out


def install(api: NinjaAPI) -> None:
    @api.exception_handler(GovDocError)
    def _domain(request: HttpRequest, exc: GovDocError) -> HttpResponse:
        details = {k: v for k, v in exc.details.items() if isinstance(v, str | int | float | bool)}
        # Domain errors about a form carry ``errors={name: message}``: the same shape as
        # request validation errors, so a client shows each message beside its field.
        fields = exc.details.get("errors")
        field_errors = (
            [{"field": str(name), "message": str(message)} for name, message in fields.items()]
            if isinstance(fields, dict)
            else None
        )
        response = problem(exc.status, exc.code, exc.message, details=details, errors=field_errors)
        retry_after = exc.details.get("retry_after")
        if exc.status == 429 and isinstance(retry_after, int):
            response["Retry-After"] = str(retry_after)  # RFC 9110 §10.2.3: seconds to wait
        return response

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return problem(422, "validation", "The request is not valid.", errors=_field_errors(exc))

    @api.exception_handler(AuthenticationError)
    def _auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(401, "unauthenticated", _("Authentication is required."))

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(exc.status_code, f"http-{exc.status_code}", str(exc))

    @api.exception_handler(MultiPartParserError)
    def _multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        refusal_note("multipart-invalid")
        return problem(400, "multipart-invalid", "The multipart form body cannot be parsed.", detail=str(exc))

    @api.exception_handler(TooManyFieldsSent)
    def _too_many_fields(request: HttpRequest, exc: TooManyFieldsSent) -> HttpResponse:
        refusal_note("too-many-fields")
        return problem(400, "too-many-fields", "The form has more fields than the server accepts.")

    @api.exception_handler(TooManyFilesSent)
    def _too_many_files(request: HttpRequest, exc: TooManyFilesSent) -> HttpResponse:
        refusal_note("too-many-files")
        return problem(400, "too-many-files", "The form has more files than the server accepts.")

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        refusal_note("request-too-large")
        return problem(
            413,
            "request-too-large",
            "The request body is larger than this server accepts without files.",
            detail="Send files as multipart/form-data file parts.",
        )
