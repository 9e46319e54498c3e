"""Personal numbers: mainland mobile numbers, resident ID cards (GB 11643) and bank cards
(Luhn). Texts reach here normalised: spaces are gone, so ``138 0013 8000`` is one run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

# Dashes may group a number (138-0013-8000); a longer digit run is not a phone number. Each
# pattern starts with a literal or a digit and checks the character before it afterwards
# ("1(?<!\d1)"): Python's regex engine then skips quickly to candidate positions instead of
# trying a look-behind at every character of the message.
_MOBILE = re.compile(r"1(?:(?<!\d1)|(?<=(?<!\d)861)|(?<=86-1))[3-9]\d-?\d{4}-?\d{4}(?![\d])")
_ID_CARD = re.compile(r"\d(?<![\dx]\d)\d{16}[\dx](?![\dx])")
_DIGIT_RUN = re.compile(r"\d(?<![\d-]\d)(?:-?\d){15,18}(?![\d-])")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Card numbers start with the industry digit of banking and travel (3 Amex/JCB, 4 Visa,
# 5 Mastercard, 6 UnionPay); this keeps order and tracking numbers out.
_CARD_FIRST_DIGITS = "3456"


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_card(number: str) -> bool:
    """An 18-character resident ID: a plausible birth date and the right check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= date.today().year:
        return False
    return id_check_char(number[:17]) == number[17].upper()


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) checksum that bank card numbers carry in their last digit."""
    if not digits.isdigit():
        return False
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass :func:`luhn_ok`."""
    for digit in "0123456789":
        if luhn_ok(payload + digit):
            return digit
    raise AssertionError("unreachable: one digit always completes a Luhn number")


def find_mobile_numbers(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    for match in _MOBILE.finditer(text, lo, hi):
        yield match.span()


def find_id_cards(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    for match in _ID_CARD.finditer(text, lo, hi):
        if is_valid_id_card(match.group()):
            yield match.span()


def find_bank_cards(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    for match in _DIGIT_RUN.finditer(text, lo, hi):
        digits = match.group().replace("-", "")
        if 16 <= len(digits) <= 19 and digits[0] in _CARD_FIRST_DIGITS and luhn_ok(digits):
            if len(digits) == 18 and is_valid_id_card(digits):
                continue  # an ID number that happens to pass Luhn is reported as an ID
            yield match.span()
