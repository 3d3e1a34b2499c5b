from decimal import Decimal

import pytest

from wallet.errors import ErrorCode, WalletError
from wallet.ledger_audit import audit_ledger
from wallet.models import LedgerEntry, OutboxEvent, Transaction, Wallet
from wallet.services import money_add, withdrawal_create

pytestmark = pytest.mark.django_db


def test_add_money_credits_the_wallet_against_the_funding_account(make_user):
    alice = make_user("alice")

    result = money_add(user=alice, amount=Decimal("25.50"), idempotency_key="top-up-1")

    assert result.error is None and not result.replayed
    assert result.wallet.balance == Decimal("25.50")
    txn = result.transaction
    assert (txn.kind, txn.status, txn.amount, txn.currency) == ("ADD_MONEY", "SUCCESS", Decimal("25.50"), "USD")
    entries = {entry.wallet.kind: entry for entry in txn.entries.select_related("wallet")}
    assert entries["CUSTOMER"].delta == Decimal("25.50") and entries["CUSTOMER"].balance_after == Decimal("25.50")
    assert entries["FUNDING"].delta == Decimal("-25.50")
    assert audit_ledger().problems == []


def test_add_money_writes_one_outbox_event_in_the_same_transaction(make_user):
    alice = make_user("alice")

    result = money_add(user=alice, amount=Decimal("5"), idempotency_key="k")

    event = OutboxEvent.objects.get()
    assert event.transaction_id == result.transaction.pk
    assert event.event_type == "transaction.succeeded"
    assert event.published_at is None
    assert event.payload["amount"] == "5.00"
    assert {entry["delta"] for entry in event.payload["entries"]} == {"5.00", "-5.00"}


def test_withdraw_debits_the_wallet_to_the_payouts_account(make_user, fund):
    alice = make_user("alice")
    fund(alice, "100.00")

    result = withdrawal_create(user=alice, amount=Decimal("40.00"), idempotency_key="out-1")

    assert result.error is None
    assert Wallet.objects.get(user=alice).balance == Decimal("60.00")
    assert Wallet.objects.get(kind="PAYOUTS").balance == Decimal("40.00")
    assert audit_ledger().problems == []


def test_withdraw_more_than_the_balance_is_recorded_as_failed_and_moves_nothing(make_user, fund):
    alice = make_user("alice")
    fund(alice, "10.00")

    result = withdrawal_create(user=alice, amount=Decimal("10.01"), idempotency_key="out-1")

    assert result.error.code is ErrorCode.INSUFFICIENT_FUNDS
    assert result.transaction.status == "FAILED" and result.transaction.failure_code == "INSUFFICIENT_FUNDS"
    assert not result.transaction.entries.exists()
    assert Wallet.objects.get(user=alice).balance == Decimal("10.00")
    assert OutboxEvent.objects.filter(event_type="transaction.failed").count() == 1


@pytest.mark.parametrize(
    "amount",
    ["0", "-5", "-0", "0.001", "1000000.01", "12.345"],
)
def test_amounts_that_break_a_rule_are_refused_and_nothing_is_recorded(make_user, fund, amount):
    alice = make_user("alice")
    fund(alice, "50.00")
    before = (Transaction.objects.count(), LedgerEntry.objects.count(), OutboxEvent.objects.count())

    for service in (money_add, withdrawal_create):
        with pytest.raises(WalletError) as refused:
            service(user=alice, amount=Decimal(amount), idempotency_key=f"bad-{amount}")
        assert refused.value.code is ErrorCode.INVALID_AMOUNT
        assert refused.value.field == "amount"

    assert (Transaction.objects.count(), LedgerEntry.objects.count(), OutboxEvent.objects.count()) == before
    assert Wallet.objects.get(user=alice).balance == Decimal("50.00")


def test_the_maximum_amount_itself_is_allowed(make_user):
    alice = make_user("alice")

    result = money_add(user=alice, amount=Decimal("1000000.00"), idempotency_key="max")

    assert result.error is None and result.wallet.balance == Decimal("1000000.00")


def test_trailing_zeros_beyond_the_currency_places_are_the_same_amount(make_user):
    alice = make_user("alice")

    result = money_add(user=alice, amount=Decimal("1.500"), idempotency_key="k")

    assert result.transaction.amount == Decimal("1.50")


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tkey"])
def test_bad_idempotency_keys_are_refused_and_nothing_is_recorded(make_user, key):
    alice = make_user("alice")

    with pytest.raises(WalletError) as refused:
        money_add(user=alice, amount=Decimal("1"), idempotency_key=key)

    assert refused.value.code is ErrorCode.INVALID_INPUT and refused.value.field == "idempotency_key"
    assert Transaction.objects.count() == 0


def test_a_key_of_255_characters_is_accepted(make_user):
    alice = make_user("alice")

    assert money_add(user=alice, amount=Decimal("1"), idempotency_key="k" * 255).error is None
