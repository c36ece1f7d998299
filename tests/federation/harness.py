"""Real GovDoc nodes for federation tests: each its own ``GOVDOC_HOME``, PostgreSQL database,
development PKI, ``govdoc serve`` and ``govdoc worker`` processes, on a loopback port.

Federation is two installations talking over HTTP, so it is tested with two real ones rather
than two Django test clients inside one process: one process shares settings (node id, public
URL, PKI) that two nodes must not share, and only separate processes can be stopped, killed and
started again while the other node keeps going. The nodes trust each other the way an
administrator makes them: from what the other node publishes (``govdoc node add``).

Use the ``two_nodes`` fixture (tests/federation/conftest.py), or ``two_nodes_running`` and
``Node`` directly for other set-ups. Each process writes to ``<base>/<node id>/logs/``; a
failing test shows the end of those logs.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import psycopg

NODE_A = "rs-a.test"
NODE_B = "rs-b.test"

# The installed command, run exactly as the other flow tests run it (tests/flows/test_cli.py).
GOVDOC = (sys.executable, "-m", "govdoc.cli.main")
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"
# A fresh node migrates its database, makes its PKI and loads the demo data before it answers;
# on two shared cores, with the other node starting at the same time, that takes a while.
READY_TIMEOUT = 300.0
STOP_TIMEOUT = 15.0
COMMAND_TIMEOUT = 300.0
HTTP_TIMEOUT = 10.0
LOG_TAIL_LINES = 60

# What every node gets: the demo agencies and people, and a worker that notices a dead
# colleague and retries failed work within seconds instead of minutes.
BASE_SETTINGS: Mapping[str, str] = {
    "GOVDOC_DEMO_DATA": "1",
    "GOVDOC_LANGUAGE": "en",  # what the commands say, whatever the machine's locale
    "GOVDOC_WORKER_HEARTBEAT_SECONDS": "1",
    "GOVDOC_WORKER_LOST_AFTER_SECONDS": "3",
    "GOVDOC_TASK_RETRY_SECONDS": "1",
    "GOVDOC_RECOVER_INTERVAL": "1",
    "GOVDOC_LOG_LEVEL": "INFO",  # one line per task in the worker's log
    "PYTHONUNBUFFERED": "1",  # logs are complete up to the moment a process is killed
}

_PR_SET_PDEATHSIG = 1
_QUIET = "path=govdoc.jobs.tasks.work_recover_run "  # the worker's log line of each recovery sweep


class NodeError(RuntimeError):
    """A node did not start, a process of it died, or a ``govdoc`` command failed; the message
    ends with what the node's logs said."""


# ------------------------------------------------------------------------------ PostgreSQL


def postgres_server() -> str:
    """The PostgreSQL server the nodes' databases are made on, as ``postgres://user@host:port``:
    the server of ``GOVDOC_TEST_POSTGRES_URL`` or of a PostgreSQL ``GOVDOC_DATABASE_URL`` (the
    test run's own), else PostgreSQL on 127.0.0.1:5432 as user postgres."""
    for name in ("GOVDOC_TEST_POSTGRES_URL", "GOVDOC_DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://")):
            parts = urlsplit(url)
            return urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return DEFAULT_POSTGRES


def postgres_problem() -> str | None:
    """Why the nodes' databases cannot be made (None: they can)."""
    try:
        with psycopg.connect(f"{postgres_server()}/postgres", connect_timeout=5):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {postgres_server()} is not reachable: {str(exc).strip()}"


def database_create(label: str) -> tuple[str, str]:
    """A new, empty database with a unique name; returns (name, URL for GOVDOC_DATABASE_URL)."""
    slug = "".join(c if c.isalnum() else "_" for c in label.lower())
    name = f"govdoc_fed_{slug}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{postgres_server()}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"{postgres_server()}/{name}"


def database_drop(name: str) -> None:
    """Drop a database made by ``database_create``, closing whatever is still connected."""
    with psycopg.connect(f"{postgres_server()}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ------------------------------------------------------------------------------ processes, HTTP


def free_ports(count: int) -> list[int]:
    """``count`` different loopback ports free right now (held open together while chosen, so
    two nodes never get the same one)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def _die_with_test_process() -> None:
    """In a node's process, before it runs: ask Linux to send it SIGTERM when the test process
    dies, so a test run killed hard (CI timeout, SIGKILL) leaves no servers behind (its
    databases stay: nothing is left to drop them). Linux ties this to the thread that started
    the process, pytest's main thread here."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process(process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` to a process and wait for it to end (SIGKILL after STOP_TIMEOUT seconds)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers to look at, not to follow (``Node.get``)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# Never through a proxy from the environment: the nodes are on this machine's loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def http_get(url: str, *, timeout: float = HTTP_TIMEOUT) -> tuple[int, bytes]:
    """GET ``url``: (status, body), whatever the status (redirects are not followed)."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code), bytes(exc.read())


# ------------------------------------------------------------------------------ one node


class Node:
    """One GovDoc installation run by a test: its folder (``home``, ``logs``), its own
    PostgreSQL database, a port, and the ``govdoc serve`` and ``govdoc worker`` processes.

    ``env`` is the environment of every process and command of the node; a change to it
    applies to what is started afterwards. ``close()`` (or leaving ``with``) stops every
    process the node started and drops its database.
    """

    def __init__(
        self,
        folder: Path,
        *,
        node_id: str,
        port: int,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.node_id = node_id
        self.folder = folder
        self.home = folder / "home"
        self.logs = folder / "logs"
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.database_name, self.database_url = database_create(node_id)
        already = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
        loopback = ",".join(filter(None, [already, "127.0.0.1,localhost"]))
        self.env: dict[str, str] = {
            # nothing of the test run's own installation leaks in (its home, its database)
            **{k: v for k, v in os.environ.items() if not k.startswith(("GOVDOC_", "DJANGO_"))},
            **BASE_SETTINGS,
            "GOVDOC_HOME": str(self.home),
            "GOVDOC_DATABASE_URL": self.database_url,
            "GOVDOC_PUBLIC_URL": self.url,
            "GOVDOC_NODE_ID": node_id,
            # the nodes call each other on this machine, never through a proxy from the
            # environment
            "no_proxy": loopback,
            "NO_PROXY": loopback,
            **(extra_env or {}),
        }
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self._started: list[subprocess.Popen[bytes]] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"<Node {self.node_id} at {self.url}>"

    def __enter__(self) -> Node:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- processes --------------------------------------------------------------------------

    def _spawn(self, role: str, args: Sequence[str]) -> subprocess.Popen[bytes]:
        with (self.logs / f"{role}.log").open("ab") as log:
            log.write(f"\n=== {time.strftime('%H:%M:%S')} govdoc {' '.join(args)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                [*GOVDOC, *args],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_test_process,
            )
        self._started.append(process)
        return process

    def start_web(self, *, wait: bool = True, timeout: float = READY_TIMEOUT) -> None:
        """``govdoc serve`` on the node's port (the same port every time, so the address other
        nodes trust stays right); ``wait``: until it answers."""
        if self.web is not None and self.web.poll() is None:
            raise NodeError(f"{self.node_id}: the web server is already running")
        self.web = self._spawn("web", ["serve", "--host", "127.0.0.1", "--port", str(self.port)])
        if wait:
            self.wait_web(timeout=timeout)

    def stop_web(self) -> None:
        """Stop ``govdoc serve`` (SIGTERM); the node no longer answers until ``start_web``."""
        if self.web is not None:
            stop_process(self.web)
            self.web = None

    def wait_web(self, *, timeout: float = READY_TIMEOUT) -> None:
        """Until GET /federation/v1/capabilities answers 200, the first thing another node asks."""
        deadline = time.monotonic() + timeout
        while True:
            if self.web is None or self.web.poll() is not None:
                raise NodeError(self._with_logs("the web server is not running", "web"))
            with contextlib.suppress(OSError):
                status, _body = self.get("/federation/v1/capabilities", timeout=2)
                if status == 200:
                    return
            if time.monotonic() > deadline:
                raise NodeError(self._with_logs(f"no answer within {timeout:.0f} s", "web"))
            time.sleep(0.25)

    def start_worker(self, *, wait: bool = True, timeout: float = READY_TIMEOUT) -> None:
        """``govdoc worker``; ``wait``: until its first heartbeat is in the database (it takes
        tasks from then on)."""
        if self.worker is not None and self.worker.poll() is None:
            raise NodeError(f"{self.node_id}: the worker is already running")
        self.worker = self._spawn("worker", ["worker"])
        if wait:
            self.wait_worker(timeout=timeout)

    def processes(self) -> dict[int, str]:
        """The node's running processes, by pid: ``web`` for ``govdoc serve``, ``worker`` for
        each ``govdoc worker``, ``postgres`` for each PostgreSQL backend serving its database
        (for a benchmark that reads their CPU time in ``/proc``)."""
        found = {
            process.pid: "web" if "serve" in process.args else "worker"  # type: ignore[operator]
            for process in self._started
            if process.poll() is None
        }
        backends = self.query(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (self.database_name,),
        )
        found.update({int(pid): "postgres" for (pid,) in backends})
        return found

    def start_more_workers(self, count: int) -> None:
        """``count`` more ``govdoc worker`` processes beside the one ``start_worker`` runs (as an
        installation runs several); stopped with the node. Returns once each is alive."""
        started = [self._spawn(f"worker{index + 2}", ["worker"]) for index in range(count)]
        for worker in started:
            self.wait_worker(worker=worker)

    def kill_worker(self) -> None:
        """Kill ``govdoc worker`` with SIGKILL, as a crash would: no clean stop, its heartbeat
        just ends (the surviving workers' recovery takes its work again)."""
        if self.worker is not None:
            stop_process(self.worker, sig=signal.SIGKILL)
            self.worker = None

    def stop_worker(self) -> None:
        """Stop ``govdoc worker`` cleanly (SIGTERM: it finishes its task and says it stopped)."""
        if self.worker is not None:
            stop_process(self.worker)
            self.worker = None

    def wait_worker(
        self, *, timeout: float = READY_TIMEOUT, worker: subprocess.Popen[bytes] | None = None
    ) -> None:
        """Until the running worker's (or ``worker``'s) heartbeat, which names its pid, is in
        the database."""
        deadline = time.monotonic() + timeout
        while True:
            process = worker or self.worker
            if process is None or process.poll() is not None:
                raise NodeError(self._with_logs("the worker is not running", "worker"))
            with contextlib.suppress(psycopg.Error):  # no tables yet: still migrating
                if self.query(
                    "SELECT 1 FROM jobs_workerheartbeat WHERE pid = %s AND stopped_at IS NULL",
                    (process.pid,),
                ):
                    return
            if time.monotonic() > deadline:
                raise NodeError(self._with_logs(f"no worker heartbeat within {timeout:.0f} s", "worker"))
            time.sleep(0.25)

    def close(self) -> None:
        """Stop every process this node started (whatever state the test left it in), then drop
        its database. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            for process in reversed(self._started):
                stop_process(process)
        finally:
            self.web = self.worker = None
            database_drop(self.database_name)

    # -- talking to the node ----------------------------------------------------------------

    def get(self, path: str, *, timeout: float = HTTP_TIMEOUT) -> tuple[int, bytes]:
        """GET ``path`` from the node's web server: (status, body); redirects are not followed."""
        return http_get(f"{self.url}{path}", timeout=timeout)

    def get_json(self, path: str) -> Any:
        """GET ``path``, which must answer 200 with JSON."""
        status, body = self.get(path)
        if status != 200:
            raise NodeError(f"{self.node_id}: GET {path} answered {status}: {body[:300]!r}")
        return json.loads(body)

    def govdoc(
        self, *args: str, check: bool = True, timeout: float = COMMAND_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """Run ``govdoc ARGS`` as the node's administrator would (its environment); ``check``:
        a non-zero exit raises NodeError with what the command said."""
        result = subprocess.run(
            [*GOVDOC, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise NodeError(
                f"{self.node_id}: govdoc {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
            )
        return result

    def run(self, python_code: str, *, timeout: float = COMMAND_TIMEOUT) -> str:
        """Run a Python snippet inside the node's Django (``govdoc manage shell -c``) and return
        what it printed. The node's own code and data, as its processes see them."""
        return self.govdoc("manage", "shell", "--no-imports", "-c", python_code, timeout=timeout).stdout

    def run_json(self, python_code: str, *, timeout: float = COMMAND_TIMEOUT) -> Any:
        """``run`` a snippet that prints one JSON value as its last line; that value. (Whatever
        else the snippet or Django prints before it is ignored.)"""
        printed = self.run(python_code, timeout=timeout)
        for line in reversed(printed.splitlines()):
            if line.strip():
                try:
                    return json.loads(line)
                except ValueError:
                    break
        raise NodeError(self._with_logs(f"the snippet printed no JSON last: {printed[-2000:]!r}", "worker"))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one SQL statement on the node's database: quicker than ``run`` (no Django
        start-up) for a look at a table while the node runs."""
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def trust(self, url: str, *, name: str | None = None) -> str:
        """Make this node trust the node at ``url``, as its administrator does: read what that
        node publishes (capabilities, address book, root CA, CRL), keep the files under
        ``<folder>/published/<its id>/`` and give them to ``govdoc node add``. Returns what
        the command printed."""
        capabilities = json.loads(self._fetch(url, "/federation/v1/capabilities"))
        other_id = str(capabilities["node"])
        endpoint = str(capabilities["public_url"])
        folder = self.folder / "published" / other_id
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "capabilities.json": json.dumps(capabilities, indent=2).encode(),
            "agencies.json": self._fetch(endpoint, str(capabilities["agencies"])),
            "root.pem": self._fetch(endpoint, str(capabilities["root_certificate"])),
            "crl.der": self._fetch(endpoint, str(capabilities["crl"])),
        }
        for filename, content in files.items():
            (folder / filename).write_bytes(content)
        added = self.govdoc(
            "node",
            "add",
            "--id",
            other_id,
            "--name",
            name or f"GovDoc {other_id}",
            "--endpoint",
            endpoint,
            "--root",
            str(folder / "root.pem"),
            "--agencies",
            str(folder / "agencies.json"),
            "--crl",
            str(folder / "crl.der"),
        )
        return added.stdout

    def _fetch(self, base: str, path: str) -> bytes:
        status, body = http_get(f"{base.rstrip('/')}{path}")
        if status != 200:
            raise NodeError(f"{self.node_id}: GET {base}{path} answered {status}: {body[:300]!r}")
        return body

    # -- logs -------------------------------------------------------------------------------

    def log_tail(self, role: str, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the ``web`` or ``worker`` log (every start appended),
        without the recovery sweep's two lines a second (GOVDOC_RECOVER_INTERVAL=1) that would
        push everything else out; the file keeps them."""
        path = self.logs / f"{role}.log"
        if not path.exists():
            return "(no log)"
        kept = [line for line in path.read_text(errors="replace").splitlines() if _QUIET not in line]
        return "\n".join(kept[-lines:])

    def _with_logs(self, message: str, *roles: str) -> str:
        parts = [f"{self.node_id}: {message}"]
        for role in roles:
            parts.append(f"--- {self.node_id} {role} log ({self.logs / role}.log)\n{self.log_tail(role)}")
        return "\n".join(parts)


# ------------------------------------------------------------------------------ waiting


def wait_for(
    check: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    interval: float = 0.5,
    nodes: Sequence[Node] = (),
) -> Any:
    """Call ``check`` until it returns something true and return that; NodeError after
    ``timeout`` seconds, naming ``what`` was awaited and what the ``nodes``' logs say (work
    between nodes goes on in their processes: the tests wait for it, with a deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            message = [f"not within {timeout:.0f} s: {what} (last seen: {value!r})"]
            for node in nodes:
                message.append(node._with_logs("", "web", "worker"))
            raise NodeError("\n".join(message))
        time.sleep(interval)


# ------------------------------------------------------------------------------ two nodes


class TwoNodes(NamedTuple):
    """Node ``a`` (rs-a.test) and node ``b`` (rs-b.test), each trusting the other."""

    a: Node
    b: Node


@contextlib.contextmanager
def two_nodes_running(
    base: Path,
    *,
    extra_env: Mapping[str, Mapping[str, str]] | None = None,
    timeout: float = READY_TIMEOUT,
) -> Iterator[TwoNodes]:
    """Two fresh nodes under ``base`` (``extra_env``: more environment per node id), web
    server and worker each, both answering, each trusting the other from what it publishes.
    On the way out, also when starting failed, every process is stopped and both databases
    are dropped."""
    extra = dict(extra_env or {})
    unknown = set(extra) - {NODE_A, NODE_B}
    if unknown:
        raise ValueError(f"extra_env names no node of the pair: {sorted(unknown)}")
    with contextlib.ExitStack() as stack:
        nodes = []
        for node_id, port in zip((NODE_A, NODE_B), free_ports(2), strict=True):
            node = Node(base / node_id, node_id=node_id, port=port, extra_env=extra.get(node_id))
            stack.callback(node.close)
            nodes.append(node)
        # Both web servers at once (each prepares its own node: migrations, PKI, demo data),
        # then the workers, once the web server has prepared the node: the two processes of
        # one node never prepare a fresh home at the same time. (They once raced for the
        # secrets made on first use and a worker read an empty SECRET_KEY, once in a dozen
        # starts; b11bfc1 writes a secret whole before linking it into place.)
        for node in nodes:
            node.start_web(wait=False)
        for node in nodes:
            node.wait_web(timeout=timeout)
        for node in nodes:
            node.start_worker(wait=False)
        for node in nodes:
            node.wait_worker(timeout=timeout)
        a, b = nodes
        a.trust(b.url)
        b.trust(a.url)
        yield TwoNodes(a, b)
