"""First use of a ``GOVDOC_HOME``: the database, the development PKI and (for ``govdoc demo``,
or when ``GOVDOC_DEMO_DATA=1``) the demo agencies, people and services. Every ``govdoc`` command
calls ``prepare``."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from collections.abc import Callable, Iterator

import django

from govdoc.cli import language

Progress = Callable[[str], None]


def stderr_progress(message: str) -> None:
    print(f"govdoc: {message}", file=sys.stderr, flush=True)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdoc.settings")
    django.setup()
    language.django_follow()


# Any constant will do: the key of PostgreSQL's advisory lock that one process at a time holds
# while it migrates ("GovDoc" in ASCII).
_MIGRATION_LOCK_KEY = 0x476F76446F63


@contextlib.contextmanager
def _home_lock() -> Iterator[None]:
    """One process of this machine at a time prepares ``GOVDOC_HOME`` (database file, PKI
    files, demo data): ``govdoc serve`` and ``govdoc worker`` started together would otherwise
    both create them. The lock is released when the process ends, however it ends."""
    from django.conf import settings

    path = settings.HOME / ".prepare.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _database_lock() -> Iterator[None]:
    """Across machines sharing one PostgreSQL database, one process at a time migrates it
    (a session-level advisory lock, freed if the process dies)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_MIGRATION_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_MIGRATION_LOCK_KEY])


def migrate(progress: Progress) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    with _database_lock():
        # The plan is read under the lock: a process that waited finds the work done.
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            progress(f"preparing the database ({len(plan)} migrations)")
            call_command("migrate", interactive=False, verbosity=0)


def demo_data_enabled(*, demo: bool = False) -> bool:
    """Demo people (two of them administrators with a published password) are loaded only by
    ``govdoc demo`` or when ``GOVDOC_DEMO_DATA=1`` asks for them: ``govdoc serve``, ``govdoc
    worker`` and every other command start an installation without anyone in it."""
    raw = os.environ.get("GOVDOC_DEMO_DATA")
    if raw is not None and raw.strip():
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return demo


def prepare(*, progress: Progress = stderr_progress, with_pki: bool = True, demo: bool = False) -> None:
    setup_django()
    from django.conf import settings

    from govdoc.core import home

    with _home_lock():
        # A home made by an earlier version may hold world-readable files: close it once.
        changed = home.tighten(settings.HOME)
        if changed:
            progress(f"{settings.HOME}: {changed} files or folders made private to this user (0600/0700)")
        migrate(progress)
        if with_pki:
            from govdoc.signatures import keyring

            keyring.ensure(progress=progress)
        if demo_data_enabled(demo=demo):
            from govdoc.cli import demo_data

            demo_data.ensure(progress=progress)
