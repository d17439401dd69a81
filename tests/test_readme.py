"""Every ``curl`` line of the README's examples, run as written against a live server: uvicorn on a free loopback
port with a fresh SQLite database and demo data. The ids the README calls ``$CASE``, ``$CALC``, ``$KEY_ID``,
``$PORTFOLIO``, ``$JOB`` and ``$SCREENING`` are taken from the earlier answers; every file an example names must
exist; every answer must be a success (the cancel lines may say 409: the job has finished). Bounded in time."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.seed import DEMO_KEYS
from models.api_keys import Role

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LINE_TIMEOUT = 120
JOB_TIMEOUT = 300

# After a line matching the pattern, the variable is the answer's "id".
CAPTURE = (
    (re.compile(r"-X POST \$U/v1/cases\s"), "CASE"),
    (re.compile(r"/assessments\s"), "CALC"),
    (re.compile(r"-X POST \$U/v1/admin/keys\s"), "KEY_ID"),
    (re.compile(r"/v1/portfolios/synthetic\s"), "PORTFOLIO"),
    (re.compile(r"-X POST \$U/v1/stress-tests\s"), "JOB"),
    (re.compile(r"-X POST \$U/v1/screenings\s"), "SCREENING"),
)


def example_block() -> tuple[list[str], list[str]]:
    """(variable assignments, curl commands) of the first ``sh`` block under "## Examples"."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Examples") :]
    block = section[section.index("```sh\n") + 6 :]
    block = block[: block.index("```")]
    joined = re.sub(r"\\\n\s*", " ", block)
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]
    prelude = [line for line in lines if not line.startswith("curl ")]
    commands = [line for line in lines if line.startswith("curl ")]
    return prelude, commands


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'readme.db'}",
        "LOAN_ENGINE_ENVIRONMENT": "development",
        "LOAN_ENGINE_DEMO_DATA": "true",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    log = (tmp_path / "uvicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {(tmp_path / 'uvicorn.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _json_body(output: str) -> Any:
    """The JSON document of an answer (after the headers when curl was asked for them with -i)."""
    body = re.split(r"\r?\n\r?\n", output)[-1] if output.startswith("HTTP/") else output
    return json.loads(body)


def _wait(url: str, path: str, key: Role) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT
    with httpx.Client(base_url=f"http://{url}", headers={"X-API-Key": DEMO_KEYS[key]}, timeout=30) as client:
        while time.monotonic() < deadline:
            doc: dict[str, Any] = client.get(path).json()
            if doc["status"] in ("succeeded", "failed", "cancelled"):
                assert doc["status"] == "succeeded", doc
                return doc
            time.sleep(0.5)
    raise AssertionError(f"{path} did not finish in {JOB_TIMEOUT} s")


def _fresh_decided_case(url: str) -> str:
    """A second case brought to the same point (decided), for the README's alternative to the payout."""
    body = json.loads((ROOT / "examples" / "case.json").read_text(encoding="utf-8"))
    decision = json.loads((ROOT / "examples" / "decision.json").read_text(encoding="utf-8"))
    headers = {"X-API-Key": DEMO_KEYS[Role.caseworker]}
    with httpx.Client(base_url=f"http://{url}", headers=headers, timeout=60) as client:
        case_id: str = client.post("/v1/cases", json=body).json()["id"]
        assert client.post(f"/v1/cases/{case_id}/assessments", json={}).status_code == 201
        assert client.post(f"/v1/cases/{case_id}/decision", json=decision).status_code == 200
    return case_id


def test_every_file_the_examples_name_exists() -> None:
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"@([\w./-]+\.(?:json|csv))", text))
    named |= {m for m in re.findall(r"loan-engine [\w -]+ (examples/[\w./-]+)", text)}
    assert named, "the README names no example files"
    missing = sorted(n for n in named if not (ROOT / n).is_file() and n not in ("tenants.csv", "prices.csv"))
    assert missing == [], f"the README names files that do not exist: {missing}"
    assert "my-parameter-set.json" in text and (ROOT / "examples" / "my-parameter-set.json").is_file()


def test_readme_keeps_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    setup = text[text.index("## Set-up") : text.index("## Examples")]
    blocks = re.findall(r"```sh\n(.*?)```", setup, flags=re.S)
    assert [b.strip() for b in blocks] == [
        "python3 -m venv .venv && . .venv/bin/activate && python -m pip install -e . && loan-engine serve",
        "./scripts/test.sh",
    ]


def test_every_curl_example_works_against_a_live_server(server: str, tmp_path: Path) -> None:
    prelude, commands = example_block()
    assert len(commands) >= 35
    workdir = tmp_path / "work"
    workdir.mkdir()
    for name in ("examples", "loan_engine"):
        (workdir / name).symlink_to(ROOT / name)
    variables: dict[str, str] = {}
    outcomes: list[tuple[str, int]] = []
    for command in commands:
        if "$JOB/" in command:
            _wait(server, f"/v1/stress-tests/{variables['JOB']}", Role.finance)
        if "$SCREENING/" in command:
            _wait(server, f"/v1/screenings/{variables['SCREENING']}", Role.caseworker)
        if "/appeal " in command:
            variables["CASE"] = _fresh_decided_case(server)
        script = "\n".join(
            [
                *prelude,
                f"U={server}",
                *(f"{k}={v}" for k, v in variables.items()),
                command.replace("curl ", "curl -w '\\n%{http_code}' ", 1),
            ]
        )
        done = subprocess.run(
            ["bash", "-c", script], cwd=workdir, capture_output=True, text=True, timeout=LINE_TIMEOUT, check=False
        )
        assert done.returncode == 0, (command, done.stderr)
        output, _, status_text = done.stdout.rpartition("\n")
        status = int(status_text)
        cancels = "/cancel" in command or "-X DELETE" in command
        allowed = (202, 409) if cancels else range(200, 300)  # the README says: 409 once it has finished
        assert status in allowed, f"{command}\n→ {status}: {output[-1500:]}"
        outcomes.append((command, status))
        for pattern, name in CAPTURE:
            if pattern.search(command):
                variables[name] = str(_json_body(output)["id"])
    assert set(variables) == {"CASE", "CALC", "KEY_ID", "PORTFOLIO", "JOB", "SCREENING"}
    # The downloads the README writes to files are the Excel-ready CSV and a workbook.
    csv_bytes = (workdir / "tap-per-scenario.csv").read_bytes()
    assert csv_bytes.startswith("\ufeff".encode()) and b"tap totalt (kr)" in csv_bytes.splitlines()[0]
    assert (workdir / "stresstest.xlsx").read_bytes()[:4] == b"PK\x03\x04"
    assert len(outcomes) == len(commands)
