"""Income tax for one year: gross → net per person, written once over NumPy arrays (one person = an array of one).

The rule (skatteloven; rates and thresholds from the parameter set's ``income_tax``)::

    personinntekt   = wage-like + pension-like + self-employment income            (trinnskatt, trygdeavgift)
    trygdeavgift    = Σ rate(kind) × income(kind), 0 up to the lower limit, at most phase-in % × (base − limit)
    minstefradrag   = min(rate × income, maximum) for wage-like and pension-like income separately (at least the
                      minimum), together at most the larger maximum
    alminnelig      = all income − minstefradrag − interest paid (rentefradrag, when asked)
    skatt alminnelig = 22 % × max(0, alminnelig − personfradrag)
    trinnskatt      = Σ_k rate_k × (min(personinntekt, threshold_{k+1}) − threshold_k)⁺
    pensioner deduction = max − step1 % × (pension − from1)⁺ (to from2) − step2 % × (pension − from2)⁺, ≥ 0,
                      at most the tax on the pension
    tax             = max(0, trygdeavgift + trinnskatt + skatt alminnelig − pensioner deduction)

Amounts are NOK per year, unrounded (Skatteetaten rounds each item to whole kroner; the difference is < 5 kr a
year). The explanation is built separately by :func:`explain_tax` from the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loan_engine.budget_parameters import IncomeTaxRules
from loan_engine.errors import InvalidInput
from loan_engine.explain import ExplanationStep, kr_en, kr_nb

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TaxBase:
    """Each person's gross income by tax class, NOK per year (arrays of equal length)."""

    wage: F  # trygdeavgift at the wage rate (salary, AAP, overgangsstønad, ...)
    pension: F  # trygdeavgift at the low rate (pension, uføretrygd)
    self_employment: F  # trygdeavgift at the high rate
    other: F  # alminnelig inntekt only (e.g. taxable rental income)
    minstefradrag_wage: F  # income giving the wage minstefradrag
    minstefradrag_pension: F  # income giving the pension minstefradrag
    pensioner_deduction_base: F  # pension income that gives the skattefradrag for pensjonister
    interest_paid: F  # rentefradrag (deducted from alminnelig inntekt)


@dataclass(frozen=True)
class TaxResult:
    gross: F
    trygdeavgift: F
    minstefradrag: F
    alminnelig_inntekt: F
    tax_alminnelig: F
    trinnskatt: F
    pensioner_deduction: F
    tax: F
    net: F


def zeros(n: int) -> F:
    return np.zeros(n, dtype=np.float64)


def tax_base(n: int) -> TaxBase:
    return TaxBase(*(zeros(n) for _ in range(8)))


def _minstefradrag(income: F, rate: float, maximum: float, minimum: float) -> F:
    raw = np.clip(income * rate, minimum, maximum)
    return np.where(income > 0, np.minimum(raw, income), 0.0)


def income_tax(base: TaxBase, rules: IncomeTaxRules) -> TaxResult:
    """Tax and net income per person for the rules' year."""
    arrays = [np.asarray(a, dtype=np.float64) for a in vars(base).values()]
    for a in arrays:
        if not bool(np.all(np.isfinite(a) & (a >= 0))):
            raise InvalidInput(
                "Gross income and interest must be finite and not negative.",
                field="income.sources",
                rule="amount-non-negative-bounded",
            )
    rates = rules.trygdeavgift_rates
    personinntekt = base.wage + base.pension + base.self_employment
    raw_ta = (
        rates.get("wage", 0.0) * base.wage
        + rates.get("pension", 0.0) * base.pension
        + rates.get("self_employment", 0.0) * base.self_employment
    )
    above = np.maximum(personinntekt - rules.trygdeavgift_lower_limit, 0.0)
    trygdeavgift = np.where(above > 0, np.minimum(raw_ta, rules.trygdeavgift_phase_in * above), 0.0)

    mw, mp = rules.minstefradrag_wage, rules.minstefradrag_pension
    md_w = _minstefradrag(base.minstefradrag_wage, mw.rate, mw.maximum, mw.minimum)
    md_p = _minstefradrag(base.minstefradrag_pension, mp.rate, mp.maximum, mp.minimum)
    minstefradrag = np.minimum(md_w + md_p, max(mw.maximum, mp.maximum))

    gross = personinntekt + base.other
    alminnelig = gross - minstefradrag - base.interest_paid
    tax_alminnelig = rules.alminnelig_rate * np.maximum(alminnelig - rules.personfradrag, 0.0)

    trinnskatt = zeros(len(gross))
    thresholds = [t for t, _ in rules.trinnskatt]
    for k, (threshold, rate) in enumerate(rules.trinnskatt):
        upper = thresholds[k + 1] if k + 1 < len(thresholds) else np.inf
        trinnskatt = trinnskatt + rate * np.clip(personinntekt - threshold, 0.0, upper - threshold)

    p = base.pensioner_deduction_base
    reduction = rules.pensioner_step1_rate * np.clip(
        p - rules.pensioner_step1_from, 0.0, rules.pensioner_step2_from - rules.pensioner_step1_from
    ) + rules.pensioner_step2_rate * np.maximum(p - rules.pensioner_step2_from, 0.0)
    deduction = np.where(p > 0, np.maximum(rules.pensioner_max - reduction, 0.0), 0.0)
    before = trygdeavgift + trinnskatt + tax_alminnelig
    # at most the tax that falls on the pension income (its share of the person's income)
    share = np.divide(p, gross, out=np.zeros_like(p), where=gross > 0)
    deduction = np.minimum(deduction, before * share)
    tax = np.maximum(before - deduction, 0.0)
    return TaxResult(
        gross=gross,
        trygdeavgift=trygdeavgift,
        minstefradrag=minstefradrag,
        alminnelig_inntekt=alminnelig,
        tax_alminnelig=tax_alminnelig,
        trinnskatt=trinnskatt,
        pensioner_deduction=deduction,
        tax=tax,
        net=gross - tax,
    )


def explain_tax(result: TaxResult, rules: IncomeTaxRules, labels: list[str]) -> list[ExplanationStep]:
    """One step per person, from the figures (bokmål and English)."""
    steps = []
    for k, label in enumerate(labels):
        g = float(result.gross[k])
        nb = (
            f"Skatt {rules.year} for {label}: brutto {kr_nb(g)} per år; trygdeavgift {kr_nb(result.trygdeavgift[k])}, "
            f"trinnskatt {kr_nb(result.trinnskatt[k])}, {rules.alminnelig_rate * 100:.0f} % av alminnelig inntekt "
            f"({kr_nb(result.alminnelig_inntekt[k])} etter minstefradrag {kr_nb(result.minstefradrag[k])}) over "
            f"personfradraget {kr_nb(rules.personfradrag)}: {kr_nb(result.tax_alminnelig[k])}"
        )
        en = (
            f"Tax {rules.year} for {label}: gross {kr_en(g)} a year; trygdeavgift {kr_en(result.trygdeavgift[k])}, "
            f"trinnskatt {kr_en(result.trinnskatt[k])}, {rules.alminnelig_rate * 100:.0f} % of ordinary income "
            f"({kr_en(result.alminnelig_inntekt[k])} after minstefradrag {kr_en(result.minstefradrag[k])}) above the "
            f"personal allowance {kr_en(rules.personfradrag)}: {kr_en(result.tax_alminnelig[k])}"
        )
        if result.pensioner_deduction[k] > 0:
            nb += f"; skattefradrag for pensjonister −{kr_nb(result.pensioner_deduction[k])}"
            en += f"; tax allowance for pension income −{kr_en(result.pensioner_deduction[k])}"
        net = float(result.net[k])
        nb += f". Skatt {kr_nb(result.tax[k])}; netto {kr_nb(net)} per år = {kr_nb(net / 12)} per måned."
        en += f". Tax {kr_en(result.tax[k])}; net {kr_en(net)} a year = {kr_en(net / 12)} per month."
        steps.append(ExplanationStep("income_tax", nb.replace(".", ",", 0), en, net / 12))
    return steps
