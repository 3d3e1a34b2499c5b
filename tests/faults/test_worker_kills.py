"""gunicorn workers die by SIGKILL in the middle of transfers (ledger rows written, commit not yet sent): their
database transactions roll back (no partial movement), each client whose request died replays its key and learns
the outcome (the transfer is absent, so it runs once now), and every wallet holds what the outcomes say."""

import time
from decimal import Decimal

from tests.faults.load import (
    CONNECTION,
    assert_only_retryable_failures,
    check_books,
    check_replays,
    learn_outcomes,
    run_clients,
    stop_clients,
    summary,
)

OPENING = Decimal("1000.00")
KILLS = 5


def test_killed_workers_lose_no_money_and_no_outcome(healthy):
    stack = healthy
    users = stack.seed("killed", 6, str(OPENING))
    killed = []

    stop, clients = run_clients(stack.url, users, count=6, seed=3)
    try:
        time.sleep(1.5)
        for _ in range(KILLS):
            killed.append(stack.kill_worker_mid_movement())
            time.sleep(2.5)  # gunicorn boots a replacement meanwhile
    finally:
        transfers = stop_clients(stop, clients)
    print(summary(transfers))

    assert_only_retryable_failures(transfers)
    # Each kill cut a client off mid-request.
    cut_off = [transfer for transfer in transfers if any(reply.kind == CONNECTION for reply in transfer.replies)]
    assert len(cut_off) == KILLS
    assert not set(killed) & set(stack.wait_for_workers())  # replaced, and gunicorn itself lives on

    learn_outcomes(stack.url, transfers)
    # Their transactions rolled back: replaying the key found no transfer, so it ran now, once.
    for transfer in cut_off:
        assert transfer.outcome.replayed is False, transfer
    check_replays(stack.url, transfers, sample=30, seed=3)
    check_books(stack, users, transfers, opening=OPENING)
