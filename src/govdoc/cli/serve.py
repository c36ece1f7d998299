"""Running GovDoc: the web server (waitress), the worker (django-tasks' database worker plus
periodic audit checkpoints), and the embedded default that starts both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from types import FrameType

from govdoc.cli import bootstrap

CHECKPOINT_EVERY_SECONDS = int(os.environ.get("GOVDOC_CHECKPOINT_INTERVAL", "600"))


def _collect_static() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _banner(host: str, port: int) -> None:
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
    if bootstrap.demo_data_enabled():
        lines.append("Demo logins (password, then who):")
        lines += [f"  {user:<12} {pw:<18} {what}" for user, pw, what in demo_data.logins()]
        lines.append(f"  officials' signing PIN: {demo_data.DEMO_SIGNING_PIN}")
        lines.append("")
    lines.append("Stop with Ctrl-C.")
    print("\n".join(lines), flush=True)


def run_web(*, host: str, port: int, threads: int = 8, banner: bool = False) -> int:
    bootstrap.prepare()
    _collect_static()
    from waitress import serve

    from govdoc.wsgi import application

    if banner:
        _banner(host, port)
    serve(application, host=host, port=port, threads=threads, ident="GovDoc", _quiet=True)
    return 0


def _checkpoint_loop(stop: threading.Event) -> None:
    from django.db import close_old_connections

    from govdoc.audit.selectors import chain_head
    from govdoc.signatures.audit_anchor import audit_checkpoint, last_checkpoint_seq

    while not stop.wait(CHECKPOINT_EVERY_SECONDS):
        close_old_connections()
        try:
            head = chain_head()
            if head is not None and head.seq > last_checkpoint_seq():
                audit_checkpoint(actor="worker")
        except Exception as exc:  # a failed checkpoint must not stop the worker; it says why
            print(f"govdoc worker: audit checkpoint failed: {exc}", file=sys.stderr, flush=True)


def run_worker() -> int:
    bootstrap.prepare()
    from django.core.management import call_command

    stop = threading.Event()
    ticker = threading.Thread(target=_checkpoint_loop, args=(stop,), daemon=True, name="audit-checkpoints")
    ticker.start()
    try:
        call_command("db_worker", interval=0.5, verbosity=1)
    finally:
        stop.set()
    return 0


def run_demo(*, host: str, port: int, with_worker: bool = True) -> int:
    bootstrap.prepare()
    worker: subprocess.Popen[bytes] | None = None
    if with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "govdoc.cli.main", "worker"])

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        return run_web(host=host, port=port, banner=True)
    except KeyboardInterrupt:
        return 0
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
