"""The officials' performance page (issue 9 §6): for the procedures and services of their
agencies, how many run, where they wait, how long each stage takes and the deadlines met and
missed per unit and month, each as a bar chart drawn on the server (inline SVG: no script, no
inline style, so the strict Content-Security-Policy holds) with a table of the same figures
below it, and each table as a CSV file (``?format=csv&table=...``).

The figures are aggregates (no person, no application), so opening the page is not a
personal-data access. The reads are ``procedures.performance`` and ``applications.performance``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import agency_ids_of
from govdoc.applications.performance import services_of_agencies, services_performance
from govdoc.core import clock
from govdoc.core.downloads import content_disposition
from govdoc.core.performance import Performance, Period
from govdoc.procedures.drawn_names import name_shown
from govdoc.procedures.performance import procedure_names, procedures_performance
from govdoc.web.language import page_script, typed_in_script
from govdoc.web.procedures import may_manage_definitions
from govdoc.web.staff import official_required

# The longest period one page adds up (ten years of months).
MONTHS_MAX = 120

# Chart geometry (SVG user units; the chart scales to the page's width).
CHART_WIDTH = 640
BAR_MAX = 470
LABEL_HEIGHT = 18
BAR_HEIGHT = 12
BAR_GAP = 3
ROW_GAP = 10


@dataclass(frozen=True)
class Cell:
    shown: str  # on the page
    exported: str  # in the CSV file (numbers as digits: minutes, counts)
    foreign: bool = False  # a name drawn in a BPMN file, not in the page's language


def _named(text: str, *, drawn: bool) -> Cell:
    """A cell naming a procedure or a task (drawn: a shipped procedure's names in the page's
    language, others as drawn) or a service (``drawn`` False: already in the page's script)."""
    if not drawn:
        return Cell(text, text)
    shown, in_page_language = name_shown(text)
    return Cell(shown, shown, foreign=not in_page_language)


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text | drawn (as a process's author drew it) | number


@dataclass(frozen=True)
class Bar:
    series: str  # a CSS class: count, median, slowest, met, missed, overdue
    y: str
    width: str
    text: str
    text_x: str
    text_y: str


@dataclass(frozen=True)
class ChartRow:
    label: str
    label_y: str
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    rows: list[ChartRow]
    height: str
    width: str = str(CHART_WIDTH)
    legend: list[tuple[str, str]] = field(default_factory=list)  # series, its name


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    chart: Chart | None
    note: str = ""

    @property
    def lines(self) -> list[list[tuple[Column, Cell]]]:
        """The rows with each cell's column (its title labels the cell on a narrow screen)."""
        return [list(zip(self.columns, row, strict=True)) for row in self.rows]


def _me(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)
    return request.user


def _month(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{value}-01") if len(value) == 7 else None
    except ValueError:
        return None


def _period(request: HttpRequest) -> Period:
    """The months asked for (``from``, ``to``: 2027-03), else the last twelve up to this one."""
    this_month = clock.today_local().replace(day=1)
    first, last = _month(request.GET.get("from", "")), _month(request.GET.get("to", ""))
    last = last or this_month
    first = first or Period.months_to(last).first
    if first > last:
        first, last = last, first
    if (last.year - first.year) * 12 + last.month - first.month >= MONTHS_MAX:
        first = Period.months_to(last, MONTHS_MAX).first
    return Period(first, last)


def duration_text(value: dt.timedelta) -> str:
    """A stage's time as a person reads it: 2 d 3 h, 5 h 20 min, 12 min."""
    minutes = round(value.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": mins}
    return _("%(minutes)d min") % {"minutes": mins}


def _minutes(value: dt.timedelta) -> str:
    return str(round(value.total_seconds() / 60))


def _chart(
    rows: list[tuple[str, list[tuple[str, float, str]]]], legend: list[tuple[str, str]]
) -> Chart | None:
    """Horizontal bars: per row its label, then one bar per series (series, value, text), all
    scaled to the largest value of the chart."""
    if not rows:
        return None
    top = max((value for _label, bars in rows for _s, value, _t in bars), default=0) or 1
    drawn, y = [], 0
    for label, bars in rows:
        label_y = y + LABEL_HEIGHT - 5
        y += LABEL_HEIGHT
        row_bars = []
        for series, value, text in bars:
            width = max(round(BAR_MAX * value / top, 1), 1.0 if value else 0.0)
            row_bars.append(
                Bar(
                    series=series,
                    y=str(y),
                    width=f"{width:.1f}",
                    text=text,
                    text_x=f"{width + 6:.1f}",
                    text_y=str(y + BAR_HEIGHT - 2),
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        drawn.append(ChartRow(label=label, label_y=str(label_y), bars=row_bars))
        y += ROW_GAP
    return Chart(rows=drawn, height=str(y), legend=legend)


def _tables(prefix: str, figures: Performance, *, script: str) -> list[Table]:
    """The four tables of one kind (procedures or services), each with its chart."""
    procedures = prefix == "procedures"
    subject = _("Procedure") if procedures else _("Service")
    stage = _("Task") if procedures else _("Status")
    name_kind = "drawn" if procedures else "text"
    stage_kind = "drawn" if procedures else "text"
    count, median, slowest = _("Count"), _("Median"), _("Slowest")
    met, missed, overdue = _("Met"), _("Missed"), _("Open past the deadline")

    def named(text: str) -> Cell:
        return _named(text, drawn=procedures)

    running = Table(
        name=f"{prefix}-running",
        title=_("Running now") if procedures else _("Open applications now"),
        columns=[Column(subject, name_kind), Column(count, "number")],
        rows=[[named(r.subject), Cell(str(r.count), str(r.count))] for r in figures.running],
        chart=_chart(
            [(named(r.subject).shown, [("count", r.count, str(r.count))]) for r in figures.running],
            [],
        ),
    )
    waiting = Table(
        name=f"{prefix}-waiting",
        title=_("Where they wait now"),
        columns=[Column(subject, name_kind), Column(stage, stage_kind), Column(count, "number")],
        rows=[
            [
                named(w.subject),
                named(w.stage),
                Cell(str(w.count), str(w.count)),
            ]
            for w in figures.waiting
        ],
        chart=_chart(
            [
                (
                    f"{named(w.subject).shown} — {named(w.stage).shown}",
                    [("count", w.count, str(w.count))],
                )
                for w in figures.waiting
            ],
            [],
        ),
    )
    stages = Table(
        name=f"{prefix}-stages",
        title=_("How long each stage takes"),
        columns=[
            Column(subject, name_kind),
            Column(stage, stage_kind),
            Column(_("Ended"), "number"),
            Column(median, "number"),
            Column(slowest, "number"),
        ],
        rows=[
            [
                named(s.subject),
                named(s.stage),
                Cell(str(s.count), str(s.count)),
                Cell(duration_text(s.median), _minutes(s.median)),
                Cell(duration_text(s.slowest), _minutes(s.slowest)),
            ]
            for s in figures.stage_times
        ],
        chart=_chart(
            [
                (
                    f"{named(s.subject).shown} — {named(s.stage).shown}",
                    [
                        ("median", s.median.total_seconds(), duration_text(s.median)),
                        ("slowest", s.slowest.total_seconds(), duration_text(s.slowest)),
                    ],
                )
                for s in figures.stage_times
            ],
            [("median", median), ("slowest", slowest)],
        ),
        note=_(
            "Times from when a stage began to when it ended, for the stages that ended in the period; "
            "the CSV file gives them in minutes."
        ),
    )
    deadlines = Table(
        name=f"{prefix}-deadlines",
        title=_("Deadlines met and missed, per unit and month"),
        columns=[
            Column(_("Unit")),
            Column(_("Month")),
            Column(met, "number"),
            Column(missed, "number"),
            Column(overdue, "number"),
        ],
        rows=[
            [
                Cell(typed_in_script(d.unit, script), d.unit),
                Cell(d.month, d.month),
                Cell(str(d.met), str(d.met)),
                Cell(str(d.missed), str(d.missed)),
                Cell(str(d.overdue), str(d.overdue)),
            ]
            for d in figures.deadlines
        ],
        chart=_chart(
            [
                (
                    f"{typed_in_script(d.unit, script)}, {d.month}",
                    [
                        ("met", d.met, str(d.met)),
                        ("missed", d.missed, str(d.missed)),
                        ("overdue", d.overdue, str(d.overdue)),
                    ],
                )
                for d in figures.deadlines
            ],
            [("met", met), ("missed", missed), ("overdue", overdue)],
        ),
        note=(
            _(
                "A task's deadline is the earliest timer drawn on its border; "
                "a task a timer took away counts as missed."
            )
            if procedures
            else _(
                "The legal deadline in working days against the day of the decision; withdrawn applications "
                "without a decision do not count."
            )
        ),
    )
    return [running, waiting, stages, deadlines]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: str) -> str:
    """A text cell a spreadsheet would run as a formula is kept as text (OWASP CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) and not value.lstrip("-").isdigit() else value


def _csv(table: Table, period: Period) -> HttpResponse:
    """One table as CSV: UTF-8 with a BOM (so spreadsheets read Serbian letters), one header row."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            f"{c.title} ({_('minutes')})" if table.name.endswith("-stages") and i >= 3 else c.title
            for i, c in enumerate(table.columns)
        ]
    )
    for row in table.rows:
        writer.writerow([_safe(cell.exported) for cell in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(
        f"govdoc-{table.name}-{period.first:%Y-%m}-{period.last:%Y-%m}.csv"
    )
    return response


@official_required
@require_safe
def performance(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    script = page_script(request)
    agency_ids = agency_ids_of(person=me)
    period = _period(request)
    # in the order the reader reads their names (a shipped procedure's, translated)
    procedures = sorted(procedure_names().items(), key=lambda item: name_shown(item[1])[0])
    services = [(s.code, s.name_in(script)) for s in services_of_agencies(agency_ids=agency_ids)]
    key = request.GET.get("procedure", "")
    key = key if key in dict(procedures) else ""
    code = request.GET.get("service", "")
    code = code if code in dict(services) else ""
    tables = [
        *_tables(
            "procedures",
            procedures_performance(agency_ids=agency_ids, period=period, key=key),
            script=script,
        ),
        *_tables(
            "services",
            services_performance(agency_ids=agency_ids, period=period, code=code, script=script),
            script=script,
        ),
    ]
    if request.GET.get("format") == "csv":
        wanted = next((t for t in tables if t.name == request.GET.get("table", "")), None)
        if wanted is None:
            raise Http404(_("No such table."))
        return _csv(wanted, period)
    query = urlencode(
        [
            (name, value)
            for name, value in (
                ("procedure", key),
                ("service", code),
                ("from", f"{period.first:%Y-%m}"),
                ("to", f"{period.last:%Y-%m}"),
            )
            if value
        ]
    )
    return render(
        request,
        "web/performance.html",
        {
            "may_manage_definitions": may_manage_definitions(me),
            "procedure_tables": tables[:4],
            "service_tables": tables[4:],
            "procedures": procedures,
            "services": services,
            "chosen_procedure": key,
            "chosen_service": code,
            "period_from": f"{period.first:%Y-%m}",
            "period_to": f"{period.last:%Y-%m}",
            "query": query,
        },
    )
