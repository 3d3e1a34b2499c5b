from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from wallet.ledger_audit import audit_ledger
from wallet.models import Transaction, Wallet

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_funded_users_and_is_safe_to_run_twice():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    balances = {w.user.username: w.balance for w in Wallet.objects.filter(kind="CUSTOMER").select_related("user")}
    assert balances == {"alice": Decimal("475.00"), "bob": Decimal("275.00"), "carol": Decimal("100.00")}
    assert Transaction.objects.count() == 4
    assert audit_ledger().problems == []
