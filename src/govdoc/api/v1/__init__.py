"""Version 1 of the GovDoc API; OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Schema, Swagger
from ninja.openapi.schema import OpenAPISchema

from govdoc import __version__
from govdoc.api import errors
from govdoc.api.parsing import GovDocParser
from govdoc.api.v1.applications import router as applications_router
from govdoc.api.v1.approvals import router as approvals_router
from govdoc.api.v1.distribution import router as distribution_router
from govdoc.api.v1.documents import router as documents_router
from govdoc.api.v1.issued import router as issued_router
from govdoc.api.v1.people import router as people_router
from govdoc.api.v1.procedures import router as procedures_router
from govdoc.api.v1.signatures import router as signatures_router
from govdoc.api.v1.verification import router as verification_router


class GovDocAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        errors.openapi_problem_media_type(schema)
        return schema


api = GovDocAPI(
    title="GovDoc API",
    version="1",
    description=(
        "The GovDoc e-Document system. Errors are application/problem+json (RFC 9457) with a "
        "stable `type` (https://govdoc.example/problems/<code>).\n\n"
        "**Authentication.** A browser session (writes need the CSRF token), or a bearer token: "
        "`Authorization: Bearer <secret>`. An administrator issues tokens with "
        "`govdoc token create --account <username> --name <system> --expires YYYY-MM-DD "
        "[--scope issue:<service code>]` or on the administrators' page /admin/accounts/apitoken/; "
        "the secret is shown once, every token expires (at most a year) and can be revoked "
        "(`govdoc token revoke`). A person's token acts as that person. An agency's system uses "
        "a system account (`govdoc system-account create`), whose token opens only `GET /me` and "
        "the issued documents, and issues directly only the services its `issue:` scopes name. "
        "An expired or revoked token is a 401 `api-token-expired` / `api-token-revoked` "
        "(audited); a system token outside its scopes is a 403 `system-account-outside-scope`.\n\n"
        "**Start with** `GET /me` (who am I, my roles and units); officials build an approval line "
        "with `GET /people/assignees?application=<id>` (who may hold each step of the service's "
        "approval policy); officials send documents to other agencies with `POST /outgoing` "
        "(recipients from `GET /agencies`, the line from `GET /outgoing/kinds`), and registry "
        "clerks take in what arrived at `GET /incoming`."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    # Swagger UI from GovDoc's own static files ("ninja" is an installed app), so the docs work
    # without internet and under the strict CSP; no call to the public validator service.
    docs=Swagger(settings={"validatorUrl": None}),
    openapi_url="/openapi.json",
    parser=GovDocParser(),
)
errors.install(api)


class Health(Schema):
    status: str
    version: str


@api.get("/health", response=Health, tags=["system"], auth=None)
def health(request: HttpRequest) -> Health:
    return Health(status="ok", version=__version__)


api.add_router("/", applications_router)
api.add_router("/approvals", approvals_router)
api.add_router("/", distribution_router)
api.add_router("/documents", documents_router)
api.add_router("/issued", issued_router)
api.add_router("/", people_router)
api.add_router("/", procedures_router)
api.add_router("/signatures", signatures_router)
api.add_router("/verify", verification_router)
