"""Fixtures for federation tests: two real GovDoc nodes that trust each other (harness.py).

A test module gives its nodes more settings by overriding ``node_extra_env``::

    @pytest.fixture
    def node_extra_env() -> dict[str, dict[str, str]]:
        return {NODE_B: {"GOVDOC_TASK_MAX_ATTEMPTS": "2"}}

or per test with ``@pytest.mark.parametrize("node_extra_env", [{...}], indirect=True)``.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path

import pytest

from tests.federation import harness


def _run_database_is_postgres() -> bool:
    return os.environ.get("GOVDOC_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.fixture(autouse=True)
def _only_in_the_postgres_run() -> None:
    """Federation tests run in the PostgreSQL pass of the suite only. The nodes make their own
    PostgreSQL databases whatever the run's database is, so the SQLite pass would run the same
    tests a second time (minutes each) and prove nothing more. A skip, never a failure, even
    with GOVDOC_REQUIRE_TOOLS=1: nothing is missing, they run in the other pass."""
    if not _run_database_is_postgres():
        pytest.skip(
            "federation tests run in the PostgreSQL pass (GOVDOC_DATABASE_URL=postgres://...): "
            "the nodes need PostgreSQL, and the SQLite pass would run them twice"
        )


@pytest.fixture
def node_extra_env(request: pytest.FixtureRequest) -> Mapping[str, Mapping[str, str]]:
    """More environment for the nodes, by node id (none unless a test asks)."""
    param: Mapping[str, Mapping[str, str]] = getattr(request, "param", {})
    return param


@pytest.fixture
def two_nodes(tmp_path: Path, node_extra_env: Mapping[str, Mapping[str, str]]) -> Iterator[harness.TwoNodes]:
    """Nodes rs-a.test and rs-b.test, fresh for each test: own database, home and PKI, the demo
    agencies, ``govdoc serve`` and ``govdoc worker`` each, trusting each other. Everything is
    stopped and dropped afterwards, also when the test (or the start) failed. A start takes
    15-25 s on two cores: a test checks what one set-up makes possible, not one fact."""
    problem = harness.postgres_problem()
    if problem is not None:
        if os.environ.get("GOVDOC_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{problem} (GOVDOC_REQUIRE_TOOLS=1)")
        pytest.skip(problem)
    with harness.two_nodes_running(tmp_path, extra_env=node_extra_env) as nodes:
        yield nodes


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing test shows the end of its nodes' logs: what the servers and workers said is
    usually the reason, and the test's own output cannot show it."""
    report = yield
    if report.when == "call" and report.failed:
        funcargs = getattr(item, "funcargs", {})
        for value in funcargs.values():
            nodes = value if isinstance(value, harness.TwoNodes) else [value]
            for node in nodes:
                if isinstance(node, harness.Node):
                    for role in ("web", "worker"):
                        report.sections.append((f"{node.node_id} {role} log", node.log_tail(role)))
    return report
