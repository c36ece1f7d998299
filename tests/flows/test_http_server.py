"""``govdoc serve``'s HTTP server under clients that connect and do nothing, send their headers
one byte at a time, or announce a body larger than allowed. A real server on a real socket;
where GovDoc itself answers (a body over the limit), the real application behind it."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from govdoc.cli import webserver

HEALTH = b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    # The server is under test here, not Django: a tiny application answers at once.
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"status": "ok"}']


@contextlib.contextmanager
def _server(app: Any = _app, **overrides: Any) -> Iterator[int]:
    kw = webserver.options(
        host="127.0.0.1", port=0, threads=4, idle_timeout=30, connection_limit=1000, max_body=10_000
    )
    kw.update(overrides)
    server = webserver.create(app, **kw)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        for channel in list(server._map.values()):  # the listening socket and every connection
            channel.close()
        server.task_dispatcher.shutdown(timeout=2)
        thread.join(timeout=5)


def _request(port: int, data: bytes = HEALTH, *, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_many_idle_connections_do_not_lock_out_a_new_request() -> None:
    """Found: 100 idle keep-alive connections stopped `govdoc serve` accepting anything for up
    to 120 s (waitress's default connection_limit=100, channel_timeout=120)."""
    with _server() as port:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(150)]
        try:
            time.sleep(0.5)  # the server has taken them all
            started = time.monotonic()
            answer = _request(port)
            elapsed = time.monotonic() - started
        finally:
            for sock in idle:
                sock.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert elapsed < 2.0


def test_an_idle_connection_is_closed_after_the_idle_timeout() -> None:
    with _server(channel_timeout=2, cleanup_interval=1) as port:
        sock = socket.create_connection(("127.0.0.1", port))
        with sock:
            assert not _closed_within(sock, 1.0)
            assert _closed_within(sock, 4.0)


def test_a_client_trickling_its_headers_is_cut_off() -> None:
    """One header byte every half second keeps a connection "active" forever for plain waitress."""
    with _server(channel_timeout=2, cleanup_interval=1) as port:
        sock = socket.create_connection(("127.0.0.1", port))
        closed = False
        started = time.monotonic()
        with sock:
            for byte in b"GET /api/v1/health HTTP/1.1\r\nX-Slow: " + b"a" * 40:
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    closed = True
                    break
                if _closed_within(sock, 0.5):
                    closed = True
                    break
        assert closed
        assert time.monotonic() - started < 8


@contextlib.contextmanager
def _govdoc_server(**overrides: Any) -> Iterator[int]:
    """``govdoc serve``'s server with GovDoc itself behind it (the real Django application)."""
    from django.conf import settings

    from govdoc.wsgi import application

    kw = webserver.options(
        host="127.0.0.1",
        port=0,
        threads=2,
        idle_timeout=30,
        connection_limit=100,
        max_body=settings.GOVDOC_MAX_REQUEST_BYTES,
    )
    kw.update(overrides)
    with _server(app=application, **kw) as port:
        yield port


def _refusals() -> list[Any]:
    from govdoc.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(event="security.request_refused").order_by("seq"))


def _headers_only(port: int, head: bytes) -> tuple[bytes, bytes]:
    """Send only a request's headers (the body it announces never comes) and read the answer
    until the server closes the connection."""
    head_part, _, body = _request(port, head).partition(b"\r\n\r\n")
    if b"Transfer-Encoding: chunked" in head_part:
        whole = b""
        while True:
            size_line, _, body = body.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            whole, body = whole + body[:size], body[size + 2 :]
        body = whole
    return head_part, body


@pytest.mark.django_db(transaction=True)
def test_an_api_body_over_the_limit_is_refused_by_govdoc_unread_and_recorded(settings: Any) -> None:
    settings.GOVDOC_MAX_REQUEST_BYTES = 10_000
    with _govdoc_server() as port:
        # 50 MB announced, only the headers sent: the answer comes at once, so nothing of the
        # body was waited for, and the connection is closed after it.
        started = time.monotonic()
        head, body = _headers_only(
            port,
            b"POST /api/v1/documents HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50000000\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\nUser-Agent: bulk-uploader\r\n\r\n",
        )
        assert time.monotonic() - started < 5
    assert head.startswith(b"HTTP/1.1 413")
    assert b"Content-Type: application/problem+json" in head
    assert b"Connection: close" in head
    problem = json.loads(body)
    assert problem["type"] == "https://govdoc.example/problems/request-too-large"
    assert problem["status"] == 413
    [event] = _refusals()
    assert (event.client_address, event.user_agent) == ("127.0.0.1", "bulk-uploader")
    assert event.data["reason"] == "request-too-large" and event.data["path"] == "/api/v1/documents"


@pytest.mark.django_db(transaction=True)
def test_a_page_body_over_the_limit_gets_govdocs_styled_page_and_is_recorded(settings: Any) -> None:
    settings.GOVDOC_MAX_REQUEST_BYTES = 10_000
    with _govdoc_server() as port:
        head, body = _headers_only(
            port,
            b"POST /login/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50000000\r\n"
            b"Accept-Language: en\r\n\r\n",
        )
    assert head.startswith(b"HTTP/1.1 413")
    assert b"Content-Type: text/html" in head
    page = body.decode()
    assert "The request is too large" in page and "at most 9.8\xa0KB" in page
    [event] = _refusals()
    assert event.data["reason"] == "request-too-large" and event.data["status"] == 413


def test_the_body_after_refused_headers_is_never_taken_for_a_request() -> None:
    """A client announces a large body and sends, as that "body", more requests: they are
    dropped with the body, never answered (no request smuggled past the refusal), even by an
    application whose answer would let the connection live on (it gives a Content-Length)."""
    seen: list[str] = []

    def refusing_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["PATH_INFO"])
        if int(environ.get("CONTENT_LENGTH") or 0) > 500:
            assert environ["wsgi.input"].read() == b""  # the body was not read
            start_response("413 Request Entity Too Large", [("Content-Length", "3")])
            return [b"big"]
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"
    announce = b"POST /login/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000\r\n\r\n"
    with (
        _server(app=refusing_app, body_limit=500) as port,
        socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
    ):
        sock.sendall(announce + smuggled)
        time.sleep(0.3)
        with contextlib.suppress(OSError):  # the server may have closed already
            sock.sendall(smuggled * 5)
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    answer = b"".join(chunks)
    assert answer.startswith(b"HTTP/1.1 413")
    assert answer.count(b"HTTP/1.1 ") == 1
    assert seen == ["/login/"]


@pytest.mark.django_db(transaction=True)
def test_a_body_within_the_limit_still_reaches_govdoc(settings: Any) -> None:
    settings.GOVDOC_MAX_REQUEST_BYTES = 10_000
    with _govdoc_server() as port:
        answer = _request(
            port,
            b"POST /api/v1/verify/file HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\nhello",
        )
    # Read and judged by GovDoc (not a PDF, or not multipart), never refused for its size.
    assert not answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert [e.data.get("reason") for e in _refusals()] == []


def test_a_chunked_body_past_waitress_own_limit_is_stopped_by_waitress() -> None:
    """No declared length: waitress's own limit, a little above GovDoc's, is the last guard."""
    with _server(max_request_body_size=1000, body_limit=500) as port:
        chunk = b"3e8\r\n" + b"x" * 1000 + b"\r\n"
        answer = _request(
            port,
            b"POST /api/v1/documents HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunk * 3
            + b"0\r\n\r\n",
        )
    head = answer.partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 413")
    assert b"application/problem+json" in head


def test_waitress_own_limit_lies_a_little_above_govdocs() -> None:
    kw = webserver.options(
        host="127.0.0.1", port=0, threads=1, idle_timeout=30, connection_limit=10, max_body=10_000
    )
    assert kw["body_limit"] == 10_000
    assert kw["max_request_body_size"] == 10_000 + webserver.HARD_LIMIT_MARGIN


@pytest.mark.parametrize("limit", [100])
def test_the_default_waitress_settings_show_the_problem(limit: int) -> None:
    """The measurement behind the first test: with waitress's defaults a new request waits."""
    with _server(connection_limit=limit, channel_timeout=120, cleanup_interval=30) as port:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(limit)]
        try:
            time.sleep(0.5)
            with pytest.raises(TimeoutError):
                _request(port, timeout=2.0)
        finally:
            for sock in idle:
                sock.close()
