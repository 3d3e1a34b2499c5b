"""Exact money: Decimal in Python, integer minor units (cents) in the database."""

from decimal import Decimal

from django.conf import settings


def currency_places() -> int:
    return settings.WALLET_CURRENCY_DECIMALS


def quantum() -> Decimal:
    return Decimal(1).scaleb(-currency_places())


def to_minor_units(amount: Decimal) -> int:
    """Converts an amount that has at most the currency's places; refuses to round."""
    minor = amount.scaleb(currency_places())
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has more than {currency_places()} decimal places")
    return int(minor)


def from_minor_units(minor: int) -> Decimal:
    # scaleb keeps the exponent, so the result already has exactly the currency's places.
    return Decimal(int(minor)).scaleb(-currency_places())


def zero() -> Decimal:
    """0 with the currency's places ("0.00"): the default of every money column."""
    return from_minor_units(0)
