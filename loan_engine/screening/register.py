"""The tenant register: its columns, their meaning and rules, and the typed, columnar form the engine reads.

File format (CSV or Parquet; one row a household)
-------------------------------------------------
CSV as Excel exports it: UTF-8 (with or without BOM) or Windows-1252, ``;`` or ``,`` (or tab) separated, decimal
comma or point (``12 345,50``, ``12345.5`` and ``12.345,50`` all work). Column names are case-insensitive; spaces
and hyphens count as ``_``; the Norwegian names in brackets are accepted as well. Amounts are **NOK per month,
after tax**. An empty cell in an optional column means the default.

=========================  ========  ===========================================================================
column                     required  meaning
=========================  ========  ===========================================================================
``household_id``           yes       The kommune's reference for the household (unique, ≤ 64 characters)
                                     [husstand_id, husstand]
``members``                yes       Every member as sex letter + age in years, separated by spaces (or ``/``,
                                     ``+``, ``|``), e.g. ``F34 M36 F8 M3``. ``F``/``K`` (kvinne)/``J`` (jente) =
                                     female, ``M``/``G`` (gutt) = male. 1–20 members, ages 0–120, at least one
                                     adult (18+) [medlemmer]
``income_wages``           one of    Wages and self-employment income [inntekt_lonn, lønn]
``income_pension``         the       Pensions and uføretrygd (stable) [inntekt_pensjon, pensjon, uføretrygd]
``income_benefits``        income    Other NAV benefits: AAP, dagpenger, overgangsstønad, introduksjonsstønad,
                           columns   kvalifiseringsstønad [inntekt_ytelser, ytelser, stønad]
``income_child_benefit``             Barnetrygd, kontantstøtte, barnebidrag received [barnetrygd]
``income_other``                     Other regular income [inntekt_annet, annen_inntekt]
``bostotte``               no        Bostøtte received today (kept apart: it is recalculated after a move and is
                                     not counted as income unless the screening option says so) [bostøtte]
``rent``                   yes       Rent paid today for the municipal dwelling [husleie, leie]
``other_debt_payments``    no        Instalments + interest on consumer debt, student loan, car loan
                                     [gjeld_betjening, andre_lån]
``other_fixed_costs``      no        Other fixed costs: child support paid, … (not barnehage/SFO, see below)
                                     [faste_utgifter]
``equity``                 no        Savings that could go into a purchase, NOK [egenkapital, sparing]
``contract_end``           no        End date of the tenancy contract (YYYY-MM-DD or DD.MM.YYYY); empty = open-ended
                                     (tidsubestemt) [kontrakt_slutt, kontraktsslutt, utløpsdato]
``area``                   yes       Area (bydel/sone/kommune) — a key in the price table [område, omrade, bydel]
``dwelling``               no        The municipal dwelling rented today (the kommune's unit id); households
                                     sharing a value share one dwelling [bolig, bolig_id]
``permanently_low_income`` no        ``ja``/``nei`` (also yes/no, true/false, 1/0, x): documented permanently
                                     low income, condition a) for a 50-year term (§ 8-5) [varig_lav_inntekt]
``car``                    no        ``none`` (default), ``petrol`` or ``electric`` (ingen/bensin/diesel/elbil) [bil]
``children_in_barnehage``  no        Children in barnehage (SIFO adds its price) [barn_i_barnehage]
``children_in_sfo``        no        Children in SFO/AKS [barn_i_sfo]
=========================  ========  ===========================================================================

Unknown columns are ignored and listed in the report — unless one looks like a known column the file lacks (an
alias or a small edit distance away, see :func:`looks_like`): that stops the run with an error naming both, unless
``allow_unknown_columns`` is set. Amounts: ``kr 12.500,-`` and ``12.500`` are 12 500 (dots group thousands when
no decimal comma follows). A missing required column is a file-level error naming all missing columns; every other problem is a **row-level** error ``{row, column, rule, message}`` (row = the
spreadsheet row number; the header is row 1) and the remaining rows are still screened.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from loan_engine.underwriting.living_costs import Car, Household, Member, Sex

INCOME_COLUMNS: tuple[str, ...] = (
    "income_wages",
    "income_pension",
    "income_benefits",
    "income_child_benefit",
    "income_other",
)
MONEY_COLUMNS: tuple[str, ...] = (
    *INCOME_COLUMNS,
    "bostotte",
    "rent",
    "other_debt_payments",
    "other_fixed_costs",
    "equity",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("household_id", "members", "rent", "area")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    *INCOME_COLUMNS,
    "bostotte",
    "other_debt_payments",
    "other_fixed_costs",
    "equity",
    "contract_end",
    "dwelling",
    "permanently_low_income",
    "car",
    "children_in_barnehage",
    "children_in_sfo",
)
ALL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

#: Largest monthly amount accepted in any money column (NOK per month); equity up to MAX_EQUITY.
MAX_MONTHLY = 1_000_000.0
MAX_EQUITY = 100_000_000.0
MAX_ID_LENGTH = 64
MAX_AREA_LENGTH = 100

ALIASES: dict[str, str] = {
    "husstand_id": "household_id",
    "husstand": "household_id",
    "id": "household_id",
    "medlemmer": "members",
    "husstandsmedlemmer": "members",
    "inntekt_lonn": "income_wages",
    "inntekt_lønn": "income_wages",
    "lonn": "income_wages",
    "lønn": "income_wages",
    "inntekt_pensjon": "income_pension",
    "pensjon": "income_pension",
    "uforetrygd": "income_pension",
    "uføretrygd": "income_pension",
    "inntekt_ytelser": "income_benefits",
    "ytelser": "income_benefits",
    "stonad": "income_benefits",
    "stønad": "income_benefits",
    "barnetrygd": "income_child_benefit",
    "inntekt_barnetrygd": "income_child_benefit",
    "inntekt_annet": "income_other",
    "annen_inntekt": "income_other",
    "bostøtte": "bostotte",
    "husleie": "rent",
    "leie": "rent",
    "gjeld_betjening": "other_debt_payments",
    "andre_lån": "other_debt_payments",
    "andre_lan": "other_debt_payments",
    "faste_utgifter": "other_fixed_costs",
    "egenkapital": "equity",
    "sparing": "equity",
    "kontrakt_slutt": "contract_end",
    "kontraktsslutt": "contract_end",
    "utløpsdato": "contract_end",
    "utlopsdato": "contract_end",
    "område": "area",
    "omrade": "area",
    "bydel": "area",
    "bolig": "dwelling",
    "bolig_id": "dwelling",
    "varig_lav_inntekt": "permanently_low_income",
    "bil": "car",
    "barn_i_barnehage": "children_in_barnehage",
    "barn_i_sfo": "children_in_sfo",
}


def canonical_column(name: str) -> str:
    """``'Husleie '`` → ``rent``; ``'Income wages'`` → ``income_wages``; unknown names normalised but kept."""
    n = unicodedata.normalize("NFC", str(name)).strip().lstrip("\ufeff").lower()
    n = "_".join(n.replace("-", " ").split())
    return ALIASES.get(n, n)


def area_key(value: str) -> str:
    """Areas match case- and whitespace-insensitively (``'Nordre  Lillestrøm'`` = ``'nordre lillestrøm'``)."""
    return " ".join(unicodedata.normalize("NFC", value).split()).casefold()


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class Texts(Sequence[str]):
    """A text column held as an Arrow string array (no nulls), read like the list of its values: the Python list
    is built once, when a value is first indexed or iterated (the columnar path reads the Arrow array whole and
    usually never needs it). Equal to a list or ``Texts`` with the same values; slices are lists."""

    __slots__ = ("_items", "arrow")

    def __init__(self, arrow: Any) -> None:
        self.arrow = arrow
        self._items: list[str] | None = None

    def items(self) -> list[str]:
        if self._items is None:
            self._items = self.arrow.to_pylist()
        return self._items

    def __len__(self) -> int:
        return len(self.arrow)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        return self.items()[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Texts):
            return self.items() == other.items()
        if isinstance(other, list):
            return self.items() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-like, as a list

    def __array__(self, dtype: Any = None, copy: Any = None) -> npt.NDArray[Any]:
        return np.asarray(self.items(), dtype=object if dtype is None else dtype)

    def __repr__(self) -> str:
        return f"Texts({self.items()!r})"


TextColumn = list[str] | Texts


def _texts_slice(values: TextColumn, a: int, b: int) -> TextColumn:
    return Texts(values.arrow.slice(a, b - a)) if isinstance(values, Texts) else values[a:b]


def _texts_take(values: TextColumn, idx: npt.NDArray[np.int64]) -> TextColumn:
    if isinstance(values, Texts):
        import pyarrow as pa

        return Texts(values.arrow.take(pa.array(idx)))
    return [values[i] for i in idx]


def _texts_concat(parts: list[TextColumn]) -> TextColumn:
    if all(isinstance(p, Texts) for p in parts):
        import pyarrow as pa

        return Texts(pa.concat_arrays([p.arrow for p in parts]))  # type: ignore[union-attr]
    return list(chain.from_iterable(parts))


@dataclass
class Register:
    """Valid households in columnar form (index ``i`` is one household).

    Members are flattened: household ``i`` has members ``member_age[member_start[i]:member_start[i+1]]``.
    ``contract_end`` is days since 1970-01-01, ``NO_END`` for open-ended contracts.
    """

    row: IntArray
    household_id: TextColumn
    member_start: IntArray  # length n + 1
    member_age: IntArray
    member_female: BoolArray
    income: dict[str, FloatArray]  # by INCOME_COLUMNS name
    bostotte: FloatArray
    rent: FloatArray
    other_debt_payments: FloatArray
    other_fixed_costs: FloatArray
    equity: FloatArray
    contract_end: IntArray
    area: TextColumn  # as written (first spelling seen for the key)
    area_key: TextColumn
    dwelling: TextColumn
    permanently_low_income: BoolArray
    car: TextColumn  # Car values
    children_in_barnehage: IntArray
    children_in_sfo: IntArray

    def __len__(self) -> int:
        return len(self.household_id)

    @property
    def held_strings(self) -> dict[str, Any]:
        """Text columns also held as Arrow string arrays, by name (not a field: built once when first asked for,
        or handed over by the columnar validator, which has them already; the exports and price look-ups read
        them whole)."""
        held: dict[str, Any] | None = self.__dict__.get("_held_strings")
        if held is None:
            held = self.__dict__["_held_strings"] = {}
        return held

    def strings(self, name: str) -> Any:
        """The text column ``name`` (``household_id``, ``area``, ``area_key``, ``dwelling`` or ``car``) as an
        Arrow string array with the same values as the list."""
        values = getattr(self, name)
        if isinstance(values, Texts):
            return values.arrow
        held = self.held_strings
        arr = held.get(name)
        if arr is None:
            import pyarrow as pa

            arr = held[name] = pa.array(getattr(self, name), pa.string())
        return arr

    def hold_strings(self, **arrays: Any) -> Register:
        """Hand over Arrow string arrays equal to text columns (see :meth:`strings`); returns the register."""
        for name, arr in arrays.items():
            if len(arr) != len(getattr(self, name)):  # pragma: no cover (a programming error)
                raise ValueError(f"{name}: {len(arr)} strings for {len(self)} households")
            self.held_strings[name] = arr
        return self

    @property
    def size(self) -> IntArray:
        return np.diff(self.member_start)

    def household(self, i: int) -> Household:
        """Household ``i`` as the single-household living-cost rules take it."""
        a, b = int(self.member_start[i]), int(self.member_start[i + 1])
        members = tuple(
            Member(age=int(age), sex=Sex.FEMALE if female else Sex.MALE)
            for age, female in zip(self.member_age[a:b], self.member_female[a:b], strict=True)
        )
        return Household(
            members=members,
            car=Car(self.car[i]),
            children_in_barnehage=int(self.children_in_barnehage[i]),
            children_in_sfo=int(self.children_in_sfo[i]),
        )

    def members_text(self, i: int) -> str:
        a, b = int(self.member_start[i]), int(self.member_start[i + 1])
        return " ".join(
            f"{'F' if f else 'M'}{int(age)}"
            for age, f in zip(self.member_age[a:b], self.member_female[a:b], strict=True)
        )

    def contract_end_date(self, i: int) -> date | None:
        d = int(self.contract_end[i])
        return None if d == NO_END else date.fromordinal(d + EPOCH_ORDINAL)


NO_END = np.iinfo(np.int64).max
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def days(d: date) -> int:
    return d.toordinal() - EPOCH_ORDINAL


def concat(parts: list[Register]) -> Register:
    """One register from chunk registers (in order)."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return empty_register()
    starts = [np.zeros(1, dtype=np.int64)]
    offset = 0
    for p in parts:
        starts.append(p.member_start[1:] + offset)
        offset += int(p.member_start[-1])
    return Register(
        row=np.concatenate([p.row for p in parts]),
        household_id=_texts_concat([p.household_id for p in parts]),
        member_start=np.concatenate(starts),
        member_age=np.concatenate([p.member_age for p in parts]),
        member_female=np.concatenate([p.member_female for p in parts]),
        income={c: np.concatenate([p.income[c] for p in parts]) for c in INCOME_COLUMNS},
        bostotte=np.concatenate([p.bostotte for p in parts]),
        rent=np.concatenate([p.rent for p in parts]),
        other_debt_payments=np.concatenate([p.other_debt_payments for p in parts]),
        other_fixed_costs=np.concatenate([p.other_fixed_costs for p in parts]),
        equity=np.concatenate([p.equity for p in parts]),
        contract_end=np.concatenate([p.contract_end for p in parts]),
        area=_texts_concat([p.area for p in parts]),
        area_key=_texts_concat([p.area_key for p in parts]),
        dwelling=_texts_concat([p.dwelling for p in parts]),
        permanently_low_income=np.concatenate([p.permanently_low_income for p in parts]),
        car=_texts_concat([p.car for p in parts]),
        children_in_barnehage=np.concatenate([p.children_in_barnehage for p in parts]),
        children_in_sfo=np.concatenate([p.children_in_sfo for p in parts]),
    ).hold_strings(**_held(parts))


def rows_slice(reg: Register, a: int, b: int) -> Register:
    """Households ``a:b`` (views of the arrays where they can be)."""
    ma, mb = int(reg.member_start[a]), int(reg.member_start[b])
    return Register(
        row=reg.row[a:b],
        household_id=_texts_slice(reg.household_id, a, b),
        member_start=reg.member_start[a : b + 1] - ma,
        member_age=reg.member_age[ma:mb],
        member_female=reg.member_female[ma:mb],
        income={c: v[a:b] for c, v in reg.income.items()},
        bostotte=reg.bostotte[a:b],
        rent=reg.rent[a:b],
        other_debt_payments=reg.other_debt_payments[a:b],
        other_fixed_costs=reg.other_fixed_costs[a:b],
        equity=reg.equity[a:b],
        contract_end=reg.contract_end[a:b],
        area=_texts_slice(reg.area, a, b),
        area_key=_texts_slice(reg.area_key, a, b),
        dwelling=_texts_slice(reg.dwelling, a, b),
        permanently_low_income=reg.permanently_low_income[a:b],
        car=_texts_slice(reg.car, a, b),
        children_in_barnehage=reg.children_in_barnehage[a:b],
        children_in_sfo=reg.children_in_sfo[a:b],
    ).hold_strings(**{name: arr.slice(a, b - a) for name, arr in reg.held_strings.items()})


def _held(parts: list[Register]) -> dict[str, Any]:
    """The Arrow text columns every part holds, concatenated."""
    import pyarrow as pa

    names = set.intersection(*(set(p.held_strings) for p in parts)) if parts else set()
    return {name: pa.concat_arrays([p.held_strings[name] for p in parts]) for name in sorted(names)}


def empty_register() -> Register:
    f = np.zeros(0, dtype=np.float64)
    i = np.zeros(0, dtype=np.int64)
    return Register(
        row=i,
        household_id=[],
        member_start=np.zeros(1, dtype=np.int64),
        member_age=i,
        member_female=np.zeros(0, dtype=bool),
        income={c: f for c in INCOME_COLUMNS},
        bostotte=f,
        rent=f,
        other_debt_payments=f,
        other_fixed_costs=f,
        equity=f,
        contract_end=i,
        area=[],
        area_key=[],
        dwelling=[],
        permanently_low_income=np.zeros(0, dtype=bool),
        car=[],
        children_in_barnehage=i,
        children_in_sfo=i,
    )


def subset(reg: Register, keep: npt.NDArray[np.bool_]) -> Register:
    """The households where ``keep`` is true (used to drop rows whose area has no price)."""
    idx = np.flatnonzero(keep)
    sizes = reg.size[idx]
    starts = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    member_idx = np.repeat(np.asarray(keep, dtype=bool), reg.size)
    return Register(
        row=reg.row[idx],
        household_id=_texts_take(reg.household_id, idx),
        member_start=starts,
        member_age=reg.member_age[member_idx],
        member_female=reg.member_female[member_idx],
        income={c: v[idx] for c, v in reg.income.items()},
        bostotte=reg.bostotte[idx],
        rent=reg.rent[idx],
        other_debt_payments=reg.other_debt_payments[idx],
        other_fixed_costs=reg.other_fixed_costs[idx],
        equity=reg.equity[idx],
        contract_end=reg.contract_end[idx],
        area=_texts_take(reg.area, idx),
        area_key=_texts_take(reg.area_key, idx),
        dwelling=_texts_take(reg.dwelling, idx),
        permanently_low_income=reg.permanently_low_income[idx],
        car=_texts_take(reg.car, idx),
        children_in_barnehage=reg.children_in_barnehage[idx],
        children_in_sfo=reg.children_in_sfo[idx],
    ).hold_strings(**{name: arr.take(idx) for name, arr in reg.held_strings.items()})


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute), for column names only (short strings)."""
    if a == b:
        return 0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _fold(name: str) -> str:
    return name.replace("ø", "o").replace("å", "a").replace("æ", "ae")


#: Name parts too general to make a column look like one of ours.
_GENERIC_TOKENS = frozenset({"i", "id", "til", "av", "og", "the", "of", "in"})


def looks_like(name: str, absent: set[str]) -> list[tuple[str, str]]:
    """Known columns (not in the file) that the unknown column ``name`` looks like: ``[(column, spelling), …]``.

    A column looks like a known one when its normalised name is within a small edit distance of the known name
    or one of its Norwegian aliases (1 edit, 2 from 10 characters), or shares a distinctive word with it
    (``inntekt_arbeid`` and ``inntekt_lonn``). Closest first; at most three.
    """
    u = _fold(canonical_column(name))
    if not u:
        return []
    u_tokens = {t for t in u.split("_") if len(t) >= 4 and t not in _GENERIC_TOKENS}
    found: dict[str, tuple[int, str]] = {}
    for spelling, canon in [*((c, c) for c in ALL_COLUMNS), *ALIASES.items()]:
        if canon not in absent:
            continue
        sp = _fold(spelling)
        d = _edit_distance(u, sp)
        close = d <= (2 if len(sp) >= 10 else 1) and len(sp) >= 3
        shared = bool(u_tokens & {t for t in sp.split("_") if len(t) >= 4 and t not in _GENERIC_TOKENS})
        if (close or shared) and (canon not in found or d < found[canon][0]):
            found[canon] = (d, spelling)
    ranked = sorted(found.items(), key=lambda kv: (kv[1][0], kv[0]))
    return [(canon, spelling) for canon, (_, spelling) in ranked[:3]]
