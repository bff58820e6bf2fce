"""The press space's records validate what the ministry registers."""

import pytest
from django.core.exceptions import ValidationError

from press.models import Company, normalise_phone, validate_cin, validate_ice, validate_phone


@pytest.mark.parametrize("value", ["00123456789012", "0012345678901234", "00123456789012A",
                                   "000000000000000", ""])
def test_ice_must_be_fifteen_digits(value):
    with pytest.raises(ValidationError):
        validate_ice(value)


def test_a_fifteen_digit_ice_is_accepted():
    validate_ice("001525478000083")


@pytest.mark.parametrize("raw, normalised", [
    ("06 12 34 56 78", "+212612345678"), ("00212612345678", "+212612345678"),
    ("+212 5-37-12-34-56", "+212537123456"), ("212712345678", "+212712345678"),
])
def test_phone_numbers_are_normalised_then_valid(raw, normalised):
    assert normalise_phone(raw) == normalised
    validate_phone(normalised)


@pytest.mark.parametrize("value", ["+33612345678", "+21261234567", "+212912345678", "0612345678"])
def test_phone_must_be_moroccan_international(value):
    with pytest.raises(ValidationError):
        validate_phone(value)


def test_cin_format():
    validate_cin("AB123456")
    validate_cin("X1234")
    for bad in ("123456", "ab123456", "ABC12345", "AB1234567"):
        with pytest.raises(ValidationError):
            validate_cin(bad)


def test_company_full_clean_reports_each_bad_field(company_factory):
    company = company_factory()
    company.ice = "12345"
    company.phone = "0612"
    company.tax_id = "12A"
    with pytest.raises(ValidationError) as error:
        company.full_clean()
    assert {"ice", "phone", "tax_id"} <= set(error.value.message_dict)
    assert Company.objects.get(pk=company.pk).ice != "12345"
