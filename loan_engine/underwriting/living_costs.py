"""Living costs (livsopphold): the SIFO reference budget, the social-assistance floor, and the choice between them.

Husbanken's guidance (domain_rules §1.5): start from the household's **actual consumption** where the caseworker
has it; SIFO's reference budget is a useful reference; the amount is **never below** the state's guideline rates
for økonomisk sosialhjelp (the floor). :func:`choose_living_costs` applies that rule and says which figure was used
and why, in bokmål and English.

The amounts are computed once, by :func:`loan_engine.underwriting.rules.living_costs` (the household as an array of
one); this module adds the line-by-line breakdown shown to the caseworker and the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from loan_engine.errors import InvalidInput
from loan_engine.explain import kr_both
from loan_engine.parameters import SocialAssistanceFloor, UnderwritingParameters
from loan_engine.underwriting import rules

MAX_MEMBERS = 20
MAX_AGE = rules.MAX_AGE


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Car(StrEnum):
    NONE = "none"
    PETROL = "petrol"
    ELECTRIC = "electric"


class LivingCostSource(StrEnum):
    SIFO = "sifo"
    CASEWORKER = "caseworker"
    FLOOR = "floor"


@dataclass(frozen=True)
class Member:
    age: int
    sex: Sex
    pregnant: bool = False


@dataclass(frozen=True)
class Household:
    members: tuple[Member, ...]
    car: Car = Car.NONE
    children_in_barnehage: int = 0
    children_in_sfo: int = 0

    @property
    def adults(self) -> int:
        return sum(1 for m in self.members if m.age >= 18)

    @property
    def children(self) -> int:
        return sum(1 for m in self.members if m.age < 18)


@dataclass(frozen=True)
class BudgetLine:
    key: str
    label_nb: str
    label_en: str
    amount: float
    member: int | None = None  # index into household.members for individual items


@dataclass(frozen=True)
class Budget:
    total: float
    lines: tuple[BudgetLine, ...]


@dataclass(frozen=True)
class LivingCosts:
    amount: float
    source: LivingCostSource
    reason_nb: str
    reason_en: str
    sifo: Budget
    floor: Budget
    caseworker_amount: float | None


def validate_household(household: Household) -> None:
    n = len(household.members)
    if n < 1 or n > MAX_MEMBERS:
        raise InvalidInput(
            f"A household has 1–{MAX_MEMBERS} members; got {n}.",
            field="household.members",
            rule="members-1-20",
        )
    if household.adults < 1:
        raise InvalidInput(
            "A household applying for startlån needs at least one member aged 18 or over.",
            field="household.members",
            rule="at-least-one-adult",
        )
    for k, m in enumerate(household.members):
        if m.age < 0 or m.age > MAX_AGE:
            raise InvalidInput(
                f"Age must be 0–{MAX_AGE} years; got {m.age}.",
                field=f"household.members.{k}.age",
                rule="age-0-120",
            )
        if m.pregnant and (m.sex is not Sex.FEMALE or m.age < 12):
            raise InvalidInput(
                "Only a female member aged 12 or over can be marked pregnant.",
                field=f"household.members.{k}.pregnant",
                rule="pregnant-female",
            )
    young = sum(1 for m in household.members if m.age <= 6)
    if household.children_in_barnehage < 0 or household.children_in_barnehage > young:
        raise InvalidInput(
            f"children_in_barnehage must be between 0 and the number of members aged 0–6 ({young}).",
            field="household.children_in_barnehage",
            rule="barnehage-children-in-household",
        )
    school = sum(1 for m in household.members if 5 <= m.age <= 13)
    if household.children_in_sfo < 0 or household.children_in_sfo > school:
        raise InvalidInput(
            f"children_in_sfo must be between 0 and the number of members aged 5–13 ({school}).",
            field="household.children_in_sfo",
            rule="sfo-children-in-household",
        )


def living_cost_arrays(
    household: Household, params: UnderwritingParameters, caseworker_amount: float | None = None
) -> rules.LivingCostArrays:
    """:func:`loan_engine.underwriting.rules.living_costs` for one household (an array of one)."""
    members = household.members
    t = rules.living_tables(params)
    n = len(members)
    car = t.car_kinds.index(household.car.value) + 1 if household.car.value in t.car_kinds else 0
    # one array, read as contiguous pieces: ages, female, pregnant (n each), start offsets (0, n), car, barnehage, sfo
    a = np.array(
        [
            *(x.age for x in members),
            *(x.sex is Sex.FEMALE for x in members),
            *(x.pregnant for x in members),
            0,
            n,
            car,
            household.children_in_barnehage,
            household.children_in_sfo,
        ],
        dtype=np.int64,
    )
    k = 3 * n
    cw = np.array([np.nan if caseworker_amount is None else caseworker_amount], dtype=np.float64)
    return rules.living_costs_kernel(
        t, a[k : k + 2], a[:n], a[n : 2 * n], a[2 * n : k], a[k + 2 : k + 3], a[k + 3 : k + 4], a[k + 4 :], cw
    )


def _member_lines(params: UnderwritingParameters, idx: int, m: Member) -> tuple[BudgetLine, ...]:
    sifo = params.sifo
    tables = rules.living_tables(params)
    key = ("member", idx, m.sex, m.age, m.pregnant)
    hit = tables.memo.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    female = 1 if m.sex is Sex.FEMALE else 0
    lines: list[BudgetLine] = []
    for k, item in enumerate(sifo.individual):
        amount = tables.item_lists[k][female][m.age]
        if item.key == "food" and m.pregnant:
            amount = sifo.pregnant_food
        if amount:
            lines.append(BudgetLine(item.key, item.label_nb, item.label_en, amount, idx))
    if m.pregnant:
        lines.append(
            BudgetLine(
                "baby_equipment",
                "Spedbarnsutstyr (før fødsel)",
                "Baby equipment (before birth)",
                sifo.pregnancy_baby_equipment,
                idx,
            )
        )
    if m.age == 0:
        lines.append(
            BudgetLine(
                "infant_supplement",
                "Spedbarnsutstyr (under 1 år)",
                "Infant supplement (under 1)",
                sifo.infant_supplement_under_1,
                idx,
            )
        )
    if len(tables.memo) > 20_000:
        tables.memo.clear()
    tables.memo[key] = out = tuple(lines)
    return out


def _household_lines(params: UnderwritingParameters, household: Household) -> tuple[BudgetLine, ...]:
    sifo = params.sifo
    tables = rules.living_tables(params)
    size = len(household.members)
    key = ("household", size, household.car, household.children_in_barnehage, household.children_in_sfo)
    hit = tables.memo.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    lines: list[BudgetLine] = []
    for item in sifo.household:
        amounts = item.amounts_by_size
        lines.append(BudgetLine(item.key, item.label_nb, item.label_en, amounts[min(size, len(amounts)) - 1]))
    if household.car is not Car.NONE:
        small, large = sifo.car[household.car.value]
        label = "Bil (bensin)" if household.car is Car.PETROL else "Bil (elbil)"
        label_en = "Car (petrol)" if household.car is Car.PETROL else "Car (electric)"
        lines.append(BudgetLine("car", label, label_en, small if size <= 4 else large))
    for k in range(household.children_in_barnehage):
        per = sifo.barnehage_per_child
        monthly = per[min(k, len(per) - 1)] * sifo.barnehage_months_per_year / 12
        lines.append(BudgetLine("barnehage", f"Barnehage, barn {k + 1}", f"Kindergarten, child {k + 1}", monthly))
    for k in range(household.children_in_sfo):
        monthly = sifo.sfo_per_child * sifo.sfo_months_per_year / 12
        lines.append(BudgetLine("sfo", f"SFO/AKS, barn {k + 1}", f"After-school care, child {k + 1}", monthly))
    if len(tables.memo) > 20_000:
        tables.memo.clear()
    tables.memo[key] = out = tuple(lines)
    return out


def _sifo_lines(household: Household, params: UnderwritingParameters) -> tuple[BudgetLine, ...]:
    """The SIFO budget's lines (individual items per member, household items by size) for display. The lines are
    immutable; those of a member (by position, sex, age, pregnancy) and of the household's size and extras are
    built once per parameter set."""
    sifo = params.sifo
    lines: list[BudgetLine] = []
    for idx, m in enumerate(household.members):
        lines.extend(_member_lines(params, idx, m))
    if household.adults == 2 and household.children >= sifo.large_family_min_children:
        food = sum(line.amount for line in lines if line.key == "food")
        tables = rules.living_tables(params)
        key = ("large_family", food)
        reduction = tables.memo.get(key)
        if reduction is None:
            reduction = BudgetLine(
                "large_family_food_reduction",
                "Stordriftsfordel mat (par med mer enn to barn)",
                "Economies of scale on food (couple with more than two children)",
                -food * sifo.large_family_food_reduction,
            )
            if len(tables.memo) > 20_000:
                tables.memo.clear()
            tables.memo[key] = reduction
        lines.append(reduction)
    lines.extend(_household_lines(params, household))
    return tuple(lines)


def sifo_budget(household: Household, params: UnderwritingParameters) -> Budget:
    """SIFO reference budget with one line per item (individual items per member, household items by size)."""
    validate_household(household)
    total = float(living_cost_arrays(household, params).sifo[0])
    return Budget(total=total, lines=_sifo_lines(household, params))


def social_assistance_floor(household: Household, floor: SocialAssistanceFloor) -> Budget:
    """The veiledende sats for økonomisk sosialhjelp for the household (excludes housing and electricity), line
    by line; the total is :func:`loan_engine.underwriting.rules.social_assistance_floor`'s."""
    ages = np.fromiter((m.age for m in household.members), dtype=np.int64, count=len(household.members))
    total = float(rules.social_assistance_floor(floor, np.zeros(len(ages), dtype=np.int64), ages, 1)[0])
    return Budget(total=total, lines=_floor_lines(household, floor))


def _floor_lines(household: Household, floor: SocialAssistanceFloor) -> tuple[BudgetLine, ...]:
    """The floor's lines for display."""
    lines: list[BudgetLine] = []
    adults = household.adults
    if adults == 1:
        lines.append(BudgetLine("single_adult", "Enslig", "Single adult", floor.single_adult))
    elif adults >= 2:
        lines.append(BudgetLine("couple", "Ektepar/samboere", "Couple", floor.couple))
        for _ in range(adults - 2):
            lines.append(
                BudgetLine(
                    "person_in_shared_housing", "Person i bofellesskap", "Further adult", floor.person_in_shared_housing
                )
            )
    for idx, m in enumerate(household.members):
        if m.age < 18:
            if m.age <= 5:
                lines.append(BudgetLine("child_0_5", "Barn 0–5 år", "Child 0–5", floor.child_0_5, idx))
            elif m.age <= 10:
                lines.append(BudgetLine("child_6_10", "Barn 6–10 år", "Child 6–10", floor.child_6_10, idx))
            else:
                lines.append(BudgetLine("child_11_17", "Barn 11–17 år", "Child 11–17", floor.child_11_17, idx))
    return tuple(lines)


def _floor_lines_of(params: UnderwritingParameters, household: Household) -> tuple[BudgetLine, ...]:
    """:func:`_floor_lines` on the parameter set's floor, built once per combination of adults and children's
    age bands by position (the lines are immutable)."""
    tables = rules.living_tables(params)
    key = ("floor", *(3 if m.age >= 18 else 0 if m.age <= 5 else 1 if m.age <= 10 else 2 for m in household.members))
    hit = tables.memo.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    if len(tables.memo) > 20_000:
        tables.memo.clear()
    tables.memo[key] = out = _floor_lines(household, params.floor)
    return out


def choose_living_costs(
    household: Household,
    params: UnderwritingParameters,
    caseworker_amount: float | None = None,
    *,
    validated: bool = False,
) -> LivingCosts:
    """The living-cost amount to use: the caseworker's actual-consumption figure if given, else SIFO; never
    below the social-assistance floor (the amounts: :func:`loan_engine.underwriting.rules.living_costs`).
    ``validated``: the caller has just checked ``household`` with :func:`validate_household`."""
    if not validated:
        validate_household(household)
    if caseworker_amount is not None and not 0 <= caseworker_amount <= 1_000_000:
        raise InvalidInput(
            "living_costs_monthly must be between 0 and 1 000 000 NOK per month.",
            field="living_costs_monthly",
            rule="amount-0-1000000",
        )
    arrays = living_cost_arrays(household, params, caseworker_amount)
    sifo = Budget(total=float(arrays.sifo[0]), lines=_sifo_lines(household, params))
    floor = Budget(total=float(arrays.floor[0]), lines=_floor_lines_of(params, household))
    source = int(arrays.source[0])
    sifo_nb, sifo_en = kr_both(sifo.total)
    floor_nb, floor_en = kr_both(floor.total)
    if caseworker_amount is not None:
        cw_nb, cw_en = kr_both(caseworker_amount)
        if source == rules.SOURCE_CASEWORKER:
            return LivingCosts(
                amount=caseworker_amount,
                source=LivingCostSource.CASEWORKER,
                reason_nb=(
                    f"Saksbehandlers tall for faktisk forbruk ({cw_nb}) er brukt, "
                    f"slik Husbanken anbefaler; det er ikke lavere enn sosialhjelpssatsen "
                    f"({floor_nb}). SIFO-budsjettet ville gitt {sifo_nb}."
                ),
                reason_en=(
                    f"The caseworker's actual-consumption figure ({cw_en}) is used, as "
                    f"Husbanken recommends; it is not below the social-assistance floor "
                    f"({floor_en}). The SIFO budget would be {sifo_en}."
                ),
                sifo=sifo,
                floor=floor,
                caseworker_amount=caseworker_amount,
            )
        return LivingCosts(
            amount=floor.total,
            source=LivingCostSource.FLOOR,
            reason_nb=(
                f"Saksbehandlers tall ({cw_nb}) er lavere enn veiledende sats for "
                f"økonomisk sosialhjelp ({floor_nb}); livsopphold kan ikke settes lavere, så "
                f"sosialhjelpssatsen er brukt."
            ),
            reason_en=(
                f"The caseworker's figure ({cw_en}) is below the social-assistance "
                f"floor ({floor_en}); living costs may not be set lower, so the floor is used."
            ),
            sifo=sifo,
            floor=floor,
            caseworker_amount=caseworker_amount,
        )
    if source == rules.SOURCE_SIFO:
        return LivingCosts(
            amount=sifo.total,
            source=LivingCostSource.SIFO,
            reason_nb=(
                f"Ingen tall for faktisk forbruk er oppgitt; SIFOs referansebudsjett {params.sifo.year} "
                f"for husstanden ({sifo_nb}) er brukt. Det er over sosialhjelpssatsen "
                f"({floor_nb})."
            ),
            reason_en=(
                f"No actual-consumption figure was given; the SIFO {params.sifo.year} reference budget for "
                f"the household ({sifo_en}) is used. It is above the social-assistance floor "
                f"({floor_en})."
            ),
            sifo=sifo,
            floor=floor,
            caseworker_amount=None,
        )
    return LivingCosts(
        amount=floor.total,
        source=LivingCostSource.FLOOR,
        reason_nb=(
            f"SIFO-budsjettet ({sifo_nb}) er lavere enn sosialhjelpssatsen "
            f"({floor_nb}); sosialhjelpssatsen er brukt som minstebeløp."
        ),
        reason_en=(
            f"The SIFO budget ({sifo_en}) is below the social-assistance floor "
            f"({floor_en}); the floor is used as the minimum."
        ),
        sifo=sifo,
        floor=floor,
        caseworker_amount=None,
    )
