"""``govdoc serve`` and ``govdoc worker`` started at the same moment on a fresh installation:
one of them prepares the database, the PKI and the demo data, the other waits and finds them
ready; neither crashes. (Found: both ran the migrations on a fresh PostgreSQL database and the
web server died.)"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.slow

STARTS = 3


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database next to the test database."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the race was between migrations on a shared server database")
    s = connection.settings_dict
    admin = f"postgresql://{s['USER']}@{s['HOST']}:{s['PORT']}/postgres"
    name = f"govdoc_fresh_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start_together(home: Path, database_url: str | None) -> list[subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVDOC_", "DJANGO_"))}
    env["GOVDOC_HOME"] = str(home)
    env["GOVDOC_DEMO_DATA"] = "1"  # the demo agencies (mup, ...) are asked for explicitly
    if database_url:
        env["GOVDOC_DATABASE_URL"] = database_url
    # each prepares the installation exactly as `govdoc serve` and `govdoc worker` do, then
    # reports the PKI (a command that needs the database, the PKI and the demo data ready)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "govdoc.cli.main", "pki", "status", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(STARTS)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


def test_processes_started_together_on_a_fresh_sqlite_home_all_come_up(tmp_path: Path) -> None:
    results = _start_together(tmp_path / "home", None)
    assert [r.returncode for r in results] == [0] * STARTS, [r.stderr[-1500:] for r in results]
    preparing = [r for r in results if "preparing the database" in r.stderr]
    assert len(preparing) == 1  # one migrated; the others found it done


def test_processes_started_together_on_a_fresh_postgres_database_all_come_up(
    tmp_path: Path, fresh_postgres: str
) -> None:
    results = _start_together(tmp_path / "home", fresh_postgres)
    assert [r.returncode for r in results] == [0] * STARTS, [r.stderr[-1500:] for r in results]
    assert len([r for r in results if "preparing the database" in r.stderr]) == 1
