import pytest
from django.core.exceptions import ValidationError

from school.snils import (
    format_snils,
    is_valid_snils,
    make_snils,
    normalize_snils,
    validate_snils,
)


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("112-233-445 95", "11223344595"),
        ("11223344595", "11223344595"),
        ("112 233 445 95", "11223344595"),
        ("112-233-445\u00a095", "11223344595"),
        (" 112-233-445-95 ", "11223344595"),
    ],
)
def test_normalize_accepts_usual_spellings(raw, digits):
    assert normalize_snils(raw) == digits


@pytest.mark.parametrize("raw", ["", "1122334459", "112233445951", "11a23344595"])
def test_normalize_rejects_malformed(raw):
    with pytest.raises(ValueError):
        normalize_snils(raw)


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("11223344595", True),  # weighted sum 95: the check number is the sum
        ("11223344594", False),
        ("14100840799", True),  # sum 99
        ("02600238900", True),  # sum exactly 100 gives 00
        ("03021488400", True),  # sum exactly 101 gives 00
        ("02600238999", False),
        ("54354636800", True),  # sum 201: 201 mod 101 = 100 gives 00
        ("53297137300", True),  # sum 202: 202 mod 101 = 0
        ("00000060006", True),  # ESIA test number below the check threshold
        ("00100199812", True),  # the last number issued without a check
        ("00100199912", False),  # the first number with a check
    ],
)
def test_check_number(digits, valid):
    assert is_valid_snils(digits) is valid


def test_make_snils_round_trips():
    snils = make_snils(112233445)
    assert snils == "11223344595"
    assert format_snils(snils) == "112-233-445 95"


def test_validator_message_in_russian():
    with pytest.raises(ValidationError) as error:
        validate_snils("11223344594")
    assert "СНИЛС" in error.value.messages[0]
