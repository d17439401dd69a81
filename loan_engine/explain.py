"""Explanation steps (bokmål and English) and number formatting for caseworker-readable answers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExplanationStep:
    """One ordered step of reasoning. ``amount`` (NOK) is the step's result where it has one."""

    code: str
    nb: str
    en: str
    amount: float | None = None


def kr_nb(amount: float) -> str:
    """``12 345 kr`` (whole kroner, non-breaking thousands separator)."""
    return f"{_whole(amount):,}".replace(",", "\u00a0") + " kr"


def kr_en(amount: float) -> str:
    """``NOK 12,345``."""
    return f"NOK {_whole(amount):,}"


def kr_both(amount: float) -> tuple[str, str]:
    """``(kr_nb(amount), kr_en(amount))`` with one rounding and one formatting (an explanation carries both)."""
    s = f"{int(amount + 0.5) if amount >= 0 else -int(-amount + 0.5):,}"  # _whole, inline (called ~30 times an answer)
    return s.replace(",", "\u00a0") + " kr", "NOK " + s


def pct_nb(rate: float) -> str:
    """A fraction per year as ``6,50 %``."""
    return f"{rate * 100:.2f} %".replace(".", ",")


def pct_en(rate: float) -> str:
    return f"{rate * 100:.2f} %"


def _whole(amount: float) -> int:
    """Rounded half away from zero (``int`` truncates, which is ``floor`` for the non-negative ``x + 0.5``)."""
    return int(amount + 0.5) if amount >= 0 else -int(-amount + 0.5)
