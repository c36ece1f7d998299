"""``govdoc serve``'s HTTP server under clients that connect and do nothing, send their headers
one byte at a time, or announce a body larger than allowed. A real server on a real socket."""

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
def _server(**overrides: Any) -> Iterator[int]:
    kw = webserver.options(
        host="127.0.0.1", port=0, threads=4, idle_timeout=30, connection_limit=1000, max_body=10_000
    )
    kw.update(overrides)
    server = webserver.create(_app, **kw)
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


def test_a_body_over_the_limit_is_refused_from_its_declared_length_as_problem_json() -> None:
    with _server(max_request_body_size=10_000) as port:
        # Only the headers are sent: the answer comes without the body being read.
        answer = _request(
            port,
            b"POST /api/v1/documents HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50000000\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n\r\n",
        )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b"Content-Type: application/problem+json" in head
    problem = json.loads(body)
    assert problem["type"] == "https://govdoc.example/problems/request-too-large"
    assert problem["status"] == 413


def test_a_page_over_the_limit_gets_waitress_plain_answer() -> None:
    with _server(max_request_body_size=10_000) as port:
        answer = _request(
            port, b"POST /login/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50000000\r\n\r\n"
        )
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"text/plain" in answer.partition(b"\r\n\r\n")[0]


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
