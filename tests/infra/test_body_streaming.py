"""Issue 10 (hardening) item 1 over real HTTP: a uvicorn on loopback, large bodies streamed over a socket without
an API key. The service answers at once (401 for the upload routes, 413 elsewhere), reads (almost) nothing of
the body and its memory does not grow (before the fix: four 190 MB text/csv POSTs took RSS from 307 to 1 472 MB).
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MiB = 1_048_576
BODY = 190 * MiB


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _get(port: int, path: str) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        return int(s.recv(64).split(b" ")[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "LOAN_ENGINE_ENVIRONMENT": "test",
        "LOAN_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('stream') / 'db.sqlite'}",
        "LOAN_ENGINE_DEMO_DATA": "true",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _get(port, "/healthz") == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("uvicorn did not start")
            time.sleep(0.3)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _stream(port: int, path: str, content_type: str, *, chunked: bool, key: str | None = None) -> tuple[int, int]:
    """POST a 190 MB body in 1 MiB pieces, stopping as soon as the server answers; returns (status, bytes sent)."""
    head = [f"POST {path} HTTP/1.1", "Host: localhost", f"Content-Type: {content_type}"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY}")
    if key:
        head.append(f"X-API-Key: {key}")
    piece = b"x" * MiB
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        while sent < BODY:
            readable, writable, _ = select.select([s], [s], [], 10)
            if readable:
                break
            if not writable:
                raise AssertionError("the server neither reads nor answers")
            try:
                s.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        s.settimeout(10)
        try:
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
    assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    return int(answer.split(b" ")[1]), sent


@pytest.mark.slow
def test_large_unauthenticated_bodies_are_not_read(server: tuple[int, int]) -> None:
    port, pid = server
    assert _get(port, "/v1/parameter-sets") == 401  # warm up
    before = _rss_mib(pid)
    attacks = [
        ("/v1/affordability", "text/csv", False, 413),
        ("/v1/affordability", "text/csv", True, 413),
        ("/v1/affordability", "application/octet-stream", False, 413),
        ("/v1/cases", "multipart/form-data; boundary=x", True, 413),
        ("/v1/portfolios/upload", "multipart/form-data; boundary=x", False, 401),
        ("/v1/screenings", "multipart/form-data; boundary=x", True, 401),
        ("/v1/screenings", "application/vnd.apache.parquet", False, 401),
    ]
    for path, content_type, chunked, expected in attacks:
        status, sent = _stream(port, path, content_type, chunked=chunked)
        assert status == expected, (path, content_type, chunked, status)
        assert sent < 64 * MiB, (path, sent)  # the server answered long before the body was through
    # The attack: four 190 MB text/csv POSTs to /v1/affordability without a key.
    for _ in range(4):
        assert _stream(port, "/v1/affordability", "text/csv", chunked=False)[0] == 413
    grown = _rss_mib(pid) - before
    assert grown < 40, f"RSS grew by {grown:.0f} MiB"
    assert _get(port, "/healthz") == 200
