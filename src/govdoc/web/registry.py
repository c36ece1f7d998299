"""The agency's registry (delovodnik): every entry, incoming, outgoing and internal, searched and
filtered, on a page and as a CSV file; a registry clerk cancels an entry made in error."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from govdoc.accounts.models import Agency, Person
from govdoc.core.downloads import content_disposition
from govdoc.core.errors import GovDocError
from govdoc.distribution.selectors import consignments_failed
from govdoc.documents import selectors as documents
from govdoc.documents import services as document_services
from govdoc.documents.constants import Direction
from govdoc.documents.models import RegistryEntry
from govdoc.web.language import name_in_script, page_script
from govdoc.web.staff import official_required

EXPORT_MAX = 10_000


def _me(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)
    return request.user


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _asked(request: HttpRequest) -> tuple[Agency, documents.RegistryFilter, dict[str, str]]:
    """The agency whose registry is asked for (the first one the person may read, unless
    ``?agency=`` names another), the filter, and the query as typed (to show it again)."""
    agencies = documents.registry_agencies(viewer=_me(request))
    if not agencies:
        raise Http404("no registry you may read")
    code = request.GET.get("agency", "")
    agency = next((a for a in agencies if a.code == code), agencies[0])
    typed = {
        name: request.GET.get(name, "").strip()[:100]
        for name in ("q", "direction", "classification", "correspondent", "from", "to")
    }
    where = documents.RegistryFilter(
        text=typed["q"],
        direction=typed["direction"] if typed["direction"] in Direction.values else "",
        classification=typed["classification"],
        correspondent=typed["correspondent"],
        date_from=_date(typed["from"]),
        date_to=_date(typed["to"]),
    )
    return agency, where, typed


@official_required
@require_safe
def registry(request: HttpRequest) -> HttpResponse:
    agency, where, typed = _asked(request)
    me = _me(request)
    found = documents.registry_search(viewer=me, agency=agency, where=where)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/registry/registry.html",
        {
            "agency": agency,
            "agency_name": name_in_script(agency, page_script(request)),
            "agencies": [
                (a, name_in_script(a, page_script(request))) for a in documents.registry_agencies(viewer=me)
            ],
            "page": page,
            "typed": typed,
            "query": query.urlencode(),
            "directions": Direction.choices,
            "may_cancel": documents.may_cancel_entries(actor=me, agency=agency),
            # what did not reach another node: its registry clerk sends it again or tells the drafter
            "failed_sends": consignments_failed(me).filter(outgoing__agency=agency)[:50],
        },
    )


@official_required
@require_safe
def registry_csv(request: HttpRequest) -> HttpResponse:
    """The same entries as the page, as CSV (UTF-8 with a BOM, so spreadsheets read Serbian
    letters); at most ``EXPORT_MAX`` entries. The export is recorded."""
    agency, where, typed = _asked(request)
    me = _me(request)
    entries = list(documents.registry_search(viewer=me, agency=agency, where=where)[:EXPORT_MAX])
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Number"),
            _("Registered"),
            _("Direction"),
            _("Subject"),
            _("Classification"),
            _("Sender or recipient"),
            _("Registered by"),
            _("Cancelled"),
            _("Reason for cancelling"),
        ]
    )
    for e in entries:
        writer.writerow(
            [
                e.registry_number,
                timezone.localtime(e.registered_at).strftime("%Y-%m-%d %H:%M"),
                e.get_direction_display(),
                e.subject,
                e.document.classification_code,
                e.correspondent,
                e.registered_by.get_full_name() or e.registered_by.get_username(),
                timezone.localtime(e.cancelled_at).strftime("%Y-%m-%d %H:%M") if e.cancelled_at else "",
                e.cancel_reason,
            ]
        )
    document_services.registry_export_record(actor=me, agency=agency, entries=len(entries), filters=typed)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(
        f"delovodnik-{agency.code}-{timezone.localdate():%Y-%m-%d}.csv"
    )
    return response


@official_required
@require_POST
def registry_cancel(request: HttpRequest, entry_id: str) -> HttpResponse:
    me = _me(request)
    back = reverse("web:registry")
    entry = RegistryEntry.objects.filter(
        pk=entry_id, agency__in=documents.registry_agencies(viewer=me)
    ).first()
    if entry is None:
        raise Http404("no such entry")
    try:
        document_services.registry_entry_cancel(entry=entry, reason=request.POST.get("reason", ""), actor=me)
    except GovDocError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(f"{back}?agency={entry.agency.code}#entry-{entry.pk}")
    messages.success(request, _("The entry %(number)s is cancelled.") % {"number": entry.registry_number})
    return HttpResponseRedirect(f"{back}?agency={entry.agency.code}#entry-{entry.pk}")
