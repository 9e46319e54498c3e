"""Personal-number checks: the GB 11643 ID checksum and Luhn, as properties, and in text."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from compliance import Scanner
from compliance.detectors.pii import (
    find_bank_cards,
    find_id_cards,
    find_mobile_numbers,
    id_check_char,
    is_valid_id_card,
    luhn_check_digit,
    luhn_ok,
)

regions = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)
birthdays = st.dates(min_value=date(1920, 1, 1), max_value=date.today() - timedelta(days=1))
sequence = st.from_regex(r"[0-9]{3}", fullmatch=True)


def _id(region: str, born: date, seq: str) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq}"
    return first17 + id_check_char(first17)


@given(regions, birthdays, sequence)
def test_ids_with_their_check_character_are_valid(region: str, born: date, seq: str) -> None:
    assert is_valid_id_card(_id(region, born, seq))


@given(regions, birthdays, sequence, st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_caught(
    region: str, born: date, seq: str, position: int, delta: int
) -> None:
    number = _id(region, born, seq)
    changed = str((int(number[position]) + delta) % 10)
    assert not is_valid_id_card(number[:position] + changed + number[position + 1 :])


@given(st.from_regex(r"[3-6][0-9]{14,17}", fullmatch=True))
def test_luhn_check_digit_completes_a_card(payload: str) -> None:
    assert luhn_ok(payload + luhn_check_digit(payload))


@given(st.from_regex(r"[3-6][0-9]{14,17}", fullmatch=True), st.data())
def test_luhn_catches_single_digit_errors(payload: str, data: st.DataObject) -> None:
    card = payload + luhn_check_digit(payload)
    position = data.draw(st.integers(0, len(card) - 1))
    delta = data.draw(st.integers(1, 9))
    changed = str((int(card[position]) + delta) % 10)
    assert not luhn_ok(card[:position] + changed + card[position + 1 :])


@given(regions, birthdays, sequence)
def test_scanner_flags_any_valid_id_in_text(
    scanner: Scanner, region: str, born: date, seq: str
) -> None:
    result = scanner.scan(f"客户的证件 {_id(region, born, seq)} 已登记")
    assert "privacy" in result.categories


def test_bank_card_needs_luhn_and_a_card_prefix() -> None:
    card = "621483123456789012" + luhn_check_digit("621483123456789012")
    assert list(find_bank_cards(card, 0, len(card))) == [(0, 19)]
    order = "2024051312345678"  # an order number: wrong first digit
    assert list(find_bank_cards(order, 0, len(order))) == []
    broken = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert list(find_bank_cards(broken, 0, len(broken))) == []


def test_mobile_numbers_with_spaces_dashes_and_country_code(scanner: Scanner) -> None:
    for text in ["13912345678", "139-1234-5678", "+8613912345678", "86-13912345678"]:
        assert len(list(find_mobile_numbers(text, 0, len(text)))) == 1, text
    for text in ["12912345678", "139123456789", "1391234567"]:
        assert list(find_mobile_numbers(text, 0, len(text))) == [], text
    scan = scanner.scan("张总的手机 139 1234 5678，您联系他。")
    assert [flag.match for flag in scan.flags] == ["139 1234 5678"]


def test_an_id_number_is_not_also_reported_as_a_card() -> None:
    number = "11010519491231002X"
    assert list(find_id_cards(number.lower(), 0, 18)) == [(0, 18)]
    assert list(find_bank_cards(number.lower(), 0, 18)) == []
