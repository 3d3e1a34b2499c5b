"""Fees (issue 16): charged by the engine as their own leg to a FEES account, in the movement; `fee_quote` agrees
with the engine to the cent, and rounding never creates or destroys money (hypothesis)."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallet.errors import ErrorCode
from wallet.ledger_audit import audit_ledger
from wallet.models import FeeRule, LedgerEntry, Transaction, Wallet
from wallet.services import (
    BatchItem,
    mobile_payment_create,
    money_add,
    reversal_create,
    transfer_batch_create,
    transfer_create,
    withdrawal_create,
)
from wallet.services.controls import fee_quote, wallet_set_tier

pytestmark = pytest.mark.django_db

USERS = ["ann", "ben"]
MOBILES = {"ann": "+14155550101", "ben": "+14155550102"}
KINDS = ["ADD_MONEY", "TRANSFER", "PAY_BY_MOBILE", "WITHDRAWAL"]


@pytest.fixture
def people(make_user):
    return {name: make_user(name, mobile_number=MOBILES[name]) for name in USERS}


def wallet_of(user) -> Wallet:
    return Wallet.objects.get(user=user)


def fees_collected() -> Decimal:
    return Wallet.objects.filter(kind="FEES").aggregate(total=Sum("balance"))["total"] or Decimal("0.00")


def move(people, kind, amount, key, payer="ann", other="ben"):
    user = people[payer]
    if kind == "ADD_MONEY":
        return money_add(user=user, amount=amount, idempotency_key=key)
    if kind == "WITHDRAWAL":
        return withdrawal_create(user=user, amount=amount, idempotency_key=key)
    if kind == "TRANSFER":
        return transfer_create(sender=user, receiver_username=other, amount=amount, idempotency_key=key)
    return mobile_payment_create(sender=user, mobile_number=MOBILES[other], amount=amount, idempotency_key=key)


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
percents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=4)
small = st.decimals(min_value=Decimal("0"), max_value=Decimal("50"), places=2)


@st.composite
def fee_rules(draw):
    minimum = draw(st.none() | small)
    maximum = draw(st.none() | small)
    if minimum is not None and maximum is not None and maximum < minimum:
        minimum, maximum = maximum, minimum
    return {"percent": draw(percents), "fixed": draw(small), "minimum": minimum, "maximum": maximum}


def legs_sum_to_zero(txn: Transaction) -> bool:
    return sum(entry.delta for entry in txn.entries.all()) == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), rule=fee_rules(), amount=money)
def test_the_engine_charges_exactly_what_fee_quote_says(people, kind, rule, amount):
    with transaction.atomic():
        FeeRule.objects.create(kind=kind, **rule)
        Wallet.objects.filter(user=people["ann"]).update(daily_transfer_limit=Decimal("1000000.00"))
        if kind != "ADD_MONEY":
            money_add(user=people["ann"], amount=Decimal("300000.00"), idempotency_key="float")
        ann_before, ben_before, fees_before = (
            wallet_of(people["ann"]).balance,
            wallet_of(people["ben"]).balance,
            fees_collected(),
        )
        quoted = fee_quote(user=people["ann"], kind=kind, amount=amount)

        result = move(people, kind, amount, "movement")

        assert result.error is None
        txn = Transaction.objects.get(pk=result.transaction.pk)
        assert txn.fee == quoted == result.transaction.fee
        assert legs_sum_to_zero(txn)
        assert fees_collected() - fees_before == quoted
        ann_change = wallet_of(people["ann"]).balance - ann_before
        if kind == "ADD_MONEY":
            assert ann_change == amount - quoted  # the fee comes out of the amount credited
        else:
            assert ann_change == -(amount + quoted)
        if kind in ("TRANSFER", "PAY_BY_MOBILE"):
            assert wallet_of(people["ben"]).balance - ben_before == amount
        transaction.set_rollback(True)


operations = st.tuples(st.sampled_from(KINDS), st.sampled_from(USERS), money.map(lambda a: a / 100))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rules=st.dictionaries(st.sampled_from(KINDS), fee_rules()), steps=st.lists(operations, min_size=1, max_size=20))
def test_random_movements_with_fees_keep_the_ledger_whole(people, rules, steps):
    """Whatever the rules and movements: the FEES accounts hold exactly the fees charged, every movement's legs
    sum to zero, and so does the whole ledger (no cent created or destroyed by rounding)."""
    with transaction.atomic():
        for kind, rule in rules.items():
            FeeRule.objects.create(kind=kind, **rule)
        for index, (kind, payer, amount) in enumerate(steps):
            amount = amount.quantize(Decimal("0.01"))
            if amount <= 0:
                continue
            other = next(name for name in USERS if name != payer)
            before = {name: wallet_of(user).balance for name, user in people.items()}
            quoted = fee_quote(user=people[payer], kind=kind, amount=amount)
            result = move(people, kind, amount, f"op-{index}", payer=payer, other=other)
            after = {name: wallet_of(user).balance for name, user in people.items()}
            if result.error is None:
                assert result.transaction.fee == quoted
            else:
                assert result.transaction.fee == 0 and after == before
        charged = Transaction.objects.filter(status="SUCCESS").aggregate(total=Sum("fee"))["total"] or 0
        assert fees_collected() == charged
        assert all(legs_sum_to_zero(txn) for txn in Transaction.objects.prefetch_related("entries"))
        report = audit_ledger()
        assert report.problems == [] and report.ledger_sum == 0
        transaction.set_rollback(True)


# The rules, one by one


def test_without_rules_nothing_is_charged(people, fund):
    fund(people["ann"], "10.00")

    result = transfer_create(sender=people["ann"], receiver_username="ben", amount=Decimal("10"), idempotency_key="t")

    assert result.error is None and result.transaction.fee == Decimal("0.00")
    assert not Wallet.objects.filter(kind="FEES").exists()
    assert LedgerEntry.objects.filter(transaction=result.transaction).count() == 2


def test_the_fee_rounds_half_up_and_is_clamped(people, fund):
    fund(people["ann"], "1000.00")
    FeeRule.objects.create(kind="TRANSFER", percent=Decimal("1.5"), fixed=Decimal("0.10"), minimum=Decimal("0.50"))

    # 1.5% of 0.50 is 0.0075 → 0.01 (half up) + 0.10 = 0.11 → the minimum, 0.50
    assert fee_quote(user=people["ann"], kind="TRANSFER", amount=Decimal("0.50")) == Decimal("0.50")
    # 1.5% of 33.00 is 0.495 → 0.50 (half up, not to even) + 0.10 = 0.60
    result = transfer_create(sender=people["ann"], receiver_username="ben", amount=Decimal("33"), idempotency_key="t")
    assert result.transaction.fee == Decimal("0.60")
    FeeRule.objects.update(maximum=Decimal("0.55"))
    assert fee_quote(user=people["ann"], kind="TRANSFER", amount=Decimal("33")) == Decimal("0.55")


def test_the_balance_check_covers_amount_and_fee(people, fund):
    fund(people["ann"], "10.00")
    FeeRule.objects.create(kind="TRANSFER", fixed=Decimal("0.25"))

    refused = transfer_create(sender=people["ann"], receiver_username="ben", amount=Decimal("10"), idempotency_key="a")
    fits = transfer_create(sender=people["ann"], receiver_username="ben", amount=Decimal("9.75"), idempotency_key="b")

    assert refused.error.code is ErrorCode.INSUFFICIENT_FUNDS and refused.transaction.fee == 0
    assert fits.error is None and wallet_of(people["ann"]).balance == Decimal("0.00")
    assert fees_collected() == Decimal("0.25")


def test_a_tier_rule_wins_over_the_rule_for_every_tier(people, fund, make_user):
    fund(people["ann"], "100.00")
    FeeRule.objects.create(kind="WITHDRAWAL", fixed=Decimal("1.00"))
    FeeRule.objects.create(kind="WITHDRAWAL", tier_id="VERIFIED", fixed=Decimal("0.20"))

    assert fee_quote(user=people["ann"], kind="WITHDRAWAL", amount=Decimal("10")) == Decimal("1.00")
    wallet_set_tier(wallet=wallet_of(people["ann"]), tier_code="VERIFIED", by=make_user("staffer"))
    result = withdrawal_create(user=people["ann"], amount=Decimal("10"), idempotency_key="w")

    assert result.transaction.fee == Decimal("0.20")


def test_a_top_ups_fee_comes_out_of_its_amount_and_leaves_at_least_a_cent(people):
    FeeRule.objects.create(kind="ADD_MONEY", fixed=Decimal("1.00"))

    result = money_add(user=people["ann"], amount=Decimal("0.40"), idempotency_key="up")

    assert result.error is None and result.transaction.fee == Decimal("0.39")
    assert wallet_of(people["ann"]).balance == Decimal("0.01")
    assert fees_collected() == Decimal("0.39")


def test_a_reversal_returns_the_amount_but_not_the_fee(people, fund):
    fund(people["ann"], "100.00")
    FeeRule.objects.create(kind="TRANSFER", fixed=Decimal("1.00"))
    original = transfer_create(
        sender=people["ann"], receiver_username="ben", amount=Decimal("20"), idempotency_key="t"
    ).transaction

    reversal = reversal_create(user=people["ben"], transaction_id=original.pk, amount=None, idempotency_key="r")

    assert reversal.error is None and reversal.transaction.fee == 0
    assert wallet_of(people["ann"]).balance == Decimal("99.00")
    assert (wallet_of(people["ben"]).balance, fees_collected()) == (Decimal("0.00"), Decimal("1.00"))


def test_a_linked_batch_that_fails_charges_no_fee(people, fund):
    fund(people["ann"], "100.00")
    FeeRule.objects.create(kind="TRANSFER", fixed=Decimal("1.00"))

    result = transfer_batch_create(
        sender=people["ann"],
        transfers=[BatchItem("ben", Decimal("10")), BatchItem("ghost", Decimal("10"))],
        atomic=True,
        idempotency_key="b",
    )

    assert all(txn.status == "FAILED" and txn.fee == 0 for txn in result.transactions)
    assert wallet_of(people["ann"]).balance == Decimal("100.00") and fees_collected() == 0
