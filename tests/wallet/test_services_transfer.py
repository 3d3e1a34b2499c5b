from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from wallet.errors import ErrorCode, WalletError
from wallet.ledger_audit import audit_ledger
from wallet.models import LedgerEntry, OutboxEvent, Transaction, Wallet
from wallet.selectors import transferred_today
from wallet.services import transfer_create, withdrawal_create

pytestmark = pytest.mark.django_db


def balance(user) -> Decimal:
    return Wallet.objects.get(user=user).balance


def test_transfer_moves_money_between_wallets_with_two_balanced_entries(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "100.00")

    result = transfer_create(
        sender=alice, receiver_username="bob", amount=Decimal("30.25"), idempotency_key="t1", note="lunch"
    )

    assert result.error is None and not result.replayed
    assert (balance(alice), balance(bob)) == (Decimal("69.75"), Decimal("30.25"))
    assert result.wallet.balance == Decimal("69.75")
    txn = result.transaction
    assert (txn.kind, txn.status, txn.note) == ("TRANSFER", "SUCCESS", "lunch")
    deltas = sorted(entry.delta for entry in txn.entries.all())
    assert deltas == [Decimal("-30.25"), Decimal("30.25")]
    assert audit_ledger().problems == []


def test_receiver_username_is_matched_case_insensitively(make_user, fund):
    alice, bob = make_user("alice"), make_user("Bob")
    fund(alice, "10")

    result = transfer_create(sender=alice, receiver_username="BOB", amount=Decimal("1"), idempotency_key="t1")

    assert result.error is None and balance(bob) == Decimal("1.00")


def test_insufficient_funds_is_recorded_as_failed_with_no_entries(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "5.00")

    result = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("5.01"), idempotency_key="t1")

    assert result.error.code is ErrorCode.INSUFFICIENT_FUNDS and result.error.field == "amount"
    assert result.transaction.status == "FAILED"
    assert not LedgerEntry.objects.filter(transaction=result.transaction).exists()
    assert (balance(alice), balance(bob)) == (Decimal("5.00"), Decimal("0.00"))


def test_unknown_receiver_is_recorded_as_failed(make_user, fund):
    alice = make_user("alice")
    fund(alice, "5.00")

    result = transfer_create(sender=alice, receiver_username="nobody", amount=Decimal("1"), idempotency_key="t1")

    assert result.error.code is ErrorCode.RECEIVER_NOT_FOUND and result.error.field == "receiver_username"
    assert result.transaction.receiver_wallet is None
    assert balance(alice) == Decimal("5.00")


def test_inactive_receiver_is_not_found(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    bob.is_active = False
    bob.save()
    fund(alice, "5.00")

    result = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("1"), idempotency_key="t1")

    assert result.error.code is ErrorCode.RECEIVER_NOT_FOUND


def test_self_transfer_is_recorded_as_failed(make_user, fund):
    alice = make_user("alice")
    fund(alice, "5.00")

    result = transfer_create(sender=alice, receiver_username="ALICE", amount=Decimal("1"), idempotency_key="t1")

    assert result.error.code is ErrorCode.SELF_TRANSFER
    assert result.transaction.status == "FAILED" and balance(alice) == Decimal("5.00")


def test_replaying_a_key_returns_the_stored_outcome_and_moves_nothing(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    first = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("10"), idempotency_key="t1")

    again = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("10.00"), idempotency_key="t1")

    assert again.replayed and again.transaction.pk == first.transaction.pk
    assert (balance(alice), balance(bob)) == (Decimal("90.00"), Decimal("10.00"))
    assert Transaction.objects.filter(kind="TRANSFER").count() == 1
    assert OutboxEvent.objects.filter(transaction=first.transaction).count() == 1


def test_replaying_a_failed_attempt_returns_the_same_error(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    first = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("10"), idempotency_key="t1")
    fund(alice, "100.00")  # now it could succeed, but the key's outcome is fixed

    again = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("10"), idempotency_key="t1")

    assert again.replayed and again.transaction.pk == first.transaction.pk
    assert (again.error.code, again.error.message) == (first.error.code, first.error.message)
    assert balance(bob) == Decimal("0.00")


@pytest.mark.parametrize(
    "changes",
    [{"amount": Decimal("11")}, {"receiver_username": "carol"}, {"note": "different"}],
)
def test_reusing_a_key_with_other_parameters_is_refused(make_user, fund, changes):
    alice, _, _ = make_user("alice"), make_user("bob"), make_user("carol")
    fund(alice, "100.00")
    request = {"receiver_username": "bob", "amount": Decimal("10"), "note": None}
    transfer_create(sender=alice, idempotency_key="t1", **request)

    with pytest.raises(WalletError) as refused:
        transfer_create(sender=alice, idempotency_key="t1", **{**request, **changes})

    assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert refused.value.field == "idempotency_key"
    assert balance(alice) == Decimal("90.00")


def test_a_key_used_for_one_kind_is_refused_for_another(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    transfer_create(sender=alice, receiver_username="bob", amount=Decimal("10"), idempotency_key="k")

    with pytest.raises(WalletError) as refused:
        withdrawal_create(user=alice, amount=Decimal("10"), idempotency_key="k")

    assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED


def test_idempotency_keys_are_scoped_per_user(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "10")
    fund(bob, "10")

    a = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("1"), idempotency_key="same")
    b = transfer_create(sender=bob, receiver_username="alice", amount=Decimal("1"), idempotency_key="same")

    assert not a.replayed and not b.replayed and a.transaction.pk != b.transaction.pk


def test_daily_limit_counts_transfers_payments_and_withdrawals_of_today(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "500.00")
    Wallet.objects.filter(user=alice).update(daily_transfer_limit=Decimal("100.00"))

    assert (
        transfer_create(sender=alice, receiver_username="bob", amount=Decimal("60"), idempotency_key="a").error is None
    )
    assert withdrawal_create(user=alice, amount=Decimal("40"), idempotency_key="b").error is None
    refused = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("0.01"), idempotency_key="c")

    assert refused.error.code is ErrorCode.DAILY_LIMIT_EXCEEDED
    assert transferred_today(wallet=Wallet.objects.get(user=alice)) == Decimal("100.00")
    assert balance(alice) == Decimal("400.00")


def test_failed_attempts_and_top_ups_do_not_count_toward_the_limit(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    Wallet.objects.filter(user=alice).update(daily_transfer_limit=Decimal("10.00"))
    transfer_create(sender=alice, receiver_username="bob", amount=Decimal("10"), idempotency_key="fails")
    fund(alice, "50.00")

    result = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("10"), idempotency_key="ok")

    assert result.error is None


def test_the_daily_limit_resets_with_the_calendar_day(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    Wallet.objects.filter(user=alice).update(daily_transfer_limit=Decimal("10.00"))
    yesterday = timezone.now() - timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=yesterday):
        assert (
            transfer_create(sender=alice, receiver_username="bob", amount=Decimal("10"), idempotency_key="y").error
            is None
        )

    result = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("10"), idempotency_key="t")

    assert result.error is None


@pytest.mark.parametrize("username", ["", "   ", "x" * 151])
def test_blank_or_overlong_receiver_is_invalid_input_and_records_nothing(make_user, fund, username):
    alice = make_user("alice")
    fund(alice, "10")

    with pytest.raises(WalletError) as refused:
        transfer_create(sender=alice, receiver_username=username, amount=Decimal("1"), idempotency_key="t")

    assert refused.value.code is ErrorCode.INVALID_INPUT
    assert not Transaction.objects.filter(kind="TRANSFER").exists()


def test_a_note_over_255_characters_is_invalid_input(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "10")

    with pytest.raises(WalletError) as refused:
        transfer_create(sender=alice, receiver_username="bob", amount=Decimal("1"), idempotency_key="t", note="n" * 256)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "note")


def test_a_wallet_in_another_currency_is_recorded_as_currency_mismatch(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "10")
    Wallet.objects.filter(user=bob).update(currency="EUR")

    result = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("1"), idempotency_key="t")

    assert result.error.code is ErrorCode.CURRENCY_MISMATCH and result.error.field == "receiver_username"
    assert result.transaction.status == "FAILED" and balance(alice) == Decimal("10.00")
