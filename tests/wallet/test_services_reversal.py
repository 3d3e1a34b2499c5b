from decimal import Decimal

import pytest

from wallet.errors import ErrorCode, WalletError
from wallet.ledger_audit import audit_ledger
from wallet.models import Transaction, Wallet
from wallet.services import money_add, reversal_create, transfer_create

pytestmark = pytest.mark.django_db


def balance(user) -> Decimal:
    return Wallet.objects.get(user=user).balance


@pytest.fixture
def paid(make_user, fund):
    """alice paid bob 40.00; returns (alice, bob, the transfer)."""
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    txn = transfer_create(
        sender=alice, receiver_username="bob", amount=Decimal("40"), idempotency_key="pay"
    ).transaction
    return alice, bob, txn


def test_the_receiver_returns_all_of_a_transfer_by_default(paid):
    alice, bob, txn = paid

    result = reversal_create(user=bob, transaction_id=txn.pk, amount=None, idempotency_key="refund")

    assert result.error is None
    assert (result.transaction.kind, result.transaction.amount) == ("REVERSAL", Decimal("40.00"))
    assert result.transaction.original_id == txn.pk
    assert (balance(alice), balance(bob)) == (Decimal("100.00"), Decimal("0.00"))
    assert audit_ledger().problems == []


def test_partial_reversals_never_add_up_to_more_than_the_original(paid):
    alice, bob, txn = paid

    first = reversal_create(user=bob, transaction_id=txn.pk, amount=Decimal("15"), idempotency_key="r1")
    second = reversal_create(user=bob, transaction_id=txn.pk, amount=Decimal("25"), idempotency_key="r2")
    third = reversal_create(user=bob, transaction_id=txn.pk, amount=Decimal("0.01"), idempotency_key="r3")

    assert first.error is None and second.error is None
    assert third.error.code is ErrorCode.REVERSAL_EXCEEDS_ORIGINAL and third.transaction.status == "FAILED"
    with pytest.raises(WalletError) as refused:
        reversal_create(user=bob, transaction_id=txn.pk, amount=None, idempotency_key="r4")
    assert refused.value.code is ErrorCode.REVERSAL_EXCEEDS_ORIGINAL
    assert balance(alice) == Decimal("100.00")


def test_the_original_is_never_changed(paid):
    _, bob, txn = paid
    before = Transaction.objects.filter(pk=txn.pk).values().get()

    reversal_create(user=bob, transaction_id=txn.pk, amount=Decimal("5"), idempotency_key="r")

    assert Transaction.objects.filter(pk=txn.pk).values().get() == before


def test_the_sender_cannot_reverse_and_strangers_see_no_transaction(paid, make_user):
    alice, _, txn = paid
    carol = make_user("carol")

    with pytest.raises(WalletError) as by_sender:
        reversal_create(user=alice, transaction_id=txn.pk, amount=None, idempotency_key="r")
    with pytest.raises(WalletError) as by_stranger:
        reversal_create(user=carol, transaction_id=txn.pk, amount=None, idempotency_key="r")
    with pytest.raises(WalletError) as missing:
        reversal_create(user=carol, transaction_id=None, amount=None, idempotency_key="r")

    assert by_sender.value.code is ErrorCode.NOT_REVERSIBLE
    assert by_stranger.value.code is ErrorCode.TRANSACTION_NOT_FOUND
    assert missing.value.code is ErrorCode.TRANSACTION_NOT_FOUND


def test_staff_with_a_wallet_may_reverse(paid, make_user):
    alice, _, txn = paid
    admin = make_user("admin")
    admin.is_staff = True
    admin.save()

    result = reversal_create(user=admin, transaction_id=txn.pk, amount=Decimal("10"), idempotency_key="r")

    assert result.error is None and balance(alice) == Decimal("70.00")


def test_only_successful_transfers_and_payments_are_reversible(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    top_up = money_add(user=bob, amount=Decimal("5"), idempotency_key="t").transaction
    failed = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="f")

    for txn in (top_up, failed.transaction):
        with pytest.raises(WalletError) as refused:
            reversal_create(user=bob, transaction_id=txn.pk, amount=None, idempotency_key=f"r{txn.pk}")
        assert refused.value.code in (ErrorCode.NOT_REVERSIBLE, ErrorCode.TRANSACTION_NOT_FOUND)


def test_a_reversal_needs_the_money_and_counts_toward_the_daily_limit(paid, make_user):
    alice, bob, txn = paid
    from wallet.services import withdrawal_create

    withdrawal_create(user=bob, amount=Decimal("35"), idempotency_key="w")

    short = reversal_create(user=bob, transaction_id=txn.pk, amount=Decimal("10"), idempotency_key="r1")
    assert short.error.code is ErrorCode.INSUFFICIENT_FUNDS

    Wallet.objects.filter(user=bob).update(daily_transfer_limit=Decimal("38.00"))
    over = reversal_create(user=bob, transaction_id=txn.pk, amount=Decimal("5"), idempotency_key="r2")
    assert over.error.code is ErrorCode.DAILY_LIMIT_EXCEEDED


def test_replaying_a_reversal_moves_nothing(paid):
    alice, bob, txn = paid
    first = reversal_create(user=bob, transaction_id=txn.pk, amount=Decimal("5"), idempotency_key="r")

    again = reversal_create(user=bob, transaction_id=txn.pk, amount=Decimal("5"), idempotency_key="r")

    assert again.replayed and again.transaction.pk == first.transaction.pk
    assert balance(alice) == Decimal("65.00")


def test_retrying_a_return_of_everything_replays_it(paid):
    alice, bob, txn = paid
    first = reversal_create(user=bob, transaction_id=txn.pk, amount=None, idempotency_key="refund-all")

    retry = reversal_create(user=bob, transaction_id=txn.pk, amount=None, idempotency_key="refund-all")

    assert first.error is None and retry.error is None
    assert retry.replayed and retry.transaction.pk == first.transaction.pk
    assert (balance(alice), balance(bob)) == (Decimal("100.00"), Decimal("0.00"))
    with pytest.raises(WalletError) as nothing_left:
        reversal_create(user=bob, transaction_id=txn.pk, amount=None, idempotency_key="refund-again")
    assert nothing_left.value.code == ErrorCode.REVERSAL_EXCEEDS_ORIGINAL
