from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wallet.errors import ErrorCode, ValidationFailed, WalletError
from wallet.ledger_audit import audit_ledger
from wallet.models import OutboxEvent, Transaction, Wallet
from wallet.services import BatchItem, transfer_batch_create

pytestmark = pytest.mark.django_db


def balance(user) -> Decimal:
    return Wallet.objects.get(user=user).balance


@pytest.fixture
def people(make_user, fund):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    fund(alice, "100.00")
    return alice, bob, carol


def items(*pairs):
    return [BatchItem(receiver_username=name, amount=Decimal(amount)) for name, amount in pairs]


def test_a_batch_moves_every_transfer_in_one_go(people):
    alice, bob, carol = people

    result = transfer_batch_create(
        sender=alice, transfers=items(("bob", "10"), ("carol", "20"), ("bob", "5")), atomic=True, idempotency_key="b"
    )

    assert result.errors == [] and [t.status for t in result.transactions] == ["SUCCESS"] * 3
    assert (balance(alice), balance(bob), balance(carol)) == (Decimal("65.00"), Decimal("15.00"), Decimal("20.00"))
    assert result.wallet.balance == Decimal("65.00")
    assert OutboxEvent.objects.filter(transaction__in=result.transactions).count() == 3
    assert audit_ledger().problems == []


def test_an_atomic_batch_with_one_refusal_moves_nothing(people):
    alice, bob, carol = people

    result = transfer_batch_create(
        sender=alice, transfers=items(("bob", "60"), ("carol", "50")), atomic=True, idempotency_key="b"
    )

    assert [t.failure_code for t in result.transactions] == ["LINKED_TRANSFER_FAILED", "INSUFFICIENT_FUNDS"]
    assert [(e.code, e.field) for e in result.errors] == [
        (ErrorCode.LINKED_TRANSFER_FAILED, "transfers.0"),
        (ErrorCode.INSUFFICIENT_FUNDS, "transfers.1.amount"),
    ]
    assert (balance(alice), balance(bob), balance(carol)) == (Decimal("100.00"), Decimal("0.00"), Decimal("0.00"))
    assert audit_ledger().problems == []


def test_a_non_atomic_batch_reports_each_transfer(people):
    alice, bob, carol = people

    result = transfer_batch_create(
        sender=alice,
        transfers=items(("bob", "60"), ("nobody", "1"), ("carol", "50"), ("carol", "40")),
        atomic=False,
        idempotency_key="b",
    )

    assert [t.failure_code for t in result.transactions] == ["", "RECEIVER_NOT_FOUND", "INSUFFICIENT_FUNDS", ""]
    assert [e.field for e in result.errors] == ["transfers.1.receiver_username", "transfers.2.amount"]
    assert (balance(alice), balance(bob), balance(carol)) == (Decimal("0.00"), Decimal("60.00"), Decimal("40.00"))
    assert audit_ledger().problems == []


def test_a_batch_replays_and_refuses_its_key_for_another_batch(people):
    alice, bob, _ = people
    first = transfer_batch_create(sender=alice, transfers=items(("bob", "10")), atomic=True, idempotency_key="b")

    again = transfer_batch_create(sender=alice, transfers=items(("bob", "10")), atomic=True, idempotency_key="b")
    with pytest.raises(WalletError) as reused:
        transfer_batch_create(sender=alice, transfers=items(("bob", "11")), atomic=True, idempotency_key="b")

    assert again.replayed and [t.pk for t in again.transactions] == [t.pk for t in first.transactions]
    assert reused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert balance(bob) == Decimal("10.00")


def test_batch_input_is_validated_before_anything_is_recorded(people):
    alice, _, _ = people

    with pytest.raises(ValidationFailed) as too_many:
        transfer_batch_create(sender=alice, transfers=items(*[("bob", "1")] * 101), atomic=True, idempotency_key="b")
    with pytest.raises(ValidationFailed) as bad_item:
        transfer_batch_create(
            sender=alice, transfers=items(("bob", "1"), ("bob", "0.001")), atomic=True, idempotency_key="b"
        )

    assert [e.field for e in too_many.value.errors] == ["transfers"]
    assert [(e.code, e.field) for e in bad_item.value.errors] == [(ErrorCode.INVALID_AMOUNT, "transfers.1.amount")]
    assert not Transaction.objects.filter(kind="TRANSFER").exists()


def test_the_daily_limit_holds_across_a_batch(people):
    alice, _, _ = people
    Wallet.objects.filter(user=alice).update(daily_transfer_limit=Decimal("25.00"))

    result = transfer_batch_create(
        sender=alice, transfers=items(("bob", "10"), ("bob", "10"), ("bob", "10")), atomic=False, idempotency_key="b"
    )

    assert [t.failure_code for t in result.transactions] == ["", "", "DAILY_LIMIT_EXCEEDED"]
    assert audit_ledger().problems == []


def test_the_sql_statements_of_a_batch_do_not_grow_with_its_size(people):
    alice, _, _ = people

    def statements(size: int, key: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            transfer_batch_create(
                sender=alice, transfers=items(*[("bob", "0.01")] * size), atomic=True, idempotency_key=key
            )
        return len(queries)

    assert statements(2, "small") == statements(50, "large")
