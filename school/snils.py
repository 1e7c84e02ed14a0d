"""SNILS (страховой номер индивидуального лицевого счёта): parsing and checks.

The check number rule, from the Pension Fund's regulation: the first nine
digits are multiplied by the weights 9, 8, ..., 1 and summed. A sum below 100
is the check number itself, a sum of 100 or 101 gives 00, and a larger sum is
taken modulo 101, where a remainder of 100 again gives 00. Numbers up to
001-001-998 were issued before the rule and carry no check number.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

LAST_NUMBER_WITHOUT_CHECK = 1001998
_SEPARATORS = re.compile(r"[\s\-\u00a0\u2010-\u2015.]")


def normalize_snils(raw: str) -> str:
    """Return the 11 digits of a SNILS written with any usual separators.

    Raises ``ValueError`` when anything but digits and separators is present
    or the digit count is not 11.
    """
    digits = _SEPARATORS.sub("", raw)
    if not digits.isascii() or not digits.isdigit() or len(digits) != 11:
        raise ValueError("SNILS must have 11 digits")
    return digits


def snils_check_number(first_nine: str) -> int:
    total = sum(
        int(digit) * weight
        for digit, weight in zip(first_nine, range(9, 0, -1), strict=True)
    )
    return (total % 101) % 100


def is_valid_snils(digits: str) -> bool:
    """Tell whether 11 normalized digits form a SNILS with a correct check number."""
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return False
    if int(digits[:9]) <= LAST_NUMBER_WITHOUT_CHECK:
        return True
    return snils_check_number(digits[:9]) == int(digits[9:])


def format_snils(digits: str) -> str:
    """Format 11 digits as ``XXX-XXX-XXX YY``, the form ESIA returns."""
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


def make_snils(first_nine: int) -> str:
    """Return the 11-digit SNILS for a nine-digit number, with its check number."""
    body = f"{first_nine:09d}"
    return f"{body}{snils_check_number(body):02d}"


def validate_snils(value: str) -> None:
    """Django validator for a stored SNILS (11 digits)."""
    if not is_valid_snils(value):
        raise ValidationError(
            "СНИЛС %(value)s недействителен: проверьте цифры и контрольное число.",
            code="invalid_snils",
            params={"value": value},
        )
