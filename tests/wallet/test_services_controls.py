"""Freezes, tiers and limits (issue 16), enforced by the engine under the wallets' locks."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from wallet.errors import ErrorCode, WalletError
from wallet.ledger_audit import audit_ledger
from wallet.models import LedgerEntry, Tier, Transaction, Wallet, WalletFreeze
from wallet.selectors import wallet_limits
from wallet.services import (
    hold_capture,
    hold_create,
    hold_void,
    holds_release_expired,
    money_add,
    reversal_create,
    transfer_create,
    wallet_set_daily_limit,
    withdrawal_create,
)
from wallet.services.controls import (
    wallet_freeze,
    wallet_set_limit_overrides,
    wallet_set_tier,
    wallet_unfreeze,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def staff(make_user):
    user = make_user("staffer")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def wallet_of(user) -> Wallet:
    return Wallet.objects.get(user=user)


def freeze(user, scope, *, by=None, as_staff=False, reason="CUSTOMER_REQUEST"):
    return wallet_freeze(
        wallet=wallet_of(user), scope=scope, reason_code=reason, note="", by=by or user, as_staff=as_staff
    )


def send(sender, receiver, amount, key):
    return transfer_create(
        sender=sender, receiver_username=receiver.username, amount=Decimal(amount), idempotency_key=key
    )


# Freezes


@pytest.mark.parametrize("scope", ["DEBITS", "ALL"])
def test_a_debit_of_a_wallet_frozen_for_debits_is_recorded_failed_and_moves_nothing(alice, bob, fund, scope):
    fund(alice, "100.00")
    freeze(alice, scope)
    entries_before = LedgerEntry.objects.count()

    result = send(alice, bob, "10.00", "t")
    withdrawal = withdrawal_create(user=alice, amount=Decimal("5.00"), idempotency_key="w")

    assert result.error.code is ErrorCode.WALLET_FROZEN and withdrawal.error.code is ErrorCode.WALLET_FROZEN
    assert result.transaction.status == Transaction.Status.FAILED
    assert Transaction.objects.get(pk=result.transaction.pk).failure_code == "WALLET_FROZEN"
    assert LedgerEntry.objects.count() == entries_before
    assert (wallet_of(alice).balance, wallet_of(bob).balance) == (Decimal("100.00"), Decimal("0.00"))
    assert audit_ledger().problems == []


def test_a_wallet_frozen_for_debits_still_receives(alice, bob, fund):
    fund(bob, "20.00")
    freeze(alice, "DEBITS")

    assert send(bob, alice, "20.00", "in").error is None
    assert money_add(user=alice, amount=Decimal("1.00"), idempotency_key="top-up").error is None
    assert wallet_of(alice).balance == Decimal("21.00")


@pytest.mark.parametrize("scope", ["CREDITS", "ALL"])
def test_credits_of_a_wallet_frozen_for_credits_are_refused_top_ups_too(alice, bob, fund, scope):
    fund(bob, "20.00")
    fund(alice, "5.00")
    freeze(alice, scope)

    assert send(bob, alice, "20.00", "in").error.code is ErrorCode.WALLET_FROZEN
    assert money_add(user=alice, amount=Decimal("1.00"), idempotency_key="up").error.code is ErrorCode.WALLET_FROZEN
    assert (wallet_of(alice).balance, wallet_of(bob).balance) == (Decimal("5.00"), Decimal("20.00"))
    outgoing = send(alice, bob, "5.00", "out")
    assert (outgoing.error is None) == (scope == "CREDITS")


def test_freezes_add_up_and_lifting_one_leaves_the_others(alice, bob, fund):
    fund(alice, "10.00")
    debits = freeze(alice, "DEBITS").freeze
    credits = freeze(alice, "CREDITS")

    assert credits.before["frozen_scope"] == "DEBITS" and credits.after["frozen_scope"] == "ALL"
    lifted = wallet_unfreeze(wallet=wallet_of(alice), freeze_id=debits.pk, by=alice, as_staff=False)

    assert lifted.after["frozen_scope"] == "CREDITS"
    assert send(alice, bob, "10.00", "out").error is None
    wallet_unfreeze(wallet=wallet_of(alice), freeze_id=credits.freeze.pk, by=alice, as_staff=False)
    assert wallet_of(alice).frozen_scope == ""
    assert money_add(user=alice, amount=Decimal("1.00"), idempotency_key="up").error is None


def test_the_owner_cannot_lift_a_freeze_staff_set_but_staff_can(alice, staff):
    staff_freeze = freeze(alice, "ALL", by=staff, as_staff=True, reason="FRAUD_SUSPECTED").freeze

    with pytest.raises(WalletError) as refused:
        wallet_unfreeze(wallet=wallet_of(alice), freeze_id=staff_freeze.pk, by=alice, as_staff=False)
    assert refused.value.code is ErrorCode.FREEZE_NOT_FOUND
    assert wallet_of(alice).frozen_scope == "ALL"

    wallet_unfreeze(wallet=wallet_of(alice), freeze_id=staff_freeze.pk, by=staff, as_staff=True)
    assert wallet_of(alice).frozen_scope == ""
    assert WalletFreeze.objects.get(pk=staff_freeze.pk).lifted_by == staff


def test_an_owner_cannot_lift_a_freeze_of_another_wallet(alice, bob):
    bobs = freeze(bob, "DEBITS").freeze

    with pytest.raises(WalletError) as refused:
        wallet_unfreeze(wallet=wallet_of(alice), freeze_id=bobs.pk, by=alice, as_staff=False)

    assert refused.value.code is ErrorCode.FREEZE_NOT_FOUND
    assert WalletFreeze.objects.get(pk=bobs.pk).lifted_at is None


def test_system_accounts_are_never_frozen(alice, fund, staff):
    fund(alice, "1.00")
    funding = Wallet.objects.filter(kind="FUNDING").first()

    with pytest.raises(WalletError) as refused:
        wallet_freeze(wallet=funding, scope="ALL", reason_code="OTHER", note="", by=staff, as_staff=True)

    assert refused.value.code is ErrorCode.INVALID_INPUT
    assert not WalletFreeze.objects.exists()


@pytest.mark.parametrize(("scope", "reason", "field"), [("SOME", "OTHER", "scope"), ("ALL", "BORED", "reason_code")])
def test_a_bad_freeze_is_refused_and_changes_nothing(alice, scope, reason, field):
    with pytest.raises(WalletError) as refused:
        wallet_freeze(wallet=wallet_of(alice), scope=scope, reason_code=reason, note="", by=alice, as_staff=False)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, field)
    assert wallet_of(alice).frozen_scope == "" and not WalletFreeze.objects.exists()


def test_a_hold_placed_before_a_freeze_stays_its_capture_is_refused_its_void_works(alice, bob, fund):
    fund(alice, "50.00")
    hold = hold_create(
        payer=alice, receiver_username="bob", amount=Decimal("30.00"), idempotency_key="h", expires_in_seconds=60
    ).transaction
    freeze(alice, "DEBITS")

    capture = hold_capture(user=bob, hold_id=hold.pk, amount=None, idempotency_key="cap")

    assert capture.error.code is ErrorCode.WALLET_FROZEN
    assert wallet_of(bob).balance == Decimal("0.00")
    assert wallet_of(alice).held == Decimal("30.00")  # still reserved
    assert hold_void(user=alice, hold_id=hold.pk, idempotency_key="void").error is None
    assert (wallet_of(alice).held, wallet_of(alice).balance) == (Decimal("0.00"), Decimal("50.00"))
    assert audit_ledger().problems == []


def test_a_frozen_payers_expired_hold_is_still_released(alice, bob, fund):
    fund(alice, "50.00")
    hold_create(
        payer=alice, receiver_username="bob", amount=Decimal("30.00"), idempotency_key="h", expires_in_seconds=60
    )
    freeze(alice, "ALL")

    assert holds_release_expired(now=timezone.now() + timedelta(seconds=61)) == 1
    assert wallet_of(alice).held == Decimal("0.00")


def test_a_new_hold_on_a_frozen_wallet_is_refused(alice, bob, fund):
    fund(alice, "50.00")
    freeze(alice, "DEBITS")

    result = hold_create(
        payer=alice, receiver_username="bob", amount=Decimal("30.00"), idempotency_key="h", expires_in_seconds=60
    )

    assert result.error.code is ErrorCode.WALLET_FROZEN and wallet_of(alice).held == Decimal("0.00")


def test_a_reversal_obeys_freezes_like_any_movement(alice, bob, fund):
    """Reversals are not exempt: the reversal debits the original receiver and credits the original sender."""
    fund(alice, "50.00")
    original = send(alice, bob, "20.00", "pay").transaction
    freeze(bob, "DEBITS")

    refused = reversal_create(user=bob, transaction_id=original.pk, amount=None, idempotency_key="rev")

    assert refused.error.code is ErrorCode.WALLET_FROZEN
    assert wallet_of(bob).balance == Decimal("20.00")


# Tiers and limits


def test_by_default_a_wallet_is_basic_with_todays_limits(alice):
    limits = wallet_limits(wallet=wallet_of(alice))

    assert limits.tier == "BASIC"
    assert limits.daily.limit == Decimal("10000.00") and limits.daily.remaining == Decimal("10000.00")
    assert (limits.monthly, limits.max_balance, limits.per_transaction) == (None, None, None)


def test_the_tiers_are_seeded():
    assert {tier.code for tier in Tier.objects.all()} == {"BASIC", "VERIFIED", "BUSINESS"}
    assert Tier.objects.get(pk="BASIC").daily_limit == Decimal("10000.00")
    assert Tier.objects.get(pk="BUSINESS").daily_limit > Tier.objects.get(pk="VERIFIED").daily_limit


def test_an_amount_over_the_per_transaction_limit_is_refused(alice, bob, fund, staff):
    fund(alice, "100.00")
    wallet_set_limit_overrides(wallet=wallet_of(alice), per_transaction=Decimal("25.00"), by=staff)

    refused = send(alice, bob, "25.01", "big")

    assert (refused.error.code, refused.error.field) == (ErrorCode.TRANSACTION_LIMIT_EXCEEDED, "amount")
    assert send(alice, bob, "25.00", "ok").error is None
    assert wallet_of(alice).balance == Decimal("75.00")


def test_the_monthly_limit_counts_the_months_outgoing_total_across_days(alice, bob, fund, staff):
    fund(alice, "500.00")
    wallet_set_limit_overrides(wallet=wallet_of(alice), monthly=Decimal("100.00"), by=staff)
    now = timezone.localtime().replace(day=15, hour=12)
    with mock.patch("django.utils.timezone.now", return_value=now - timedelta(days=3)):
        assert send(alice, bob, "60.00", "a").error is None
    with mock.patch("django.utils.timezone.now", return_value=now):
        assert withdrawal_create(user=alice, amount=Decimal("40.00"), idempotency_key="b").error is None
        refused = send(alice, bob, "0.01", "c")
        limits = wallet_limits(wallet=wallet_of(alice), now=now)

    assert refused.error.code is ErrorCode.MONTHLY_LIMIT_EXCEEDED
    assert (limits.monthly.used, limits.monthly.remaining) == (Decimal("100.00"), Decimal("0.00"))
    assert limits.daily.used == Decimal("40.00")
    next_month = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert limits.monthly.resets_at == next_month.replace(hour=0, minute=0, second=0, microsecond=0)
    with mock.patch("django.utils.timezone.now", return_value=next_month + timedelta(hours=1)):
        assert send(alice, bob, "50.00", "d").error is None


@pytest.mark.parametrize("how", ["top-up", "transfer"])
def test_a_credit_past_the_max_balance_is_refused(alice, bob, fund, staff, how):
    fund(alice, "90.00")
    fund(bob, "50.00")
    wallet_set_limit_overrides(wallet=wallet_of(alice), max_balance=Decimal("100.00"), by=staff)

    if how == "top-up":
        refused = money_add(user=alice, amount=Decimal("10.01"), idempotency_key="up")
        fits = money_add(user=alice, amount=Decimal("10.00"), idempotency_key="up2")
    else:
        refused = send(bob, alice, "10.01", "in")
        fits = send(bob, alice, "10.00", "in2")

    assert refused.error.code is ErrorCode.BALANCE_LIMIT_EXCEEDED
    assert fits.error is None
    assert wallet_of(alice).balance == Decimal("100.00")


def test_a_tier_sets_the_limits_and_an_override_wins(alice, bob, fund, staff):
    fund(alice, "60000.00")
    change = wallet_set_tier(wallet=wallet_of(alice), tier_code="VERIFIED", by=staff)

    assert (change.before["tier"], change.after["tier"]) == ("BASIC", "VERIFIED")
    limits = wallet_limits(wallet=wallet_of(alice))
    assert limits.daily.limit == Decimal("50000.00") and limits.per_transaction == Decimal("25000.00")
    assert send(alice, bob, "20000.00", "over-basic-daily").error is None  # BASIC's daily limit was 10000
    assert send(alice, bob, "25000.01", "big").error.code is ErrorCode.TRANSACTION_LIMIT_EXCEEDED

    wallet_set_limit_overrides(wallet=wallet_of(alice), daily=Decimal("20000.00"), by=staff)
    assert send(alice, bob, "0.01", "over-override").error.code is ErrorCode.DAILY_LIMIT_EXCEEDED
    wallet_set_limit_overrides(wallet=wallet_of(alice), daily=None, by=staff)
    assert wallet_of(alice).daily_transfer_limit == Decimal("50000.00")
    assert send(alice, bob, "0.01", "again").error is None


def test_setting_the_daily_limit_the_old_way_sets_the_daily_override(alice, staff):
    wallet_set_daily_limit(wallet=wallet_of(alice), limit=Decimal("250.00"))
    wallet_set_tier(wallet=wallet_of(alice), tier_code="BUSINESS", by=staff)

    assert wallet_of(alice).daily_limit_override == Decimal("250.00")
    assert wallet_limits(wallet=wallet_of(alice)).daily.limit == Decimal("250.00")


def test_bad_controls_are_refused_and_change_nothing(alice, staff):
    with pytest.raises(WalletError) as no_tier:
        wallet_set_tier(wallet=wallet_of(alice), tier_code="GOLD", by=staff)
    with pytest.raises(WalletError) as negative:
        wallet_set_limit_overrides(wallet=wallet_of(alice), monthly=Decimal("-1"), by=staff)

    assert no_tier.value.code is ErrorCode.INVALID_INPUT and negative.value.code is ErrorCode.INVALID_AMOUNT
    wallet = wallet_of(alice)
    assert (wallet.tier_id, wallet.monthly_limit_override) == ("BASIC", None)
