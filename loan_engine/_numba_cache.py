"""Where Numba writes its compiled-kernel cache: a writable, persistent folder, set before Numba is imported.

Numba's default is a ``__pycache__`` folder beside the source file, i.e. inside the installed package; on a
read-only install (a container image, a system site-packages) it cannot write there and every new process compiles
the kernels again (≈ 6 s of CPU). This module is imported first by :mod:`loan_engine.portfolio` (the only package
that uses Numba), and points ``NUMBA_CACHE_DIR`` at:

1. ``LOAN_ENGINE_NUMBA_CACHE_DIR`` when it is set (an empty value leaves Numba's own choice alone);
2. otherwise an explicit ``NUMBA_CACHE_DIR`` already in the environment (the operator's own Numba setting);
3. otherwise ``var/numba-cache`` under the project folder (beside the SQLite default ``var/loan_engine.db``), and if
   that cannot be created or written, ``$XDG_CACHE_HOME/loan_engine/numba`` (``~/.cache/loan_engine/numba``).

Numba reads ``NUMBA_CACHE_DIR`` when it is first imported; if it was imported earlier anyway, :func:`configure`
also sets ``numba.config.CACHE_DIR``, which Numba consults when a cached function is first compiled. Only the
standard library is used here (the domain package stays free of settings machinery). See docs/operations.md.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

SETTING = "LOAN_ENGINE_NUMBA_CACHE_DIR"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = PROJECT_ROOT / "var" / "numba-cache"


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def _fallback_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "loan_engine" / "numba"


def choose_dir(environ: dict[str, str] | os._Environ[str] | None = None) -> Path | None:
    """The folder to use (``None``: leave Numba's default)."""
    env = os.environ if environ is None else environ
    if SETTING in env:
        value = env[SETTING].strip()
        return Path(value).expanduser() if value else None
    if env.get("NUMBA_CACHE_DIR"):
        return Path(env["NUMBA_CACHE_DIR"]).expanduser()
    if _writable(DEFAULT_DIR):
        return DEFAULT_DIR
    return _fallback_dir()


def configure(path: str | Path | None = None) -> Path | None:
    """Point Numba's cache at ``path`` (default: :func:`choose_dir`); returns the folder used."""
    target = Path(path).expanduser() if path is not None else choose_dir()
    if target is None:
        return None
    # if it cannot be created, Numba warns that it cannot cache and compiles in memory: slower, never wrong
    with contextlib.suppress(OSError):
        target.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(target)
    numba = sys.modules.get("numba")
    if numba is not None:  # imported before us: its config already read the environment
        numba.config.CACHE_DIR = str(target)
    return target


CACHE_DIR = configure()
