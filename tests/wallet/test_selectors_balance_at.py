from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from wallet.models import Wallet
from wallet.selectors import balance_at

pytestmark = pytest.mark.django_db


def test_balance_at_a_moment_counts_the_entries_made_before_it(make_user, fund):
    alice = make_user("alice")
    start = timezone.now() - timedelta(days=3)
    for day, amount in enumerate(["10.00", "5.00", "2.50"]):
        with mock.patch("django.utils.timezone.now", return_value=start + timedelta(days=day)):
            fund(alice, amount)
    wallet = Wallet.objects.get(user=alice)

    assert balance_at(wallet=wallet, at=start - timedelta(seconds=1)) == Decimal("0.00")
    # An entry made exactly at the moment is not in it yet: it opens the statement that starts then.
    assert balance_at(wallet=wallet, at=start) == Decimal("0.00")
    assert balance_at(wallet=wallet, at=start + timedelta(microseconds=1)) == Decimal("10.00")
    assert balance_at(wallet=wallet, at=start + timedelta(days=1, hours=12)) == Decimal("15.00")
    assert balance_at(wallet=wallet, at=timezone.now()) == Decimal("17.50")
