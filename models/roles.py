"""The roles an API key can have. Standard library only, so the CLI can name them without loading the database
layer (``loan-engine --help`` stays fast); ``models.api_keys`` re-exports ``Role``."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    caseworker = "caseworker"
    finance = "finance"
    admin = "admin"
