"""How the procedures of some agencies perform (issue 9 §6): reads only, no writes.

Only the instances these agencies run or take part in count (``selectors.instance_visible_to``).

- running: instances still running, per procedure (its key; named as its newest version);
- waiting: their open tasks, per procedure and task (the BPMN task id, named as drawn);
- stage times: how long a task took, from when it became ready (``ProcessStep.ready_at``, the
  work-list row's ``since``) to its completion, for the steps completed in the period; steps
  completed before ``ready_at`` was kept have none and are left out;
- deadlines: a task's deadline is the earliest timer drawn on its border (``task_deadline``),
  counted in the unit whose people had the task (its agency, or its party on another node):
  met (completed by then) or missed (completed later, or taken away by an interrupting timer:
  ``ProcessTaskLapse``) in the month it was completed or taken away; overdue (still open past
  it) in the month the deadline fell in. Steps completed before ``ready_at`` was kept have no
  known deadline and are left out.

Counts are made in the database; medians and deadlines in Python over the rows of the period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from govdoc.core import clock
from govdoc.core.performance import (
    DeadlineCounter,
    Performance,
    Period,
    Running,
    StageTime,
    Waiting,
    month_of,
    stage_time,
)
from govdoc.procedures import bpmn_facts
from govdoc.procedures.constants import InstanceStatus
from govdoc.procedures.models import (
    ProcessDefinition,
    ProcessInstance,
    ProcessStep,
    ProcessTask,
    ProcessTaskLapse,
)


def _visible(agency_ids: set[object], key: str) -> QuerySet[ProcessInstance]:
    qs = ProcessInstance.objects.filter(Q(agency_id__in=agency_ids) | Q(parties__agency_id__in=agency_ids))
    if key:
        qs = qs.filter(definition__key=key)
    return qs


def procedure_names() -> dict[str, str]:
    """Procedure key -> the name of its newest version."""
    names: dict[str, str] = {}
    for key, name in ProcessDefinition.objects.order_by("key", "-version").values_list("key", "name"):
        names.setdefault(key, name)
    return names


def procedures_performance(*, agency_ids: set[object], period: Period, key: str = "") -> Performance:
    """The figures of the procedures these agencies run or take part in (optionally one, by its
    key); stage times and deadlines within ``period``."""
    if not agency_ids:
        return Performance()
    visible = _visible(agency_ids, key).values("pk")
    names = procedure_names()
    return Performance(
        running=_running(visible, names),
        waiting=_waiting(visible, names),
        stage_times=_stage_times(visible, names, period),
        deadlines=_deadlines(visible, period),
    )


def _running(visible: QuerySet[Any], names: dict[str, str]) -> list[Running]:
    rows = (
        ProcessInstance.objects.filter(pk__in=visible, status=InstanceStatus.RUNNING)
        .values("definition__key")
        .annotate(n=Count("id"))
    )
    found = [Running(r["definition__key"], names.get(r["definition__key"], ""), r["n"]) for r in rows]
    return sorted(found, key=lambda r: (-r.count, r.subject))


def _waiting(visible: QuerySet[Any], names: dict[str, str]) -> list[Waiting]:
    rows = (
        ProcessTask.objects.filter(instance__in=visible, instance__status=InstanceStatus.RUNNING)
        .values("instance__definition__key", "spec_name")
        .annotate(n=Count("id"), title=Max("title"))
    )
    found = [
        Waiting(
            r["instance__definition__key"],
            names.get(r["instance__definition__key"], ""),
            r["spec_name"],
            r["title"],
            r["n"],
        )
        for r in rows
    ]
    return sorted(found, key=lambda w: (w.subject, -w.count, w.stage))


def _stage_times(visible: QuerySet[Any], names: dict[str, str], period: Period) -> list[StageTime]:
    rows = (
        ProcessStep.objects.filter(
            instance__in=visible,
            ready_at__isnull=False,
            completed_at__gte=period.start,
            completed_at__lt=period.end,
        )
        .order_by("completed_at", "id")
        .values_list("instance__definition__key", "spec_name", "title", "ready_at", "completed_at")
    )
    durations: dict[tuple[str, str], list[dt.timedelta]] = defaultdict(list)
    titles: dict[tuple[str, str], str] = {}
    for key, spec, title, ready_at, completed_at in rows:
        if ready_at is None:  # pragma: no cover - filtered out above
            continue
        durations[(key, spec)].append(completed_at - ready_at)
        titles[(key, spec)] = title  # the latest title drawn for the task
    found = [
        stage_time(key, names.get(key, ""), spec, titles[(key, spec)], taken)
        for (key, spec), taken in durations.items()
    ]
    return sorted(found, key=lambda s: (s.subject, -s.median, s.stage))


def _timed_tasks(visible: QuerySet[Any]) -> tuple[dict[Any, bpmn_facts.BpmnFacts], Q]:
    """The facts of the definitions the visible instances run, and a filter of the rows whose
    task has a timer on its border (the others have no deadline)."""
    definitions = ProcessDefinition.objects.filter(
        pk__in=ProcessInstance.objects.filter(pk__in=visible).values("definition_id")
    ).only("pk", "sha256", "bpmn_xml")
    facts = {d.pk: bpmn_facts.facts(d.sha256, d.bpmn_xml) for d in definitions}
    timed = Q(pk__in=[])
    for pk, known in facts.items():
        if known.timers:
            timed |= Q(instance__definition_id=pk, spec_name__in=sorted(known.timers))
    return facts, timed


def _deadline(facts: bpmn_facts.BpmnFacts | None, spec: str, ready_at: dt.datetime) -> dt.datetime | None:
    timers = facts.timers.get(spec, ()) if facts is not None else ()
    due = [when for when in (bpmn_facts.timer_due(t, ready_at) for t in timers) if when is not None]
    return min(due) if due else None


def _unit(agency_code: str | None, agency_name: str | None, party: str, remote: str = "") -> tuple[str, str]:
    if agency_code:
        return agency_code, agency_name or agency_code
    return remote or party, party or remote


def _deadlines(visible: QuerySet[Any], period: Period) -> list[Any]:
    facts, timed = _timed_tasks(visible)
    counter = DeadlineCounter()
    steps = ProcessStep.objects.filter(
        timed, instance__in=visible, completed_at__gte=period.start, completed_at__lt=period.end
    ).values_list(
        "instance__definition_id",
        "spec_name",
        "ready_at",
        "completed_at",
        "agency__code",
        "agency__name",
        "party",
    )
    for definition_id, spec, ready_at, completed_at, code, name, party in steps:
        due = _deadline(facts.get(definition_id), spec, ready_at) if ready_at is not None else None
        if due is not None:
            unit_key, unit = _unit(code, name, party)
            outcome = "met" if completed_at <= due else "missed"
            counter.add(unit_key=unit_key, unit=unit, month=month_of(completed_at), outcome=outcome)
    lapses = ProcessTaskLapse.objects.filter(
        timed, instance__in=visible, lapsed_at__gte=period.start, lapsed_at__lt=period.end
    ).values_list("lapsed_at", "agency__code", "agency__name", "party")
    for lapsed_at, code, name, party in lapses:
        unit_key, unit = _unit(code, name, party)
        counter.add(unit_key=unit_key, unit=unit, month=month_of(lapsed_at), outcome="missed")
    now = clock.now()
    # A deadline is never before the task became ready: tasks ready after the period cannot count.
    open_tasks = ProcessTask.objects.filter(
        timed, instance__in=visible, instance__status=InstanceStatus.RUNNING, since__lt=period.end
    ).values_list(
        "instance__definition_id", "spec_name", "since", "agency__code", "agency__name", "party", "remote"
    )
    for definition_id, spec, since, code, name, party, remote in open_tasks:
        due = _deadline(facts.get(definition_id), spec, since)
        if due is not None and due < now and period.holds(due):
            unit_key, unit = _unit(code, name, party, remote)
            counter.add(unit_key=unit_key, unit=unit, month=month_of(due), outcome="overdue")
    return counter.tallies()
