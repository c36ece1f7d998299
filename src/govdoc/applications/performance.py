"""How the services of some agencies perform (issue 9 §6): reads only, no writes.

Only the services of these agencies count (the applications their units handle).

- running: applications still open (``OPEN_STATUSES``), per service;
- waiting: those open applications per status (the stage they wait in);
- stage times: how long an application stayed in a status, from the timeline entry that moved
  it in to the one that moved it on (``ApplicationEvent``), for the stays that ended in the
  period; a stay in a status it has not left yet is not a time taken, and is left out;
- deadlines: the legal deadline (``due_date``, in working days; a completion by the applicant
  starts it again, and the application keeps the latest) against the decision (``decided_at``),
  counted in the handling unit: met (decided by that day) or missed (decided later) in the
  month of the decision; overdue (open and undecided after it) in the month the deadline fell
  in. Withdrawn applications without a decision have no outcome and do not count.

Counts are made in the database; medians in Python over the rows of the period.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from django.db.models import Count, Q, QuerySet

from govdoc.accounts.constants import Script
from govdoc.applications.constants import OPEN_STATUSES, ApplicationStatus
from govdoc.applications.models import Application, ApplicationEvent, Service
from govdoc.core import clock
from govdoc.core.clock import DISPLAY_TZ
from govdoc.core.performance import (
    DeadlineCounter,
    DeadlineTally,
    Performance,
    Period,
    Running,
    StageTime,
    Waiting,
    month_of,
    stage_time,
)


def services_of_agencies(*, agency_ids: set[object]) -> QuerySet[Service]:
    """The services these agencies handle, by code."""
    return Service.objects.filter(agency_id__in=agency_ids).order_by("code")


def _status_label(status: str) -> str:
    try:
        return str(ApplicationStatus(status).label)
    except ValueError:
        return status


def services_performance(
    *, agency_ids: set[object], period: Period, code: str = "", script: str = Script.LATIN
) -> Performance:
    """The figures of the services of these agencies (optionally one, by its code), with the
    services named in ``script``; stage times and deadlines within ``period``."""
    if not agency_ids:
        return Performance()
    services = services_of_agencies(agency_ids=agency_ids)
    if code:
        services = services.filter(code=code)
    names = {s.code: s.name_in(script) for s in services}
    if not names:
        return Performance()
    of_services = Q(service__code__in=list(names))
    return Performance(
        running=_running(of_services, names),
        waiting=_waiting(of_services, names),
        stage_times=_stage_times(of_services, names, period),
        deadlines=_deadlines(of_services, period),
    )


def _running(of_services: Q, names: dict[str, str]) -> list[Running]:
    rows = (
        Application.objects.filter(of_services, status__in=OPEN_STATUSES)
        .values("service__code")
        .annotate(n=Count("id"))
    )
    found = [Running(r["service__code"], names[r["service__code"]], r["n"]) for r in rows]
    return sorted(found, key=lambda r: (-r.count, r.subject))


_STATUS_ORDER = {status: i for i, status in enumerate(ApplicationStatus.values)}


def _waiting(of_services: Q, names: dict[str, str]) -> list[Waiting]:
    rows = (
        Application.objects.filter(of_services, status__in=OPEN_STATUSES)
        .values("service__code", "status")
        .annotate(n=Count("id"))
    )
    found = [
        Waiting(
            r["service__code"], names[r["service__code"]], r["status"], _status_label(r["status"]), r["n"]
        )
        for r in rows
    ]
    return sorted(found, key=lambda w: (w.subject, _STATUS_ORDER.get(w.stage_key, 99)))


def _stage_times(of_services: Q, names: dict[str, str], period: Period) -> list[StageTime]:
    # The applications that could have left a status in the period: submitted before its end,
    # and not closed before its start.
    applications = Application.objects.filter(of_services, submitted_at__lt=period.end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=period.start)
    )
    events = (
        ApplicationEvent.objects.filter(application__in=applications.values("pk"))
        .exclude(status_to="")
        .order_by("application_id", "id")
        .values_list(
            "application_id", "application__service__code", "status_from", "status_to", "occurred_at"
        )
    )
    durations: dict[tuple[str, str], list[dt.timedelta]] = defaultdict(list)
    entered: tuple[uuid.UUID, str, dt.datetime] | None = None  # application, status, since
    for application_id, code, status_from, status_to, occurred_at in events:
        left = entered is not None and entered[0] == application_id and entered[1] == status_from
        if entered is not None and left and period.holds(occurred_at):
            durations[(code, status_from)].append(occurred_at - entered[2])
        entered = (application_id, status_to, occurred_at)
    found = [
        stage_time(code, names[code], status, _status_label(status), taken)
        for (code, status), taken in durations.items()
    ]
    return sorted(found, key=lambda s: (s.subject, _STATUS_ORDER.get(s.stage_key, 99)))


def _deadlines(of_services: Q, period: Period) -> list[DeadlineTally]:
    today = clock.today_local()
    decided = Q(decided_at__gte=period.start, decided_at__lt=period.end)
    overdue = Q(
        decided_at__isnull=True,
        status__in=OPEN_STATUSES,
        due_date__gte=period.first,
        due_date__lt=min(period.end_date, today),
    )
    rows = (
        Application.objects.filter(of_services)
        .filter(decided | overdue)
        .values_list("unit__code", "unit__name", "agency__code", "due_date", "decided_at")
    )
    counter = DeadlineCounter()
    for unit_code, unit_name, agency_code, due_date, decided_at in rows:
        if decided_at is None:
            outcome, month = "overdue", month_of(due_date)
        else:
            on_time = decided_at.astimezone(DISPLAY_TZ).date() <= due_date
            outcome, month = ("met" if on_time else "missed"), month_of(decided_at)
        counter.add(unit_key=f"{agency_code}/{unit_code}", unit=unit_name, month=month, outcome=outcome)
    return counter.tallies()
