"""Cold start: the CLI's help loads no heavy dependency, and Numba's cache goes to a writable folder we choose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loan_engine import _numba_cache

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numba", "numpy", "sqlalchemy", "sqlmodel", "fastapi", "alembic", "pyarrow", "dask")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", _numba_cache.SETTING)}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def test_cli_help_imports_no_heavy_dependency() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "api.cli", "--help"],
        cwd=REPO_ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for command in ("serve", "cases", "stress-test", "screen", "affordability", "keys"):
        assert command in proc.stdout
    imported = {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "api.cli" in imported  # the importtime report is what we think it is
    loaded_heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY)
    assert loaded_heavy == [], f"--help imported {loaded_heavy[:10]}"


def test_subcommand_help_also_stays_light() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from api.cli import app\n"
        "for args in (['--help'], ['cases', 'assess', '--help'], ['keys', 'create', '--help'],"
        " ['stress-test', '--help'], ['screen', '--help'], ['affordability', '--help']):\n"
        "    r = CliRunner().invoke(app, args)\n"
        "    assert r.exit_code == 0, (args, r.output)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


@pytest.mark.slow
def test_numba_cache_is_written_to_the_configured_folder(tmp_path: Path) -> None:
    cache = tmp_path / "numba-cache"
    code = (
        "import numba\n"  # numba imported first on purpose: the setting still applies (config.CACHE_DIR)
        "from loan_engine.portfolio.vasicek import _phi\n"
        "assert abs(_phi(0.0) - 0.5) < 1e-12\n"
        "print(numba.config.CACHE_DIR)\n"
    )
    env = _env(**{_numba_cache.SETTING: str(cache)})
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == str(cache)
    index = list(cache.rglob("*.nbi"))
    data = list(cache.rglob("*.nbc"))
    assert index and data, f"no Numba cache files under {cache}: {list(cache.rglob('*'))}"
    assert any("_phi" in p.name for p in index)


def test_cache_dir_choice_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ours = str(tmp_path / "ours")
    theirs = str(tmp_path / "theirs")
    assert _numba_cache.choose_dir({_numba_cache.SETTING: ours, "NUMBA_CACHE_DIR": theirs}) == Path(ours)
    assert _numba_cache.choose_dir({"NUMBA_CACHE_DIR": theirs}) == Path(theirs)
    assert _numba_cache.choose_dir({_numba_cache.SETTING: ""}) is None  # empty: leave Numba's default
    # neither set: var/numba-cache under the project, or the user cache folder when that is not writable
    assert _numba_cache.choose_dir({}) == _numba_cache.DEFAULT_DIR
    monkeypatch.setattr(_numba_cache, "DEFAULT_DIR", Path("/proc/no-such-place/numba"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _numba_cache.choose_dir({}) == tmp_path / "xdg" / "loan_engine" / "numba"
