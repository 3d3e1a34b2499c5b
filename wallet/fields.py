from decimal import Decimal

from django.db import models

from wallet.money import currency_places, from_minor_units, to_minor_units


class MoneyField(models.BigIntegerField):
    """An exact amount stored as an integer count of minor units.

    Integers keep every SUM() exact; Python code only ever sees Decimal.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else from_minor_units(value)

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(str(value))

    def get_prep_value(self, value):
        if value is None:
            return None
        # Integers are whole currency units like any other number, never cents.
        return to_minor_units(Decimal(value))

    def formfield(self, **kwargs):
        from django import forms

        return forms.DecimalField(decimal_places=currency_places(), **kwargs)
