"""Random sequences of movements keep every ledger invariant (hypothesis)."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallet.errors import WalletError
from wallet.ledger_audit import audit_ledger
from wallet.models import LedgerEntry, Wallet
from wallet.services import mobile_payment_create, money_add, transfer_create, withdrawal_create

USERS = ["ann", "ben", "cat"]
MOBILES = {"ann": "+14155550101", "ben": "+14155550102", "cat": "+14155550103"}

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2)
users = st.sampled_from(USERS)
operations = st.one_of(
    st.tuples(st.just("add"), users, amounts),
    st.tuples(st.just("withdraw"), users, amounts),
    st.tuples(st.just("transfer"), users, amounts, st.sampled_from([*USERS, "ghost"])),
    st.tuples(st.just("pay"), users, amounts, st.sampled_from([*USERS, "ghost"])),
    st.tuples(st.just("replay"), st.integers(min_value=0, max_value=50)),
)


@pytest.fixture
def people(make_user):
    return {name: make_user(name, mobile_number=MOBILES[name]) for name in USERS}


def perform(people, step, key):
    kind, user = step[0], people.get(step[1]) if step[0] != "replay" else None
    if kind == "add":
        return money_add(user=user, amount=step[2], idempotency_key=key)
    if kind == "withdraw":
        return withdrawal_create(user=user, amount=step[2], idempotency_key=key)
    if kind == "transfer":
        return transfer_create(sender=user, receiver_username=step[3], amount=step[2], idempotency_key=key)
    return mobile_payment_create(
        sender=user, mobile_number=MOBILES.get(step[3], "+14155550199"), amount=step[2], idempotency_key=key
    )


def customer_balances() -> dict[str, Decimal]:
    return {w.user.username: w.balance for w in Wallet.objects.filter(kind="CUSTOMER").select_related("user")}


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operations, min_size=1, max_size=25))
def test_random_movements_keep_every_invariant(people, steps):
    with transaction.atomic():
        expected = {name: Decimal("0.00") for name in USERS}
        done: list[tuple[tuple, str]] = []
        for index, step in enumerate(steps):
            if step[0] == "replay":
                if not done:
                    continue
                step, key = done[step[1] % len(done)]
                entries_before = LedgerEntry.objects.count()
                balances_before = customer_balances()
                result = perform(people, step, key)
                assert result.replayed
                assert LedgerEntry.objects.count() == entries_before
                assert customer_balances() == balances_before
                continue

            key = f"op-{index}"
            try:
                result = perform(people, step, key)
            except WalletError:
                continue  # refused input (e.g. none here) records nothing
            done.append((step, key))
            assert not result.replayed
            if result.error is None:
                kind, name, amount = step[0], step[1], step[2]
                if kind == "add":
                    expected[name] += amount
                elif kind == "withdraw":
                    expected[name] -= amount
                else:
                    expected[name] -= amount
                    expected[step[3]] += amount
            else:
                assert not result.transaction.entries.exists()

            assert customer_balances() == expected
            assert all(balance >= 0 for balance in expected.values())

        report = audit_ledger()
        assert report.problems == []
        assert report.ledger_sum == 0
        transaction.set_rollback(True)
