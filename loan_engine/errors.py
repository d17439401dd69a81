"""Typed domain errors.

Every error names the input field it concerns (a dotted path such as ``loan.term_years``) and the rule that was
broken (a short, stable slug such as ``max-term-50-years``), so that the API can answer with an RFC 9457 problem
document and the CLI with a readable message. The HTTP status is chosen by the API layer, not here.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: the request cannot be answered as asked."""

    title = "The request breaks a rule of the domain"

    def __init__(self, detail: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.rule = rule


class InvalidInput(DomainError):
    """An input value is outside what the rules allow (negative amount, term over 50 years, ...)."""

    title = "Invalid input"


class NotFound(DomainError):
    """A referenced record (case, parameter set, portfolio, job) does not exist or is not visible."""

    title = "Not found"


class Conflict(DomainError):
    """The request conflicts with the current state (stale version, illegal status transition, ...)."""

    title = "Conflict"


class LimitExceeded(DomainError):
    """The request asks for more than a documented limit allows (scenario count, file size, ...)."""

    title = "Limit exceeded"
