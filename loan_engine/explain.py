"""Explanation steps (bokmål and English) and number formatting for caseworker-readable answers."""

from __future__ import annotations

import math
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
    return f"{_whole(amount):,} kr".replace(",", "\u00a0")


def kr_en(amount: float) -> str:
    """``NOK 12,345``."""
    return f"NOK {_whole(amount):,}"


def pct_nb(rate: float) -> str:
    """A fraction per year as ``6,50 %``."""
    return f"{rate * 100:.2f} %".replace(".", ",")


def pct_en(rate: float) -> str:
    return f"{rate * 100:.2f} %"


def _whole(amount: float) -> int:
    return math.floor(amount + 0.5) if amount >= 0 else -math.floor(-amount + 0.5)
