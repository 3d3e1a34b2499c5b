"""Two movements of one wallet at once, on the real engine: the one that started first (earlier created_at) waits
for the wallet's lock and is written after the other (higher id). Statements and balance_at go by created_at and
still add up; the last entry's balance_after by time would not."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from wallet.models import LedgerEntry
from wallet.selectors import balance_at
from wallet.selectors.statements import statement_summary
from wallet.services import transfer_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_earlier_movement_that_commits_later_is_counted_by_its_time(make_user, fund):
    # Transfers into alice from two others: each locks alice's wallet first (the lower id) and nothing else before.
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    fund(bob, "7.00")
    fund(carol, "50.00")
    wallet_id = alice.wallet.pk
    outcome = {}

    def transfer_that_waits():
        try:
            outcome["result"] = transfer_create(
                sender=bob, receiver_username="alice", amount=Decimal("7.00"), idempotency_key="started-first"
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            outcome["error"] = error
        finally:
            connection.close()

    with transaction.atomic():
        # This transaction holds alice's wallet while the other transfer starts and waits for it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM wallet_wallet WHERE id = %s FOR UPDATE", [wallet_id])
            me = connection.connection.info.backend_pid
        waiting = threading.Thread(target=transfer_that_waits)
        waiting.start()
        deadline = time.monotonic() + 10
        while True:  # until the other transfer waits for the lock (it has taken its created_at by then)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees one snapshot of it
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND %s = ANY("
                    "pg_blocking_pids(pid))",
                    [me],
                )
                if cursor.fetchone()[0]:
                    break
            assert time.monotonic() < deadline, "the other transfer never waited for the wallet"
        started_second = transfer_create(
            sender=carol, receiver_username="alice", amount=Decimal("50.00"), idempotency_key="started-second"
        )
        assert started_second.error is None
    waiting.join(timeout=30)
    assert "error" not in outcome and outcome["result"].error is None

    first, second = (
        LedgerEntry.objects.get(transaction__idempotency_key=key, wallet_id=wallet_id)
        for key in ("started-first", "started-second")
    )
    assert first.created_at < second.created_at and first.id > second.id  # started first, written second
    assert first.balance_after == Decimal("57.00")

    between = first.created_at + (second.created_at - first.created_at) / 2
    # By time, only the 7.00 had been made then; the last entry by time before it says 57.00.
    assert balance_at(wallet=alice.wallet, at=between) == Decimal("7.00")
    summary = statement_summary(user=alice, period_from=between, period_to=second.created_at + (second.created_at -
                                between))  # fmt: skip
    assert (summary.opening, summary.total_in, summary.total_out, summary.closing, summary.count) == (
        Decimal("7.00"), Decimal("50.00"), Decimal("0.00"), Decimal("57.00"), 1,
    )  # fmt: skip
