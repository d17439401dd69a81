"""Fødselsnummer / D-nummer validation: both mod-11 control digits and the birth date."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from loan_engine.cases import national_id
from loan_engine.cases.national_id import IdKind, control_digits
from loan_engine.errors import InvalidInput


def _make(born: date, individual: int, d_number: bool = False) -> str | None:
    day = born.day + (40 if d_number else 0)
    nine = f"{day:02d}{born.month:02d}{born.year % 100:02d}{individual:03d}"
    k = control_digits(nine)
    return None if k is None else nine + k


# individual numbers that give a century for each year range (Skatteetaten's table)
births = st.one_of(
    st.tuples(st.dates(date(1900, 1, 1), date(1999, 12, 31)), st.integers(0, 499)),
    st.tuples(st.dates(date(2000, 1, 1), date(2039, 12, 31)), st.integers(500, 999)),
    st.tuples(st.dates(date(1940, 1, 1), date(1999, 12, 31)), st.integers(900, 999)),
)


def test_known_numbers() -> None:
    assert national_id.parse("15076500565").birth_date == date(1965, 7, 15)
    assert national_id.parse("13097248022").kind is IdKind.fodselsnummer
    assert not national_id.is_valid("01010112345")


@given(births, st.booleans())
def test_generated_numbers_are_valid_and_give_the_birth_date(birth: tuple[date, int], d_number: bool) -> None:
    born, individual = birth
    value = _make(born, individual, d_number)
    assume(value is not None)
    assert value is not None
    parsed = national_id.parse(value)
    assert parsed.birth_date == born
    assert parsed.kind is (IdKind.d_nummer if d_number else IdKind.fodselsnummer)


@given(births, st.integers(0, 10), st.integers(1, 9))
def test_any_single_digit_change_is_caught(birth: tuple[date, int], position: int, delta: int) -> None:
    value = _make(*birth)
    assume(value is not None)
    assert value is not None
    changed = value[:position] + str((int(value[position]) + delta) % 10) + value[position + 1 :]
    # the weights are 1..10 and 11 is prime, so a single changed digit always breaks a control digit
    # (a changed date digit may also give an invalid date; either way the number is refused)
    assert not national_id.is_valid(changed)


@pytest.mark.parametrize("value", ["", "1507650056", "150765005651", "1507650056a", "15076500566", "١٥٠٧٦٥٠٠٥٦٥"])
def test_malformed_numbers(value: str) -> None:
    with pytest.raises(InvalidInput) as info:
        national_id.parse(value)
    assert info.value.rule in {"national-id-format", "national-id-mod11"}


def test_errors_never_repeat_the_number() -> None:
    for bad in ("15076500566", "31029912345", "99999999999"):
        try:
            national_id.parse(bad)
        except InvalidInput as exc:
            assert bad not in exc.detail
            assert bad[:6] not in exc.detail


def test_impossible_date_with_valid_control_digits() -> None:
    # 31 February: construct the control digits so only the date is wrong
    nine = "310299" + "123"
    k = control_digits(nine)
    if k is None:
        nine = "310299" + "124"
        k = control_digits(nine)
    assert k is not None
    with pytest.raises(InvalidInput) as info:
        national_id.parse(nine + k)
    assert info.value.rule == "national-id-date"


def test_mask_shows_no_digits() -> None:
    assert national_id.mask("15076500565") == "*" * 11
    assert national_id.mask(None) is None


# --------------------------------------------------------------------------------------------------------------
# Masking national identity numbers in free text (issue 10, item 8)


def test_mask_in_text_masks_valid_numbers_only() -> None:
    fnr = _make(date(1965, 7, 15), 5)
    dnr = _make(date(1985, 6, 3), 123, d_number=True) or _make(date(1985, 6, 3), 124, d_number=True)
    assert fnr is not None and dnr is not None
    synthetic = next(f"158765{ind:03d}{k}" for ind in range(100, 200) if (k := control_digits(f"158765{ind:03d}")))
    assert national_id.is_valid(synthetic)
    text = f"Søker {fnr}, medsøker {dnr[:6]} {dnr[6:]}, testperson {synthetic}; tlf 22334455, beløp 12345678901234"
    masked = national_id.mask_in_text(text)
    assert fnr not in masked and dnr[6:] not in masked and synthetic not in masked
    assert masked.count(national_id.MASK) == 3
    assert "tlf 22334455" in masked and "12345678901234" in masked  # not an identity number
    wrong = fnr[:10] + str((int(fnr[10]) + 1) % 10)  # control digit off: not a valid number, left alone
    assert national_id.mask_in_text(f"ref {wrong}") == f"ref {wrong}"
    assert national_id.mask_in_text(f"x{fnr}7") == f"x{fnr}7"  # part of a longer digit run


def test_mask_in_data_keeps_record_ids() -> None:
    fnr = _make(date(1965, 7, 15), 5)
    assert fnr is not None
    data = {"id": f"ab{fnr}cd", "case_id": fnr, "reason": [f"fnr {fnr}"], "n": 3, "nested": {"label": fnr}}
    out = national_id.mask_in_data(data)
    assert out == {
        "id": f"ab{fnr}cd",
        "case_id": fnr,
        "reason": [f"fnr {national_id.MASK}"],
        "n": 3,
        "nested": {"label": national_id.MASK},
    }
    assert data["reason"] == [f"fnr {fnr}"]  # the input is not changed
    assert national_id.mask_in_data(None) is None
