"""Which calculation a case assessment runs. Standard library only, so the CLI can name it without loading the
schemas (``loan-engine --help`` stays fast); ``api.cases.schemas`` re-exports it."""

from __future__ import annotations

from enum import StrEnum


class CalculationKind(StrEnum):
    affordability = "affordability"
    financing_plan = "financing-plan"
