"""Norwegian national identity numbers (fødselsnummer and D-nummer): the mod-11 check and the birth date.

Eleven digits ``DDMMYY III K1 K2``: birth date, individual number, two control digits computed with weights
``3 7 6 1 8 9 4 5 2`` and ``5 4 3 2 7 6 5 4 3 2`` (remainder 0 → 0, remainder 1 → the number is never issued).
A D-nummer adds 4 to the first digit (day + 40). Synthetic test numbers (Skatteetaten's Tenor: month + 80) are
accepted when ``allow_synthetic`` is true.

Error messages never repeat the number: it is personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from loan_engine.errors import InvalidInput

WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


class IdKind(StrEnum):
    fodselsnummer = "fodselsnummer"
    d_nummer = "d-nummer"


@dataclass(frozen=True)
class NationalId:
    kind: IdKind
    birth_date: date
    synthetic: bool


def control_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """The control digit for ``digits`` (None when the remainder makes the number invalid)."""
    k = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    if k == 11:
        return 0
    if k == 10:
        return None
    return k


def control_digits(first_nine: str) -> str | None:
    """Both control digits for the first nine digits, or None if no valid number starts with them."""
    k1 = control_digit(first_nine, WEIGHTS_1)
    if k1 is None:
        return None
    k2 = control_digit(first_nine + str(k1), WEIGHTS_2)
    if k2 is None:
        return None
    return f"{k1}{k2}"


def _century(year2: int, individual: int) -> int | None:
    """Birth century from the individual number (Skatteetaten's table)."""
    if individual <= 499:
        return 1900
    if individual <= 749 and year2 >= 54:
        return 1800
    if individual >= 500 and year2 <= 39:
        return 2000
    if individual >= 900 and year2 >= 40:
        return 1900
    return None


def _fail(rule: str, message: str, field: str) -> InvalidInput:
    return InvalidInput(message, field=field, rule=rule)


def parse(value: str, *, field: str = "national_id", allow_synthetic: bool = True) -> NationalId:
    """Validate a fødselsnummer or D-nummer; :class:`InvalidInput` (without the number) if it is not one."""
    if len(value) != 11 or not value.isascii() or not value.isdigit():
        raise _fail("national-id-format", "A national identity number has exactly 11 digits.", field)
    expected = control_digits(value[:9])
    if expected is None or value[9:] != expected:
        raise _fail("national-id-mod11", "The national identity number's control digits are wrong (mod 11).", field)
    day, month, year2, individual = int(value[0:2]), int(value[2:4]), int(value[4:6]), int(value[6:9])
    kind = IdKind.fodselsnummer
    if day > 40:
        kind, day = IdKind.d_nummer, day - 40
    synthetic = False
    if allow_synthetic and month > 80:
        synthetic, month = True, month - 80
    century = _century(year2, individual)
    if century is None:
        raise _fail("national-id-date", "The national identity number does not contain a valid birth date.", field)
    try:
        born = date(century + year2, month, day)
    except ValueError:
        raise _fail(
            "national-id-date", "The national identity number does not contain a valid birth date.", field
        ) from None
    return NationalId(kind=kind, birth_date=born, synthetic=synthetic)


def is_valid(value: str, *, allow_synthetic: bool = True) -> bool:
    try:
        parse(value, allow_synthetic=allow_synthetic)
    except InvalidInput:
        return False
    return True


def mask(value: str | None) -> str | None:
    """What logs and audit entries may show: that a number is present, never any of its digits."""
    return None if value is None else "*" * 11


# An 11-digit run, optionally written DDMMYY IIIKK / DDMMYY-IIIKK / DDMMYY.IIIKK, not part of a longer number.
_CANDIDATE = re.compile(r"(?<!\d)(\d{6})[ .\-]?(\d{5})(?!\d)")
MASK = "*" * 11


def mask_in_text(text: str) -> str:
    """``text`` with every valid fødselsnummer or D-nummer (mod 11 and birth date checked, synthetic ones too)
    replaced by the mask; other digit runs (amounts, phone numbers, account numbers) are left alone."""

    def replace(match: re.Match[str]) -> str:
        return MASK if is_valid(match.group(1) + match.group(2)) else match.group(0)

    return _CANDIDATE.sub(replace, text)


def mask_in_data(value: Any) -> Any:
    """A copy of a JSON-like value with national identity numbers masked in every text in it. Values of
    identifier keys (``id``, ``…_id``) are record ids, never free text, and are kept as they are."""
    if isinstance(value, str):
        return mask_in_text(value)
    if isinstance(value, dict):
        return {k: v if _is_id_key(k) and isinstance(v, str) else mask_in_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_in_data(v) for v in value]
    return value


def _is_id_key(key: Any) -> bool:
    return isinstance(key, str) and key != "national_id" and (key == "id" or key.endswith("_id"))
