"""Benefits by their rules (barnetrygd with utvidet, kontantstøtte, overgangsstønad, barnebidrag), each with the
years until it ends, written once over NumPy arrays of the household's children's ages.

Rules (Husbanken veileder 'Ulike typer inntekt', domain_rules §1.5; amounts in the parameter set's ``benefits``):

* barnetrygd: a fixed amount per child while the child's age ≤ ``barnetrygd_max_age`` (to 18); tax-free;
* utvidet barnetrygd (single provider): one extra amount while any child gets barnetrygd; tax-free;
* kontantstøtte: per child of ``kontantstotte_age`` (13–19 months, modelled as age 1); tax-free; ends within a year;
* overgangsstønad (single provider): ``g × G`` a year less ``reduction`` × (other income − ``free_g`` × G)⁺, at
  most ``max_years`` and only while the youngest child's age ≤ ``youngest_max_age``; taxable;
* barnebidrag received: the stated amount, tax-free, until the youngest child turns 18; paid: a fixed cost.

The years left are whole years from the children's ages (birthdays are not known), the engine's reading. The
explanation text is built separately (:func:`explain_benefits`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loan_engine.budget_parameters import BenefitRules
from loan_engine.explain import ExplanationStep, kr_en, kr_nb

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BenefitClaims:
    barnetrygd: bool = False
    utvidet_barnetrygd: bool = False
    kontantstotte: bool = False
    overgangsstonad: bool = False
    overgangsstonad_years_received: int = 0  # years already received (the 3-year limit counts them)
    child_support_received_monthly: float = 0.0
    child_support_paid_monthly: float = 0.0


@dataclass(frozen=True)
class BenefitIncome:
    """One benefit: ``net_monthly`` for tax-free ones, ``gross_annual`` for taxable ones."""

    kind: str
    label_nb: str
    label_en: str
    net_monthly: float | None
    gross_annual: float | None
    years_left: float | None


def barnetrygd_vec(child_ages: IntArray, rules: BenefitRules) -> tuple[npt.NDArray[np.float64], IntArray]:
    """Monthly barnetrygd per child and the whole years until it stops (0 where not paid)."""
    paid = child_ages <= rules.barnetrygd_max_age
    amount = np.where(paid, rules.barnetrygd_per_child, 0.0)
    years = np.where(paid, rules.barnetrygd_max_age + 1 - child_ages, 0)
    return amount, years


def overgangsstonad_annual(other_income_annual: float, rules: BenefitRules) -> float:
    g = rules.grunnbelop
    full = rules.overgangsstonad_g * g
    reduction = rules.overgangsstonad_reduction * max(other_income_annual - rules.overgangsstonad_free_g * g, 0.0)
    return max(full - reduction, 0.0)


def benefit_incomes(
    claims: BenefitClaims, child_ages: IntArray, other_income_annual: float, rules: BenefitRules
) -> list[BenefitIncome]:
    """The benefits claimed, computed by their rules. ``other_income_annual`` is the provider's other gross income
    (for the overgangsstønad reduction)."""
    out: list[BenefitIncome] = []
    ages = np.asarray(child_ages, dtype=np.int64)
    if claims.barnetrygd and ages.size:
        amount, years = barnetrygd_vec(ages, rules)
        for a, m, y in zip(ages.tolist(), amount.tolist(), years.tolist(), strict=True):
            if m > 0:
                out.append(
                    BenefitIncome(
                        "barnetrygd", f"barnetrygd (barn {a} år)", f"child benefit (child aged {a})", m, None, float(y)
                    )
                )
    if claims.utvidet_barnetrygd and ages.size and bool(np.any(ages <= rules.barnetrygd_max_age)):
        y = float(rules.barnetrygd_max_age + 1 - int(ages.min()))
        out.append(
            BenefitIncome(
                "utvidet_barnetrygd", "utvidet barnetrygd", "extended child benefit", rules.utvidet_barnetrygd, None, y
            )
        )
    if claims.kontantstotte:
        n = int(np.sum(ages == rules.kontantstotte_age))
        if n:
            out.append(
                BenefitIncome(
                    "kontantstotte",
                    f"kontantstøtte ({n} barn)",
                    f"cash-for-care ({n} children)",
                    n * rules.kontantstotte,
                    None,
                    0.5,
                )
            )
    if claims.overgangsstonad and ages.size:
        youngest = int(ages.min())
        left: int = min(
            rules.overgangsstonad_max_years - claims.overgangsstonad_years_received,
            rules.overgangsstonad_youngest_max_age + 1 - youngest,
        )
        yearly = overgangsstonad_annual(other_income_annual, rules)
        if left > 0 and yearly > 0:
            out.append(
                BenefitIncome("overgangsstonad", "overgangsstønad", "transitional benefit", None, yearly, float(left))
            )
    if claims.child_support_received_monthly > 0:
        y = float(rules.child_support_max_age + 1 - int(ages.min())) if ages.size else None
        out.append(
            BenefitIncome(
                "child_support",
                "barnebidrag mottatt",
                "child support received",
                claims.child_support_received_monthly,
                None,
                y,
            )
        )
    return out


def explain_benefits(items: list[BenefitIncome], paid_monthly: float) -> ExplanationStep:
    parts_nb, parts_en = [], []
    for b in items:
        amount_nb = (
            kr_nb(b.net_monthly) + " per måned"
            if b.net_monthly is not None
            else kr_nb(b.gross_annual or 0) + " per år (skattepliktig)"
        )
        amount_en = (
            kr_en(b.net_monthly) + " a month"
            if b.net_monthly is not None
            else kr_en(b.gross_annual or 0) + " a year (taxable)"
        )
        end_nb = f", slutter om {b.years_left:g} år".replace(".", ",") if b.years_left is not None else ""
        end_en = f", ends in {b.years_left:g} years" if b.years_left is not None else ""
        parts_nb.append(f"{b.label_nb} {amount_nb}{end_nb}")
        parts_en.append(f"{b.label_en} {amount_en}{end_en}")
    nb = "Stønader etter reglene: " + ("; ".join(parts_nb) if parts_nb else "ingen") + "."
    en = "Benefits by their rules: " + ("; ".join(parts_en) if parts_en else "none") + "."
    if paid_monthly > 0:
        nb += f" Barnebidrag som betales, {kr_nb(paid_monthly)} per måned, er en fast utgift."
        en += f" Child support paid, {kr_en(paid_monthly)} a month, is a fixed cost."
    return ExplanationStep("benefits", nb, en, sum(b.net_monthly or 0.0 for b in items))
