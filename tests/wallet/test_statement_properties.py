"""Statements on the ledger itself (hypothesis): for any period, closing = opening + in - out, the opening and
closing are balance_at at the period's ends, and the count is the number of entries listed.

Movements are posted at random moments in random order, so an entry's created_at often disagrees with its id
(as when a movement that started earlier takes the wallet's lock later); holds, captures and voids add pending
entries, reversals return money, and refused movements record nothing."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from wallet.errors import WalletError
from wallet.models import LedgerEntry, Transaction
from wallet.selectors import balance_at, balance_history
from wallet.selectors.statements import statement_entries_for_user, statement_rows, statement_summary
from wallet.services import (
    hold_capture,
    hold_create,
    hold_void,
    money_add,
    reversal_create,
    transfer_create,
    withdrawal_create,
)

BASE = datetime(2026, 3, 1, tzinfo=UTC)
MINUTES = 1000
USERS = ["ann", "ben"]

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("80"), places=2)
moments = st.integers(min_value=0, max_value=MINUTES)
users = st.sampled_from(USERS)
earlier = st.integers(min_value=0, max_value=40)  # which earlier movement a capture, void or reversal acts on
operations = st.one_of(
    st.tuples(st.just("add"), moments, users, amounts),
    st.tuples(st.just("withdraw"), moments, users, amounts),  # often more than the balance: refused
    st.tuples(st.just("transfer"), moments, users, amounts),
    st.tuples(st.just("hold"), moments, users, amounts),
    st.tuples(st.just("capture"), moments, earlier),
    st.tuples(st.just("void"), moments, earlier),
    st.tuples(st.just("reverse"), moments, earlier),
)
# Whole minutes, like the movements: period ends often fall exactly on an entry.
periods = st.lists(
    st.tuples(st.integers(min_value=-5, max_value=MINUTES + 5), st.integers(min_value=1, max_value=MINUTES + 10)),
    min_size=1,
    max_size=8,
)


@pytest.fixture
def people(make_user):
    return {name: make_user(name) for name in USERS}


def other(name: str) -> str:
    return USERS[1 - USERS.index(name)]


def perform(people, step, key, holds, transfers):
    kind, at = step[0], BASE + timedelta(minutes=step[1])
    with mock.patch("django.utils.timezone.now", return_value=at):
        if kind == "add":
            return money_add(user=people[step[2]], amount=step[3], idempotency_key=key)
        if kind == "withdraw":
            return withdrawal_create(user=people[step[2]], amount=step[3], idempotency_key=key)
        if kind == "transfer":
            result = transfer_create(
                sender=people[step[2]], receiver_username=other(step[2]), amount=step[3], idempotency_key=key
            )
            if result.error is None:
                transfers.append((result.transaction, other(step[2])))
            return result
        if kind == "hold":
            result = hold_create(
                payer=people[step[2]],
                receiver_username=other(step[2]),
                amount=step[3],
                idempotency_key=key,
                expires_in_seconds=10 * 24 * 3600,
            )
            if result.error is None:
                holds.append((result.transaction, step[2]))
            return result
        if kind in ("capture", "void") and holds:
            hold, payer = holds[step[2] % len(holds)]
            if kind == "capture":
                return hold_capture(user=people[payer], hold_id=hold.pk, amount=None, idempotency_key=key)
            return hold_void(user=people[payer], hold_id=hold.pk, idempotency_key=key)
        if kind == "reverse" and transfers:
            original, receiver = transfers[step[2] % len(transfers)]
            return reversal_create(user=people[receiver], transaction_id=original.pk, amount=None, idempotency_key=key)
    return None


def posted_before(wallet, moment) -> Decimal:
    """The oracle: a plain Python sum over the wallet's posted entries made before `moment`."""
    return sum(
        (e.delta for e in LedgerEntry.objects.filter(wallet=wallet, pending=False) if e.created_at < moment),
        Decimal("0.00"),
    )


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(funded_at=st.tuples(moments, moments), steps=st.lists(operations, min_size=5, max_size=30), windows=periods)
def test_any_statement_adds_up_and_agrees_with_balance_at(people, funded_at, steps, windows):
    with transaction.atomic():
        holds, transfers = [], []
        for name, minute in zip(USERS, funded_at, strict=True):  # enough for most movements to go through
            perform(people, ("add", minute, name, Decimal("150.00")), f"fund-{name}", holds, transfers)
        for index, step in enumerate(steps):
            try:
                perform(people, step, f"op-{index}", holds, transfers)
            except WalletError:
                continue  # refused input (a hold already resolved, a reversal of a failed transfer) records nothing

        kinds = set(Transaction.objects.filter(status__in=["SUCCESS", "PENDING"]).values_list("kind", flat=True))
        event(f"posted kinds: {sorted(kinds)}")
        for user in people.values():
            wallet = user.wallet
            wallet.refresh_from_db()
            assert balance_at(wallet=wallet, at=BASE + timedelta(days=365)) == wallet.balance
            for start, length in windows:
                period_from = BASE + timedelta(minutes=start)
                period_to = period_from + timedelta(minutes=length)
                summary = statement_summary(user=user, period_from=period_from, period_to=period_to)
                rows = list(statement_rows(user=user, period_from=period_from, period_to=period_to,
                                           opening=summary.opening, chunk_size=3))  # fmt: skip

                assert summary.closing == summary.opening + summary.total_in - summary.total_out
                assert (
                    summary.opening == balance_at(wallet=wallet, at=period_from) == posted_before(wallet, period_from)
                )
                assert summary.closing == balance_at(wallet=wallet, at=period_to) == posted_before(wallet, period_to)
                listed = statement_entries_for_user(user=user, period_from=period_from, period_to=period_to)
                assert summary.count == len(rows) == listed.count()
                assert {row.transaction_id for row in rows} == set(listed.values_list("transaction_id", flat=True))
                assert sum((r.amount for r in rows if r.amount > 0), Decimal("0.00")) == summary.total_in
                assert sum((-r.amount for r in rows if r.amount < 0), Decimal("0.00")) == summary.total_out
                assert all(period_from <= row.created_at < period_to for row in rows)
                assert (rows[-1].balance_after if rows else summary.opening) == summary.closing

            now = BASE + timedelta(minutes=MINUTES // 2, seconds=7)
            points = balance_history(wallet=wallet, days=3, now=now)
            assert [at for at, _ in points][-1] == now and len(points) == 3
            assert all(balance == balance_at(wallet=wallet, at=at) for at, balance in points)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_an_entry_made_out_of_id_order_counts_by_its_time(people):
    """A movement stamped earlier but posted later (higher id): balance_at by time, not by last balance_after."""
    ann, ben = people["ann"], people["ben"]
    with mock.patch("django.utils.timezone.now", return_value=BASE + timedelta(minutes=10)):
        money_add(user=ann, amount=Decimal("50.00"), idempotency_key="late-top-up")
    with mock.patch("django.utils.timezone.now", return_value=BASE + timedelta(minutes=5)):
        money_add(user=ann, amount=Decimal("7.00"), idempotency_key="early-top-up")  # stamped earlier, id higher
    ann.wallet.refresh_from_db()
    assert LedgerEntry.objects.filter(wallet=ann.wallet).order_by("id").last().balance_after == Decimal("57.00")

    # At minute 7 only the 7.00 had been made; the entry made last by id says 57.00 after it.
    assert balance_at(wallet=ann.wallet, at=BASE + timedelta(minutes=7)) == Decimal("7.00")
    summary = statement_summary(user=ann, period_from=BASE + timedelta(minutes=7), period_to=BASE + timedelta(hours=1))
    assert (summary.opening, summary.total_in, summary.closing, summary.count) == (
        Decimal("7.00"), Decimal("50.00"), Decimal("57.00"), 1,
    )  # fmt: skip
    assert Transaction.objects.filter(initiator=ben).count() == 0
