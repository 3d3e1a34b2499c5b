from decimal import Decimal

import pytest

from wallet.errors import ErrorCode, WalletError
from wallet.models import Transaction, Wallet
from wallet.services import mobile_payment_create

pytestmark = pytest.mark.django_db


def test_pays_the_registered_owner_of_a_number_in_any_common_format(make_user, fund):
    alice = make_user("alice")
    bob = make_user("bob", mobile_number="+1 415 555 0123")
    fund(alice, "20.00")

    first = mobile_payment_create(
        sender=alice, mobile_number="(415) 555-0123", amount=Decimal("5"), idempotency_key="m1"
    )
    second = mobile_payment_create(
        sender=alice, mobile_number="+14155550123", amount=Decimal("5"), idempotency_key="m2"
    )

    assert first.error is None and second.error is None
    assert first.transaction.kind == "PAY_BY_MOBILE"
    assert first.transaction.receiver_wallet.user == bob
    assert Wallet.objects.get(user=bob).balance == Decimal("10.00")


def test_fullwidth_digits_normalise_to_the_same_number(make_user, fund):
    alice = make_user("alice")
    bob = make_user("bob", mobile_number="+14155550123")
    fund(alice, "20.00")

    result = mobile_payment_create(
        sender=alice, mobile_number="＋１４１５５５５０１２３", amount=Decimal("5"), idempotency_key="m"
    )

    assert result.error is None and result.transaction.receiver_wallet.user == bob


def test_a_number_nobody_registered_is_recorded_as_receiver_not_found(make_user, fund):
    alice = make_user("alice")
    fund(alice, "20.00")

    result = mobile_payment_create(
        sender=alice, mobile_number="+14155550199", amount=Decimal("5"), idempotency_key="m1"
    )

    assert result.error.code is ErrorCode.RECEIVER_NOT_FOUND and result.error.field == "mobile_number"
    assert result.transaction.status == "FAILED"


def test_paying_your_own_number_is_a_self_transfer(make_user, fund):
    alice = make_user("alice", mobile_number="+14155550123")
    fund(alice, "20.00")

    result = mobile_payment_create(
        sender=alice, mobile_number="+14155550123", amount=Decimal("5"), idempotency_key="m1"
    )

    assert result.error.code is ErrorCode.SELF_TRANSFER


@pytest.mark.parametrize("number", ["not a number", "+1", "12", "+999 123", "+1 415 555 0123 ext"])
def test_invalid_numbers_are_refused_and_nothing_is_recorded(make_user, fund, number):
    alice = make_user("alice")
    fund(alice, "20.00")

    with pytest.raises(WalletError) as refused:
        mobile_payment_create(sender=alice, mobile_number=number, amount=Decimal("5"), idempotency_key="m1")

    assert refused.value.code is ErrorCode.INVALID_MOBILE_NUMBER
    assert not Transaction.objects.filter(kind="PAY_BY_MOBILE").exists()


def test_the_same_key_with_the_number_written_differently_is_a_replay(make_user, fund):
    alice = make_user("alice")
    make_user("bob", mobile_number="+14155550123")
    fund(alice, "20.00")
    first = mobile_payment_create(sender=alice, mobile_number="+14155550123", amount=Decimal("5"), idempotency_key="m")

    again = mobile_payment_create(sender=alice, mobile_number="415-555-0123", amount=Decimal("5"), idempotency_key="m")

    assert again.replayed and again.transaction.pk == first.transaction.pk
