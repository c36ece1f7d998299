"""Version 1 of the GovDoc API; OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema

from govdoc import __version__
from govdoc.api import errors
from govdoc.api.v1.applications import router as applications_router
from govdoc.api.v1.approvals import router as approvals_router
from govdoc.api.v1.documents import router as documents_router
from govdoc.api.v1.issued import router as issued_router
from govdoc.api.v1.signatures import router as signatures_router
from govdoc.api.v1.verification import router as verification_router

api = NinjaAPI(
    title="GovDoc API",
    version="1",
    description="The GovDoc e-Document system. Errors are application/problem+json (RFC 9457).",
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
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
api.add_router("/documents", documents_router)
api.add_router("/issued", issued_router)
api.add_router("/signatures", signatures_router)
api.add_router("/verify", verification_router)
