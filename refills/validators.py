"""Identifier checks shared by models and forms."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from stdnum import luhn


def npi_is_valid(npi: str) -> bool:
    """A US National Provider Identifier: ten digits, Luhn check over "80840" + NPI."""
    return len(npi) == 10 and npi.isascii() and npi.isdigit() and luhn.is_valid("80840" + npi)


def validate_npi(value: str) -> None:
    if not npi_is_valid(value):
        raise ValidationError(
            "%(value)s is not a valid NPI (ten digits with a correct check digit).",
            code="npi",
            params={"value": value},
        )


def validate_taxonomy(value: str) -> None:
    """A NUCC health care provider taxonomy code: ten characters ending in X (207RX0202X)."""
    if not (len(value) == 10 and value.isascii() and re.fullmatch(r"[0-9]{3}[0-9A-Z]{6}X", value)):
        raise ValidationError(
            "%(value)s is not a provider taxonomy code (ten characters ending in X, for "
            "example 207RX0202X).",
            code="taxonomy",
            params={"value": value},
        )
