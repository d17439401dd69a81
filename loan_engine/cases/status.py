"""The life of a startlån case as a status machine (pure; no persistence).

::

    draft ──assess──▶ assessed ──decide──▶ decided ──pay out──▶ paid_out
                        │  ▲                 │  ▲  └──expire──▶ expired
                        └──┘ (re-assess)     ▼  │
                                          appealed (klage; a new decision answers it)

* A case is decided only after an assessment: the decision must rest on a stored calculation.
* A decided case can be appealed (klage, within the appeal window — :mod:`loan_engine.cases.decisions`), paid out
  (a granted loan, while the promise holds) or expire (a granted loan not paid out before ``valid_until``).
* An appealed case is decided again (the kommune's or the appeal body's new decision).
* ``paid_out`` and ``expired`` are final.
"""

from __future__ import annotations

from enum import StrEnum

from loan_engine.errors import Conflict


class CaseStatus(StrEnum):
    draft = "draft"
    assessed = "assessed"
    decided = "decided"
    appealed = "appealed"
    paid_out = "paid_out"
    expired = "expired"


ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.draft: frozenset({CaseStatus.assessed}),
    CaseStatus.assessed: frozenset({CaseStatus.assessed, CaseStatus.decided}),
    CaseStatus.decided: frozenset({CaseStatus.appealed, CaseStatus.paid_out, CaseStatus.expired}),
    CaseStatus.appealed: frozenset({CaseStatus.decided}),
    CaseStatus.paid_out: frozenset(),
    CaseStatus.expired: frozenset(),
}

FINAL: frozenset[CaseStatus] = frozenset(s for s, targets in ALLOWED.items() if not targets)

_VERBS = {
    CaseStatus.assessed: "assess",
    CaseStatus.decided: "decide",
    CaseStatus.appealed: "appeal",
    CaseStatus.paid_out: "pay out",
    CaseStatus.expired: "expire",
}


def can_transition(current: CaseStatus | str, target: CaseStatus | str) -> bool:
    return CaseStatus(target) in ALLOWED[CaseStatus(current)]


def allowed_targets(current: CaseStatus | str) -> frozenset[CaseStatus]:
    return ALLOWED[CaseStatus(current)]


def transition(current: CaseStatus | str, target: CaseStatus | str) -> CaseStatus:
    """``target`` if the move from ``current`` is allowed; :class:`Conflict` naming both states otherwise."""
    cur, tgt = CaseStatus(current), CaseStatus(target)
    if tgt not in ALLOWED[cur]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[cur])) or "none (final state)"
        raise Conflict(
            f"A case in status '{cur.value}' cannot be moved to '{tgt.value}' (cannot {_VERBS.get(tgt, tgt.value)} "
            f"it now); allowed next: {allowed}.",
            field="status",
            rule="illegal-status-transition",
        )
    return tgt
