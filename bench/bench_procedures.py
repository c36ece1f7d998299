"""Run N instances of a BPMN procedure to their end two ways, in the same run, and compare the
time per task.

The process is the procedures tests' certificate request
(``src/govdoc/procedures/tests/bpmn/certificate_request.bpmn``): two lanes (``handler``,
``Head of unit``), an exclusive gateway on ``complete == True and "fee" in paid``, a parallel
split and join, a timer on the other branch. Every instance takes the same path with the same
data on both sides: started with ``{"applicant": "Ana Petrović <i>"}``, then four tasks in this
order: ``review`` (handler, ``{"complete": true, "paid": ["fee"]}``: the gateway takes the
complete branch and the split opens both checks), ``check_fees`` (head of unit, ``{}``),
``check_register`` (handler, ``{"register_entry": "RB-<i>"}``; the join opens the approval),
``approve`` (head of unit, ``{}``); the process ends.

1. GovDoc: ``procedures.services.instance_start`` by the handler, then per task the task's id
   read from the instance's work list (``selectors.instance_open_tasks``, as an official's page
   does) and ``procedures.services.task_complete`` by an official holding the lane's role, each
   call one transaction: the instance row locked, the actor's role checked in the lane's
   agency, the stored workflow JSON loaded (SpiffWorkflow's serializer, GovDoc's restricted
   script engine attached: gateway conditions go through GovDoc's safe evaluator), the task run
   up to the next waits, the workflow serialized again and stored with its next timer, the work
   list (``ProcessTask`` rows) rewritten, a ``ProcessStep`` row and a chained audit event
   written (an audit event for the start and for the end too). The definition is loaded once
   with ``services.definition_load`` before timing and its parse is cached, as in a running
   server.
2. The bare library: ``SpiffWorkflow`` imported directly here (none of GovDoc's code). The same
   BPMN file is parsed once (``BpmnParser``, not timed); per instance a ``BpmnWorkflow`` is made
   with SpiffWorkflow's default ``PythonScriptEngine`` (plain ``eval``), the start data given to
   its ready tasks, ``do_engine_steps`` run, and the workflow serialized to JSON text
   (``BpmnWorkflowSerializer``); per task the JSON is deserialized, the READY manual task of
   that name found (``get_tasks(state=READY, manual=True)``), the data put in its ``data``,
   ``run()`` and ``do_engine_steps()`` called and the workflow serialized again: what any use
   that keeps a workflow between two people's actions must do at least. Nothing is stored
   anywhere, no one is checked, nothing is recorded: a floor.

The two take turns, one instance each, after one warm-up instance each, so load from elsewhere
on a shared machine hits both alike. Before the clock starts the heap left by Django and the
set-up is frozen (``gc.freeze``): a full garbage collection of it takes about 0.1 s and would
fall on whichever side happened to allocate at that moment. The end of every run is checked:
every GovDoc instance is completed, and the process data of GovDoc's stored workflow (read with
the bare serializer) equals the bare workflow's.

Printed: instances/s and tasks/s (a task is one of the four completions; an instance's time
includes its start), the latency of one move (the ``task_complete`` call; the bare side's
deserialize + run + serialize) as median and 95th percentile, CPU time per task (this process;
on a local PostgreSQL also the database backend's), and the ratio GovDoc / bare of the time
per task. ``--stages`` then runs a further ``--stages-n`` GovDoc instances with every call into
``govdoc.procedures.engine`` timed and every SQL statement counted and timed (a Django
``execute_wrapper``): where GovDoc's time per task goes, the start's share and the work-list
reads included (SpiffWorkflow through the engine; SQL, the time inside the cursor's ``execute``;
the rest: building queries and model objects, role checks, the audit chain's hashing, Python).
Those instances are not in the figures above. ``--queries`` prints the SQL of one instance's
moves.

Database: PostgreSQL when ``GOVDOC_DATABASE_URL`` is set (the database must exist, e.g.
``createdb -h 127.0.0.1 -U postgres govdoc_procbench``; migrated if needed), else SQLite in a
temporary ``GOVDOC_HOME``.

    .venv/bin/python bench/bench_procedures.py -n 200 --stages
    GOVDOC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/govdoc_procbench \
        .venv/bin/python bench/bench_procedures.py -n 200 --stages
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROCESS = ROOT / "src" / "govdoc" / "procedures" / "tests" / "bpmn" / "certificate_request.bpmn"
PROCESS_KEY = "certificate_request"


def start_data(i: int) -> dict[str, Any]:
    return {"applicant": f"Ana Petrović {i}"}


def path(i: int) -> list[tuple[str, str, dict[str, Any]]]:
    """The tasks of instance ``i`` in order: (BPMN id, who completes it, the data given)."""
    return [
        ("review", "handler", {"complete": True, "paid": ["fee"]}),
        ("check_fees", "head", {}),
        ("check_register", "handler", {"register_entry": f"RB-{i}"}),
        ("approve", "head", {}),
    ]


TASKS_PER_INSTANCE = 4


# ------------------------------------------------------------------ measuring


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _database_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend on this machine (0 on SQLite, which
    runs in-process and is in this process's CPU time, or on a remote server)."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor != "postgresql" or settings.get("HOST") not in ("127.0.0.1", "localhost", ""):
        return 0.0
    connection.ensure_connection()
    return _cpu_seconds(connection.connection.info.backend_pid)


@dataclass
class Side:
    """One side's clock: wall time and CPU per instance, and every move's latency."""

    label: str
    wall: float = 0.0
    cpu: float = 0.0
    db_cpu: float = 0.0
    instances: int = 0
    moves: list[float] = field(default_factory=list)  # seconds, one per task completed
    starts: list[float] = field(default_factory=list)  # seconds, one per instance started

    def run(self, one: Callable[[], None]) -> None:
        cpu, db, t0 = time.process_time(), _database_cpu(), time.perf_counter()
        one()
        self.wall += time.perf_counter() - t0
        self.cpu += time.process_time() - cpu
        self.db_cpu += _database_cpu() - db
        self.instances += 1

    @property
    def tasks(self) -> int:
        return self.instances * TASKS_PER_INSTANCE

    def per_task_ms(self) -> float:
        return self.wall / self.tasks * 1000

    def line(self) -> str:
        moves = sorted(self.moves)
        p95 = moves[min(len(moves) - 1, round(0.95 * (len(moves) - 1)))]
        cpu = f"{self.cpu / self.tasks * 1000:7.2f}"
        if self.db_cpu:
            cpu += f" + database {self.db_cpu / self.tasks * 1000:.2f}"
        return (
            f"  {self.label:<8} {self.instances / self.wall:11.1f} {self.tasks / self.wall:8.1f}"
            f" {self.per_task_ms():8.2f} {statistics.median(moves) * 1000:12.2f} {p95 * 1000:9.2f}"
            f" {statistics.median(self.starts) * 1000:13.2f} {cpu}"
        )


HEADER = "           instances/s  tasks/s  ms/task  move median  move p95  start median  CPU ms/task"


# ------------------------------------------------------------------ setup


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdoc.settings")
    import django

    django.setup()
    logging.disable(logging.WARNING)


@dataclass
class Office:
    agency: Any
    handler: Any
    head: Any
    definition: Any


def prepare() -> Office:
    """Migrate; an agency with a unit, a handler and a head of unit (the accounts services), and
    the process definition (loaded by a system actor, as ``govdoc procedures_install`` does)."""
    from django.core.management import call_command

    from govdoc.accounts.constants import Role
    from govdoc.accounts.services import agency_create, membership_grant, person_create, unit_create
    from govdoc.procedures import services

    call_command("migrate", verbosity=0)
    code = f"bench{secrets.token_hex(3)}"
    agency = agency_create(code=code, name="Ministarstvo unutrašnjih poslova", actor="bench")
    unit = unit_create(agency=agency, code="uprava", name="Uprava za upravne poslove", actor="bench")
    people = {}
    for who, role in (("handler", Role.HANDLER), ("head", Role.HEAD_OF_UNIT)):
        person = person_create(username=f"{code}-{who}", password=None, last_name=who, actor="bench")
        membership_grant(person=person, unit=unit, role=role, actor="bench")
        people[who] = person
    definition = services.definition_load(xml_bytes=PROCESS.read_bytes(), actor="bench")
    return Office(agency=agency, handler=people["handler"], head=people["head"], definition=definition)


# ------------------------------------------------------------------ GovDoc


def govdoc_instance(office: Office, i: int, side: Side | None, run: str) -> Any:
    """One instance started and run to its end through GovDoc's services."""
    from govdoc.procedures import services
    from govdoc.procedures.selectors import instance_open_tasks

    t0 = time.perf_counter()
    instance = services.instance_start(
        definition=office.definition,
        agency=office.agency,
        actor=office.handler,
        data=start_data(i),
        title="Uverenje o državljanstvu",
        business_key=f"{run}-{i}",
    )
    if side is not None:
        side.starts.append(time.perf_counter() - t0)
    for spec_name, who, data in path(i):
        task_id = next(
            str(t.task_id) for t in instance_open_tasks(instance=instance) if t.spec_name == spec_name
        )
        t0 = time.perf_counter()
        services.task_complete(instance=instance, task_id=task_id, actor=getattr(office, who), data=data)
        if side is not None:
            side.moves.append(time.perf_counter() - t0)
    return instance


# ------------------------------------------------------------------ the bare library


class Bare:
    """SpiffWorkflow alone: the same file parsed once, the workflow kept as JSON text."""

    def __init__(self) -> None:
        from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
        from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

        parser = BpmnParser()
        parser.add_bpmn_file(str(PROCESS))
        self.spec = parser.get_spec(PROCESS_KEY)
        self.subprocess_specs = parser.get_subprocess_specs(PROCESS_KEY)
        self.serializer = BpmnWorkflowSerializer()

    def instance(self, i: int, side: Side | None) -> str:
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState

        t0 = time.perf_counter()
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(start_data(i))
        workflow.do_engine_steps()
        state = self.serializer.serialize_json(workflow)
        if side is not None:
            side.starts.append(time.perf_counter() - t0)
        for spec_name, _who, data in path(i):
            t0 = time.perf_counter()
            workflow = self.serializer.deserialize_json(state)
            task = next(
                t
                for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                if t.task_spec.name == spec_name
            )
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            state = self.serializer.serialize_json(workflow)
            if side is not None:
                side.moves.append(time.perf_counter() - t0)
        return state

    def last_data(self, state: str) -> dict[str, Any]:
        workflow = self.serializer.deserialize_json(state)
        assert workflow.completed, "the bare workflow did not end"
        return dict(workflow.last_task.data)


# ------------------------------------------------------------------ where GovDoc's time goes


@dataclass
class Stages:
    engine: float = 0.0
    engine_calls: dict[str, float] = field(default_factory=dict)
    sql: float = 0.0
    queries: int = 0
    depth: int = 0


@contextmanager
def stages_timed(stages: Stages, *, show_sql: bool = False) -> Iterator[None]:
    """Every call into ``govdoc.procedures.engine`` (outermost calls only) and every SQL
    statement timed while the block runs."""
    from django.db import connection

    from govdoc.procedures import engine

    names = (
        "workflow_new",
        "workflow_load",
        "workflow_dump",
        "task_run",
        "open_task",
        "open_tasks",
        "next_timer_at",
        "is_completed",
    )
    originals = {name: getattr(engine, name) for name in names}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if stages.depth:
                return function(*args, **kwargs)
            stages.depth += 1
            t0 = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.perf_counter() - t0
                stages.depth -= 1
                stages.engine += spent
                stages.engine_calls[name] = stages.engine_calls.get(name, 0.0) + spent

        return wrapper

    def sql(execute: Any, statement: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            stages.sql += time.perf_counter() - t0
            stages.queries += 1
            if show_sql:
                print(f"    {statement[:160]}")

    for name, function in originals.items():
        setattr(engine, name, timed(name, function))
    try:
        with connection.execute_wrapper(sql):
            yield
    finally:
        for name, function in originals.items():
            setattr(engine, name, function)


def stages_run(office: Office, n: int, run: str, bare: Bare) -> None:
    """``n`` more GovDoc instances with the engine and SQL timed; the split per task."""
    stages, side = Stages(), Side("GovDoc")
    with stages_timed(stages):
        for i in range(n):
            side.run(lambda i=i: govdoc_instance(office, i, side, f"{run}-stages"))
    bare_side = Side("bare")
    for i in range(n):
        bare_side.run(lambda i=i: bare.instance(i, bare_side))
    tasks = side.tasks
    total = side.wall / tasks * 1000
    engine_ms, sql_ms = stages.engine / tasks * 1000, stages.sql / tasks * 1000
    print(
        f"where GovDoc's time per task goes ({n} more instances; "
        "the start's share and the work-list reads included):"
    )
    print(f"  {'all':<34} {total:6.2f} ms   (bare SpiffWorkflow: {bare_side.per_task_ms():6.2f} ms)")
    print(f"  {'SpiffWorkflow through engine.py':<34} {engine_ms:6.2f} ms")
    for name, spent in sorted(stages.engine_calls.items(), key=lambda kv: -kv[1]):
        print(f"    {name:<32} {spent / tasks * 1000:6.2f} ms")
    print(f"  {'SQL statements':<34} {sql_ms:6.2f} ms   ({stages.queries / tasks:.1f} per task)")
    print(f"  {'the rest (ORM, checks, audit...)':<34} {total - engine_ms - sql_ms:6.2f} ms")


def queries_show(office: Office, run: str) -> None:
    from govdoc.procedures import services
    from govdoc.procedures.selectors import instance_open_tasks

    stages = Stages()
    print("SQL of one instance's moves:")
    print("  instance_start:")
    with stages_timed(stages, show_sql=True):
        instance = services.instance_start(
            definition=office.definition,
            agency=office.agency,
            actor=office.handler,
            data=start_data(0),
            business_key=f"{run}-sql",
        )
    for spec_name, who, data in path(0):
        task_id = next(
            str(t.task_id) for t in instance_open_tasks(instance=instance) if t.spec_name == spec_name
        )
        print(f"  task_complete {spec_name}:")
        with stages_timed(stages, show_sql=True):
            services.task_complete(instance=instance, task_id=task_id, actor=getattr(office, who), data=data)


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=200, help="instances per side (default 200)")
    parser.add_argument(
        "--stages", action="store_true", help="also time engine calls and SQL in GovDoc's moves"
    )
    parser.add_argument("--stages-n", type=int, default=50, help="instances for --stages (default 50)")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one instance's moves")
    args = parser.parse_args(argv)

    own_home = None
    if "GOVDOC_HOME" not in os.environ:
        own_home = tempfile.TemporaryDirectory(prefix="govdoc-bench-procedures-")
        os.environ["GOVDOC_HOME"] = own_home.name
    django_setup()
    import SpiffWorkflow
    from django.db import connection

    from govdoc.procedures.models import ProcessInstance

    office = prepare()
    bare = Bare()
    run = f"BENCH-{secrets.token_hex(3)}"
    n = args.n
    print(
        f"{n} instances of {PROCESS_KEY} per side, {TASKS_PER_INSTANCE} tasks each "
        f"(lanes, exclusive gateway, parallel split and join); database {connection.vendor}; "
        f"SpiffWorkflow {getattr(SpiffWorkflow, '__version__', '?')}; {os.cpu_count()} CPUs; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    govdoc_instance(office, -1, None, f"{run}-warm")  # warm-up: imports, the definition's parse
    bare.instance(-1, None)
    # Django, GovDoc and the set-up leave a large heap: one full garbage collection of it takes
    # about 0.1 s and falls on whichever side happens to allocate at that moment. Frozen, it is
    # no longer scanned; the collections of what each side allocates still count where they fall.
    gc.collect()
    gc.freeze()
    govdoc, floor = Side("GovDoc"), Side("bare")
    last: tuple[Any, str] | None = None
    for i in range(n):
        govdoc.run(lambda i=i: govdoc_instance(office, i, govdoc, run))
        kept: list[str] = []
        floor.run(lambda i=i, kept=kept: kept.append(bare.instance(i, floor)))
        last = (i, kept[0])

    done = ProcessInstance.objects.filter(business_key__startswith=f"{run}-").exclude(
        business_key__startswith=f"{run}-warm"
    )
    completed = done.filter(status="completed").count()
    if completed != n:
        raise SystemExit(f"only {completed} of {n} GovDoc instances completed")
    assert last is not None
    stored = ProcessInstance.objects.get(business_key=f"{run}-{last[0]}").state
    if bare.last_data(stored) != bare.last_data(last[1]):
        raise SystemExit("GovDoc's process data differs from the bare workflow's")

    print(HEADER)
    print(govdoc.line())
    print(floor.line())
    print(
        f"ratio GovDoc / bare, time per task: x{govdoc.per_task_ms() / floor.per_task_ms():.1f}; "
        f"median move x{statistics.median(govdoc.moves) / statistics.median(floor.moves):.1f}"
    )
    if args.stages:
        stages_run(office, args.stages_n, run, bare)
    if args.queries:
        queries_show(office, run)
    print(f"load after the run: {os.getloadavg()[0]:.2f} (1 min)")
    if own_home is not None:
        own_home.cleanup()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
