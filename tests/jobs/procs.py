"""Starting and stopping real service, worker and Dask processes for tests: free loopback ports, bounded waits,
stopped by PID (each process is started in its own session; its group is signalled, nothing else)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(database_url: str, **settings: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": database_url,
            "LOAN_ENGINE_ENVIRONMENT": "test",
            "LOAN_ENGINE_DEMO_DATA": "true",
            "LOAN_ENGINE_JOB_POLL_SECONDS": "0.2",
        }
    )
    for name, value in settings.items():
        env[f"LOAN_ENGINE_{name.upper()}"] = str(value)
    return env


class Proc:
    """A child process with its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.popen = subprocess.Popen(
            args, env=env, cwd=str(REPO), stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.pid = self.popen.pid

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill9(self) -> None:
        """SIGKILL the process itself (no clean-up, as a machine or OOM kill would)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM its process group (it and the children it forked), then SIGKILL if still there."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(10)
        else:  # the leader is gone; make sure no child of it is left
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        self._out.close()


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from api.cli import main; main()", *args]


def start_serve(database_url: str, port: int, log: Path, workers: int = 2, **settings: Any) -> Proc:
    return Proc(
        cli("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        service_env(database_url, **settings),
        log,
    )


def start_uvicorn(database_url: str, port: int, log: Path, workers: int = 2, **settings: Any) -> Proc:
    """``uvicorn api.main:app --workers N`` directly: every worker runs the app's start-up (migrations and all)."""
    args = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    return Proc([*args, "--workers", str(workers)], service_env(database_url, **settings), log)


def start_worker(database_url: str, log: Path, **settings: Any) -> Proc:
    return Proc(cli("worker"), service_env(database_url, **settings), log)


def wait_ready(port: int, proc: Proc, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise AssertionError(f"the service exited ({proc.popen.returncode}):\n{proc.output()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not ready after {timeout} s:\n{proc.output()[-3000:]}")


DASK = [sys.executable, "-m"]
WORKER_OPTIONS = ["--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--death-timeout", "60"]


class DaskCluster:
    """A real ``dask scheduler`` and ``dask worker`` processes on loopback (one thread each, no nanny, so that a
    worker's PID is the worker itself)."""

    def __init__(self, tmp: Path, n_workers: int = 2) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.env = env
        self.scheduler = Proc(
            [
                *DASK,
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-dashboard",
            ],
            env,
            tmp / "scheduler.log",
        )
        self.workers: list[Proc] = []
        for _ in range(n_workers):
            self.add_worker()

    def add_worker(self) -> Proc:
        n = len(self.workers)
        proc = Proc(
            [*DASK, "distributed.cli.dask_worker", self.address, *WORKER_OPTIONS, "--name", f"w{n}"],
            self.env,
            self.tmp / f"worker{n}.log",
        )
        self.workers.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.workers:
            proc.stop()
        self.scheduler.stop()
