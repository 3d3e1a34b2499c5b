"""Races on a real PostgreSQL: threads with their own connections, no mocks."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from wallet.errors import ErrorCode, WalletError
from wallet.ledger_audit import audit_ledger
from wallet.models import Transaction, User, Wallet
from wallet.services import transfer_create, withdrawal_create

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(calls):
    """Runs each call in its own thread and connection, all released at once."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            return call()
        except WalletError as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def outcome(result) -> str:
    if isinstance(result, WalletError):
        return result.code.value
    return result.error.code.value if result.error else "SUCCESS"


def balance(username: str) -> Decimal:
    return Wallet.objects.get(user__username=username).balance


def test_twenty_concurrent_transfers_of_ten_from_a_hundred_succeed_exactly_ten_times(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")

    results = run_concurrently(
        [
            lambda i=i: transfer_create(
                sender=User.objects.get(username="alice"),
                receiver_username="bob",
                amount=Decimal("10.00"),
                idempotency_key=f"spend-{i}",
            )
            for i in range(20)
        ]
    )

    assert Counter(outcome(r) for r in results) == {"SUCCESS": 10, "INSUFFICIENT_FUNDS": 10}
    assert (balance("alice"), balance("bob")) == (Decimal("0.00"), Decimal("100.00"))
    assert audit_ledger().problems == []


def test_opposite_transfers_at_once_never_deadlock_and_conserve_money(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    fund(bob, "100.00")

    def send(sender: str, receiver: str, i: int):
        return lambda: transfer_create(
            sender=User.objects.get(username=sender),
            receiver_username=receiver,
            amount=Decimal("1.00"),
            idempotency_key=f"{sender}-{i}",
        )

    calls = [send("alice", "bob", i) for i in range(15)] + [send("bob", "alice", i) for i in range(15)]
    results = run_concurrently(calls)

    assert [outcome(r) for r in results] == ["SUCCESS"] * 30
    assert balance("alice") + balance("bob") == Decimal("200.00")
    assert (balance("alice"), balance("bob")) == (Decimal("100.00"), Decimal("100.00"))
    assert audit_ledger().problems == []


def test_one_idempotency_key_sent_concurrently_moves_money_once(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")

    results = run_concurrently(
        [
            lambda: transfer_create(
                sender=User.objects.get(username="alice"),
                receiver_username="bob",
                amount=Decimal("10.00"),
                idempotency_key="the-same-key",
            )
            for _ in range(12)
        ]
    )

    assert {outcome(r) for r in results} == {"SUCCESS"}
    assert len({r.transaction.pk for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert Transaction.objects.filter(kind="TRANSFER").count() == 1
    assert (balance("alice"), balance("bob")) == (Decimal("90.00"), Decimal("10.00"))


def test_the_daily_limit_holds_under_concurrency(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "1000.00")
    Wallet.objects.filter(user=alice).update(daily_transfer_limit=Decimal("50.00"))

    def spend(i: int):
        if i % 2:
            return lambda: withdrawal_create(
                user=User.objects.get(username="alice"), amount=Decimal("10.00"), idempotency_key=f"w{i}"
            )
        return lambda: transfer_create(
            sender=User.objects.get(username="alice"),
            receiver_username="bob",
            amount=Decimal("10.00"),
            idempotency_key=f"t{i}",
        )

    results = run_concurrently([spend(i) for i in range(16)])

    assert Counter(outcome(r) for r in results) == {"SUCCESS": 5, "DAILY_LIMIT_EXCEEDED": 11}
    assert balance("alice") == Decimal("950.00")
    assert audit_ledger().problems == []


def test_a_key_reused_concurrently_with_other_parameters_moves_money_once(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")

    results = run_concurrently(
        [
            lambda amount=amount: transfer_create(
                sender=User.objects.get(username="alice"),
                receiver_username="bob",
                amount=Decimal(amount),
                idempotency_key="k",
            )
            for amount in ["1.00", "2.00", "3.00", "4.00"]
        ]
    )

    outcomes = Counter(outcome(r) for r in results)
    assert outcomes == {"SUCCESS": 1, ErrorCode.IDEMPOTENCY_KEY_REUSED.value: 3}
    assert Transaction.objects.filter(kind="TRANSFER").count() == 1


def test_threads_use_separate_connections():
    # Guards the premise of the tests above: a thread does not share the test's connection.
    ids = run_concurrently([lambda: id(connection.connection) if connection.ensure_connection() is None else None] * 2)
    assert len(set(ids)) == 2


def test_concurrent_reversals_never_exceed_the_original(make_user, fund):
    from wallet.services import reversal_create

    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    original = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("30.00"), idempotency_key="pay")

    results = run_concurrently(
        [
            lambda i=i: reversal_create(
                user=User.objects.get(username="bob"),
                transaction_id=original.transaction.pk,
                amount=Decimal("10.00"),
                idempotency_key=f"refund-{i}",
            )
            for i in range(8)
        ]
    )

    assert Counter(outcome(r) for r in results) == {"SUCCESS": 3, "REVERSAL_EXCEEDS_ORIGINAL": 5}
    assert (balance("alice"), balance("bob")) == (Decimal("100.00"), Decimal("0.00"))
    assert audit_ledger().problems == []


def _place_hold(username: str, amount: str, key: str, seconds: int = 600):
    from wallet.services import hold_create

    return hold_create(
        payer=User.objects.get(username=username),
        receiver_username="bob",
        amount=Decimal(amount),
        idempotency_key=key,
        expires_in_seconds=seconds,
    )


def test_capture_and_void_racing_on_one_hold_exactly_one_wins(make_user, fund):
    from wallet.services import hold_capture, hold_void

    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    hold = _place_hold("alice", "40.00", "h").transaction

    def capture(i):
        return lambda: hold_capture(
            user=User.objects.get(username="alice"), hold_id=hold.pk, amount=None, idempotency_key=f"c{i}"
        )

    def void(i):
        return lambda: hold_void(user=User.objects.get(username="alice"), hold_id=hold.pk, idempotency_key=f"v{i}")

    results = run_concurrently([capture(i) if i % 2 else void(i) for i in range(10)])

    assert Counter(outcome(r) for r in results)["SUCCESS"] == 1
    assert {outcome(r) for r in results} == {"SUCCESS", "HOLD_ALREADY_RESOLVED"}
    assert Transaction.objects.filter(original=hold).count() == 1
    assert Wallet.objects.get(user__username="alice").held == Decimal("0.00")
    assert balance("alice") + balance("bob") == Decimal("100.00")
    assert audit_ledger().problems == []


def test_a_capture_racing_the_expiry_release_resolves_the_hold_once(make_user, fund):
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    from wallet.services import hold_capture, holds_release_expired

    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    hold = _place_hold("alice", "40.00", "h", seconds=60).transaction
    just_expired = hold.expires_at - timedelta(microseconds=1)

    # The capture runs a moment before expiry, the release a moment after: they race on the lock.
    def capture():
        with mock.patch("django.utils.timezone.now", return_value=just_expired):
            return hold_capture(
                user=User.objects.get(username="alice"), hold_id=hold.pk, amount=None, idempotency_key="c"
            )

    def release():
        return holds_release_expired(now=timezone.now() + timedelta(minutes=5))

    results = run_concurrently([capture, release])

    assert Transaction.objects.filter(original=hold).count() == 1
    captured = not isinstance(results[0], WalletError)
    assert results[1] == (0 if captured else 1)
    assert balance("bob") == (Decimal("40.00") if captured else Decimal("0.00"))
    assert audit_ledger().problems == []


def test_holds_and_transfers_together_never_overdraw_the_available_balance(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")

    def spend(i):
        if i % 2:
            return lambda: _place_hold("alice", "15.00", f"h{i}")
        return lambda: transfer_create(
            sender=User.objects.get(username="alice"),
            receiver_username="bob",
            amount=Decimal("15.00"),
            idempotency_key=f"t{i}",
        )

    results = run_concurrently([spend(i) for i in range(14)])

    assert Counter(outcome(r) for r in results) == {"SUCCESS": 6, "INSUFFICIENT_FUNDS": 8}
    wallet = Wallet.objects.get(user__username="alice")
    assert wallet.balance - wallet.held == Decimal("10.00")
    assert audit_ledger().problems == []


def test_batches_and_single_transfers_together_never_overdraw(make_user, fund):
    from wallet.services import BatchItem, transfer_batch_create

    alice, _, _ = make_user("alice"), make_user("bob"), make_user("carol")
    fund(alice, "100.00")

    def batch(i):
        return lambda: transfer_batch_create(
            sender=User.objects.get(username="alice"),
            transfers=[BatchItem("bob", Decimal("10.00")), BatchItem("carol", Decimal("10.00"))],
            atomic=True,
            idempotency_key=f"b{i}",
        )

    def single(i):
        return lambda: transfer_create(
            sender=User.objects.get(username="alice"),
            receiver_username="bob",
            amount=Decimal("10.00"),
            idempotency_key=f"t{i}",
        )

    results = run_concurrently([batch(i) if i % 2 else single(i) for i in range(12)])

    assert balance("alice") >= 0
    assert balance("alice") + balance("bob") + balance("carol") == Decimal("100.00")
    assert balance("alice") < Decimal("20.00")  # the money ran out before the requests did
    assert audit_ledger().problems == []
    assert all(not isinstance(r, Exception) for r in results)
