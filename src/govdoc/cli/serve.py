"""Running GovDoc: the web server (waitress), the worker (django-tasks' database worker plus
heartbeats and the periodic jobs), and the embedded default that starts both."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from types import FrameType

from govdoc.cli import bootstrap


def _collect_static() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _banner(host: str, port: int, *, demo: bool) -> None:
    from django.conf import settings

    from govdoc.cli import demo_data

    url = f"http://{host}:{port}"
    lines = [
        "",
        f"GovDoc is running at {url}/",
        f"  data folder (GOVDOC_HOME): {settings.HOME}",
        f"  admin:                     {url}/admin/",
        f"  API (OpenAPI):             {url}/api/v1/docs",
        "",
    ]
    if bootstrap.demo_data_enabled(demo=demo):
        lines.append("Demo logins (password, then who):")
        lines += [f"  {user:<12} {pw:<18} {what}" for user, pw, what in demo_data.logins()]
        lines.append(f"  officials' signing PIN: {demo_data.DEMO_SIGNING_PIN}")
        lines.append("Officials' second factor: add the secret to an authenticator app (TOTP, 30 s),")
        lines.append("or print the current code with `govdoc demo-totp USERNAME`:")
        lines += [f"  {user:<12} {secret}" for user, secret in demo_data.totp_secrets()]
        lines.append("")
    lines.append("Stop with Ctrl-C.")
    print("\n".join(lines), flush=True)


def run_web(*, host: str, port: int, threads: int = 8, demo: bool = False) -> int:
    """The web server; ``demo``: the one ``govdoc demo`` starts (demo data, a banner with logins)."""
    bootstrap.prepare(demo=demo)
    _collect_static()
    from django.conf import settings

    from govdoc.cli import webserver
    from govdoc.wsgi import application

    server = webserver.create(
        application,
        **webserver.options(
            host=host,
            port=port,
            threads=threads,
            idle_timeout=settings.GOVDOC_HTTP_IDLE_TIMEOUT,
            connection_limit=settings.GOVDOC_HTTP_CONNECTION_LIMIT,
            max_body=settings.GOVDOC_MAX_REQUEST_BYTES,
        ),
    )
    _banner(host, port, demo=demo)
    server.run()
    return 0


def _scheduler_loop(stop: threading.Event, *, worker_id: str) -> None:
    """Beside the task loop: say this worker is alive, and enqueue the periodic jobs that are
    due (once across all workers). A failure is reported and tried again at the next beat."""
    from django.db import close_old_connections

    from govdoc.cli.schedule import periodic_specs
    from govdoc.jobs.constants import heartbeat_seconds
    from govdoc.jobs.services import periodic_tick, worker_beat

    specs = periodic_specs()
    while True:
        close_old_connections()
        try:
            worker_beat(worker_id=worker_id)
            periodic_tick(specs=specs)
        except Exception as exc:  # the database may be away for a moment; the next beat retries
            print(f"govdoc worker: scheduler: {exc}", file=sys.stderr, flush=True)
        if stop.wait(heartbeat_seconds()):
            return


def run_worker() -> int:
    bootstrap.prepare()
    from django.core.management import call_command

    from govdoc.jobs.services import worker_id_new, worker_stopped

    worker_id = worker_id_new()
    stop = threading.Event()
    ticker = threading.Thread(
        target=_scheduler_loop, args=(stop,), kwargs={"worker_id": worker_id}, daemon=True, name="scheduler"
    )
    ticker.start()
    try:
        # One line per task only when asked for (GOVDOC_LOG_LEVEL=INFO): periodic jobs run
        # every half minute and would fill the demo's terminal.
        verbosity = 1 if logging.getLogger().getEffectiveLevel() <= logging.INFO else 0
        call_command("db_worker", interval=0.5, verbosity=verbosity, worker_id=worker_id)
    finally:
        stop.set()
        ticker.join(timeout=5)
        worker_stopped(worker_id=worker_id)
    return 0


def run_demo(*, host: str, port: int, with_worker: bool = True) -> int:
    bootstrap.prepare(demo=True)
    worker: subprocess.Popen[bytes] | None = None
    if with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "govdoc.cli.main", "worker"])

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        return run_web(host=host, port=port, demo=True)
    except KeyboardInterrupt:
        return 0
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
