"""The administrators' page of procedure definitions: the loaded BPMN processes with their
versions, and loading a BPMN file as the next version of its process
(``procedures.services.definition_load``, which also decides who may load)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from govdoc.accounts.models import Person
from govdoc.core.errors import GovDocError
from govdoc.procedures import selectors, services
from govdoc.web.procedures import may_manage_definitions, page
from govdoc.web.staff import official_required


@official_required
@require_http_methods(["GET", "HEAD", "POST"])
def definitions(request: HttpRequest) -> HttpResponse:
    me = request.user
    assert isinstance(me, Person)
    if not may_manage_definitions(me):
        raise PermissionDenied(_("Only administrators manage procedure definitions."))
    error, status = "", 200
    if request.method == "POST":
        upload = request.FILES.get("bpmn")
        if upload is None:
            error, status = _("Choose a BPMN file."), 400
        else:
            try:
                loaded = services.definition_load(xml_bytes=upload.read(), actor=me)
            except GovDocError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(
                    request,
                    _("“%(name)s” is loaded as version %(version)d.")
                    % {"name": loaded.name, "version": loaded.version},
                )
                return HttpResponseRedirect(reverse("web:procedure-definitions"))
    return page(
        request,
        "web/procedures/definitions.html",
        {"definitions": selectors.definitions_all(), "error": error},
        status=status,
    )
