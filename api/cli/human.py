"""Numbers and dates in the command line's human output, one format: Norwegian (Babel's ``nb_NO``), as on the
web pages — "1 000 000 kr", "52,7 %", "1. mars 2026". JSON output (``--json``) keeps machine numbers.

Babel is imported on first use, so that ``loan-engine --help`` stays fast.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def nok(value: Any) -> str:
    """Whole kroner: ``1 000 000 kr``; ``–`` for a missing value."""
    if value is None:
        return "–"
    from api.i18n.formatting import nok as _nok

    return _nok(float(value))


def ore(value: Any) -> str:
    """Kroner and øre: ``12 543,27 kr``."""
    if value is None:
        return "–"
    from api.i18n.formatting import number

    return f"{number(float(value), 2)}\u00a0kr"


def num(value: Any, decimals: int = 0) -> str:
    if value is None:
        return "–"
    from api.i18n.formatting import number

    return number(float(value), decimals)


def pct(value: Any, decimals: int = 1) -> str:
    """A value already in percent: 52.72 → ``52,7 %``."""
    if value is None:
        return "–"
    from api.i18n.formatting import percent

    return percent(float(value), decimals)


def day(value: date | datetime | str | None, style: str = "medium") -> str:
    if value is None or value == "":
        return "–"
    from api.i18n.formatting import day as _day

    return _day(value, style=style)


def when(value: datetime | None) -> str:
    """``1. des. 2026 14:05`` (UTC as stored)."""
    if value is None:
        return "–"
    return f"{day(value)} {value.strftime('%H:%M')}"
