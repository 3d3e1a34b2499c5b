from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from wallet.errors import ErrorCode, WalletError
from wallet.ledger_audit import audit_ledger
from wallet.models import Transaction, Wallet
from wallet.selectors import available_balance, hold_state
from wallet.services import (
    hold_capture,
    hold_create,
    hold_void,
    holds_release_expired,
    transfer_create,
    withdrawal_create,
)

pytestmark = pytest.mark.django_db


def wallet(user) -> Wallet:
    return Wallet.objects.get(user=user)


@pytest.fixture
def people(make_user, fund):
    alice, shop = make_user("alice"), make_user("shop", mobile_number="+14155550177")
    fund(alice, "100.00")
    return alice, shop


def hold(alice, amount="30.00", key="h", seconds=600, **receiver):
    return hold_create(
        payer=alice,
        amount=Decimal(amount),
        idempotency_key=key,
        expires_in_seconds=seconds,
        **(receiver or {"receiver_username": "shop"}),
    )


def test_a_hold_reserves_money_without_moving_the_balance(people):
    alice, shop = people

    result = hold(alice)

    txn = result.transaction
    assert (txn.kind, txn.status, hold_state(hold=txn)) == ("HOLD", "PENDING", "ACTIVE")
    assert (wallet(alice).balance, wallet(alice).held) == (Decimal("100.00"), Decimal("30.00"))
    assert available_balance(wallet=wallet(alice)) == Decimal("70.00")
    assert {(e.pending, e.delta) for e in txn.entries.all()} == {(True, Decimal("-30.00")), (True, Decimal("30.00"))}
    assert audit_ledger().problems == []


def test_other_movements_check_the_available_balance(people):
    alice, _ = people
    hold(alice, "80.00")

    refused = withdrawal_create(user=alice, amount=Decimal("20.01"), idempotency_key="w")
    allowed = withdrawal_create(user=alice, amount=Decimal("20.00"), idempotency_key="w2")

    assert refused.error.code is ErrorCode.INSUFFICIENT_FUNDS and allowed.error is None
    assert hold(alice, "0.01", key="h2").error.code is ErrorCode.INSUFFICIENT_FUNDS


def test_capturing_part_settles_it_and_releases_the_rest(people):
    alice, shop = people
    held = hold(alice).transaction

    result = hold_capture(user=alice, hold_id=held.pk, amount=Decimal("12.50"), idempotency_key="c")

    assert result.error is None and result.transaction.kind == "HOLD_CAPTURE"
    assert (wallet(alice).balance, wallet(alice).held) == (Decimal("87.50"), Decimal("0.00"))
    assert wallet(shop).balance == Decimal("12.50")
    assert hold_state(hold=held) == "CAPTURED"
    assert audit_ledger().problems == []


def test_voiding_releases_everything(people):
    alice, shop = people
    held = hold(alice).transaction

    hold_void(user=alice, hold_id=held.pk, idempotency_key="v")

    assert (wallet(alice).balance, wallet(alice).held, wallet(shop).balance) == (
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert hold_state(hold=held) == "VOIDED"


@pytest.mark.parametrize(
    ("first", "then", "code"),
    [
        ("void", "capture", ErrorCode.HOLD_ALREADY_RESOLVED),
        ("capture", "void", ErrorCode.HOLD_ALREADY_RESOLVED),
        ("capture", "capture", ErrorCode.HOLD_ALREADY_RESOLVED),
        ("void", "void", ErrorCode.HOLD_ALREADY_RESOLVED),
    ],
)
def test_a_hold_resolves_exactly_once(people, first, then, code):
    alice, shop = people
    held = hold(alice).transaction
    act = {
        "void": lambda key: hold_void(user=alice, hold_id=held.pk, idempotency_key=key),
        "capture": lambda key: hold_capture(user=alice, hold_id=held.pk, amount=None, idempotency_key=key),
    }
    act[first]("one")
    balances = (wallet(alice).balance, wallet(shop).balance)

    with pytest.raises(WalletError) as refused:
        act[then]("two")

    assert refused.value.code is code
    assert (wallet(alice).balance, wallet(shop).balance) == balances
    assert Transaction.objects.filter(original=held).count() == 1


def test_capturing_more_than_held_is_refused(people):
    alice, _ = people
    held = hold(alice).transaction

    with pytest.raises(WalletError) as refused:
        hold_capture(user=alice, hold_id=held.pk, amount=Decimal("30.01"), idempotency_key="c")

    assert refused.value.code is ErrorCode.CAPTURE_EXCEEDS_HOLD


def test_an_expired_hold_blocks_nothing_and_cannot_be_captured_or_voided(people):
    alice, _ = people
    held = hold(alice, "90.00", seconds=60).transaction
    later = timezone.now() + timedelta(minutes=2)

    with mock.patch("django.utils.timezone.now", return_value=later):
        assert hold_state(hold=held) == "EXPIRED"
        assert available_balance(wallet=wallet(alice)) == Decimal("100.00")
        for act in (
            lambda: hold_capture(user=alice, hold_id=held.pk, amount=None, idempotency_key="c"),
            lambda: hold_void(user=alice, hold_id=held.pk, idempotency_key="v"),
        ):
            with pytest.raises(WalletError) as refused:
                act()
            assert refused.value.code is ErrorCode.HOLD_EXPIRED
        spent = withdrawal_create(user=alice, amount=Decimal("95.00"), idempotency_key="w")
        assert spent.error is None
        assert holds_release_expired() == 1
        assert holds_release_expired() == 0

    assert hold_state(hold=held) == "EXPIRED"
    assert (wallet(alice).balance, wallet(alice).held) == (Decimal("5.00"), Decimal("0.00"))
    assert audit_ledger().problems == []


def test_only_the_payer_or_the_receiver_can_resolve_a_hold(people, make_user):
    """Issue 14 let the receiver (a merchant) capture or void too; anyone else finds no such hold."""
    alice, shop = people
    held = hold(alice).transaction

    with pytest.raises(WalletError) as refused:
        hold_void(user=make_user("stranger"), hold_id=held.pk, idempotency_key="v")
    released = hold_void(user=shop, hold_id=held.pk, idempotency_key="v")

    assert refused.value.code is ErrorCode.HOLD_NOT_FOUND
    assert released.error is None and released.transaction.kind == "HOLD_RELEASE"


def test_holds_by_mobile_number_count_toward_the_daily_limit(people):
    alice, shop = people
    Wallet.objects.filter(user=alice).update(daily_transfer_limit=Decimal("50.00"))

    placed = hold(alice, "40.00", mobile_number="(415) 555-0177")
    over = transfer_create(sender=alice, receiver_username="shop", amount=Decimal("10.01"), idempotency_key="t")

    assert placed.transaction.receiver_wallet.user == shop
    assert over.error.code is ErrorCode.DAILY_LIMIT_EXCEEDED


def test_hold_input_is_validated(people):
    alice, _ = people

    for receiver, seconds in [({}, 60), ({"receiver_username": "shop", "mobile_number": "+14155550177"}, 60)]:
        with pytest.raises(WalletError) as refused:
            hold_create(payer=alice, amount=Decimal("1"), idempotency_key="h", expires_in_seconds=seconds, **receiver)
        assert refused.value.code is ErrorCode.INVALID_INPUT
    with pytest.raises(WalletError) as refused:
        hold(alice, seconds=0)
    assert refused.value.field == "expires_in_seconds"


def test_replaying_a_capture_moves_nothing(people):
    alice, shop = people
    held = hold(alice).transaction
    first = hold_capture(user=alice, hold_id=held.pk, amount=Decimal("5"), idempotency_key="c")

    again = hold_capture(user=alice, hold_id=held.pk, amount=Decimal("5"), idempotency_key="c")

    assert again.replayed and again.transaction.pk == first.transaction.pk
    assert wallet(shop).balance == Decimal("5.00")
