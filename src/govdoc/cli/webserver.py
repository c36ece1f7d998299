"""The HTTP server of ``govdoc serve``: waitress, set up so slow or idle clients cannot starve it.

Waitress reads each request completely (headers and body, into memory or a temporary file) in
its one I/O thread before a worker thread runs the application, so a slow client never holds a
worker. What it can hold is a connection: waitress stops accepting new ones at
``connection_limit`` (100 by default) and closes idle ones only after ``channel_timeout``
(120 s), so 100 idle keep-alive connections locked everybody out for two minutes. Here:

- many more connections may be open (``GOVDOC_HTTP_CONNECTION_LIMIT``, 1000; the process's
  open-file limit is raised to fit when the system allows it);
- an idle connection is closed after ``GOVDOC_HTTP_IDLE_TIMEOUT`` seconds (30), checked every
  few seconds;
- a client that sends its request headers slower than that (one byte now and then, keeping the
  connection "active") is cut off too;
- a request body declared (``Content-Length``) larger than ``GOVDOC_MAX_REQUEST_BYTES`` is not
  read: the request goes on to GovDoc without its body, and GovDoc refuses it from the declared
  length (``web.middleware.RequestSizeLimitMiddleware``: 413, the styled page or problem+json,
  and a ``security.request_refused`` event with the client's address). Whatever the client
  sends after the headers on that connection is dropped, never parsed as a request, and the
  connection is closed after the answer. Waitress refused such a request itself before, where
  GovDoc could neither answer in its own words nor record it;
- waitress's own limit stays a little above GovDoc's, as the last guard for a chunked body
  (no declared length) that grows past it: waitress stops reading and answers 413 itself;
- waitress's own error answers (413, 400 for a malformed request) are problem+json under
  ``/api/``, like every other API error.
"""

from __future__ import annotations

import json
import resource
import time
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

_API_PREFIX = "/api/"
_PROBLEM_BASE = "https://govdoc.example/problems/"
_CODES = {400: "bad-request", 413: "request-too-large", 431: "request-header-too-large"}
# How far above GovDoc's body limit waitress's own limit lies (for chunked bodies only).
HARD_LIMIT_MARGIN = 1024 * 1024


class _ProblemErrorTask(ErrorTask):  # type: ignore[misc]
    """Waitress's own refusal, as problem+json when the request was for the API."""

    def execute(self) -> None:
        path = getattr(self.request, "path", "") or ""
        if not path.startswith(_API_PREFIX):
            super().execute()
            return
        error = self.request.error
        body = json.dumps(
            {
                "type": _PROBLEM_BASE + _CODES.get(error.code, f"http-{error.code}"),
                "title": error.reason,
                "status": error.code,
                "detail": error.body,
            }
        ).encode("utf-8")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/problem+json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Parser(HTTPRequestParser):  # type: ignore[misc]
    """Waitress's request parser, except that a body declared larger than the server's
    ``body_limit`` is not read: the request is complete with its headers alone."""

    def __init__(self, adj: Adjustments, *, channel: _Channel) -> None:
        super().__init__(adj)
        self.channel = channel
        self.body_skipped = False

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        limit = self.channel.server.body_limit
        declared: int = getattr(self, "content_length", 0)
        if limit is None or self.chunked or declared <= limit:
            return
        self.body_skipped = True
        self.channel.body_skipped = True
        self.body_rcv = None  # complete without a body (wsgi.input is empty)
        self.content_length = 0  # so waitress's own limit does not refuse it first
        self.expect_continue = False  # no "100 Continue": the body is not wanted
        # Everything after the headers is that body: the connection ends with the answer.
        self.headers["CONNECTION"] = "close"

    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        # The bytes after the headers belong to the body that is not read: never a request.
        return len(data) if self.body_skipped else consumed


class _Channel(HTTPChannel):  # type: ignore[misc]
    error_task_class = _ProblemErrorTask
    headers_since: float | None = None
    body_skipped = False

    def parser_class(self, adj: Adjustments) -> _Parser:
        return _Parser(adj, channel=self)

    def received(self, data: bytes) -> bool:
        if self.body_skipped:
            # The rest of a body that is not read: dropped until the answer is sent and the
            # connection closes.
            return True
        if self.request is None and self.headers_since is None and data:
            self.headers_since = time.time()
        result: bool = super().received(data)
        request = self.request
        if request is None or request.headers_finished:
            self.headers_since = None
        return result


class _Server(TcpWSGIServer):  # type: ignore[misc]
    channel_class = _Channel
    body_limit: int | None = None

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        cutoff = now - self.adj.channel_timeout
        for channel in list(self.active_channels.values()):
            since = getattr(channel, "headers_since", None)
            if since is not None and since < cutoff and not channel.requests:
                channel.will_close = True


def _raise_open_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def options(
    *, host: str, port: int, threads: int, idle_timeout: int, connection_limit: int, max_body: int
) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        "threads": threads,
        "ident": "GovDoc",
        "channel_timeout": idle_timeout,
        # How often idle connections are looked for; at most a few seconds late.
        "cleanup_interval": max(1, min(idle_timeout // 3, 10)),
        "connection_limit": connection_limit,
        # GovDoc refuses a declared body over ``max_body`` itself (see the module's docstring);
        # waitress's limit, a little above, stops a chunked body that grows past it.
        "body_limit": max_body,
        "max_request_body_size": max_body + HARD_LIMIT_MARGIN,
        "max_request_header_size": 64 * 1024,
        "backlog": 1024,
    }


def create(
    application: Any, *, body_limit: int | None = None, **kw: Any
) -> TcpWSGIServer | MultiSocketServer:
    """A waitress server for ``application`` (``options()`` gives ``kw``); ``.run()`` serves.

    With ``body_limit``, a request that declares a larger body reaches ``application`` without
    it (an empty ``wsgi.input``, the declared ``CONTENT_LENGTH``): the application must refuse
    it from its declared length, as GovDoc's ``RequestSizeLimitMiddleware`` does."""
    adj = Adjustments(**kw)
    # Each connection is a file descriptor; leave room for database connections and files.
    _raise_open_file_limit(adj.connection_limit + 256)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    socket_map: dict[int, Any] = {}
    servers = [
        _Server(application, socket_map, True, None, dispatcher=dispatcher, adj=adj, sockinfo=sockinfo)
        for sockinfo in adj.listen
    ]
    for server in servers:
        server.body_limit = body_limit
    if len(servers) == 1:
        return servers[0]
    listen = [(server.effective_host, server.effective_port) for server in servers]
    return MultiSocketServer(socket_map, adj=adj, effective_listen=listen, dispatcher=dispatcher)
