"""The benchmark's bulk fixtures write a ledger that verify_ledger accepts (they bypass the service for speed)."""

import pytest

from bench import fixtures
from wallet.ledger_audit import audit_ledger
from wallet.models import LedgerEntry, TransactionParty, Wallet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_funded_users_and_grown_history_keep_the_ledger_consistent():
    fixtures.create_funded_users(prefix="user", count=50, balance_minor=10_000, password="x")
    one, other = Wallet.objects.filter(user__username__startswith="user").order_by("id")[:2]

    fixtures.grow_history(one_wallet=one, other_wallet=other, total_entries=1_000)

    assert LedgerEntry.objects.count() == 1_000
    assert {str(w.balance) for w in Wallet.objects.filter(kind="CUSTOMER")} == {"100.00"}
    assert TransactionParty.objects.filter(wallet=one).count() == 1 + (1_000 - 100) // 2
    report = audit_ledger()
    assert report.problems == [] and report.ledger_sum == 0
