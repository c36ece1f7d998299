"""First use of a ``GOVDOC_HOME``: the database, the development PKI and (for the embedded
default) the demo agencies, people and services. Every ``govdoc`` command calls ``prepare``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import django

Progress = Callable[[str], None]


def stderr_progress(message: str) -> None:
    print(f"govdoc: {message}", file=sys.stderr, flush=True)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdoc.settings")
    django.setup()


def migrate(progress: Progress) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        progress(f"preparing the database ({len(plan)} migrations)")
        call_command("migrate", interactive=False, verbosity=0)


def demo_data_enabled() -> bool:
    from django.conf import settings

    raw = os.environ.get("GOVDOC_DEMO_DATA")
    if raw is not None:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    # The embedded default (SQLite) is a demonstration; a server database starts empty.
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"))


def prepare(*, progress: Progress = stderr_progress, with_pki: bool = True) -> None:
    setup_django()
    migrate(progress)
    if with_pki:
        from govdoc.signatures import keyring

        keyring.ensure(progress=progress)
    if demo_data_enabled():
        from govdoc.cli import demo_data

        demo_data.ensure(progress=progress)
