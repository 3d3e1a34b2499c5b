"""PostgreSQL goes away under load and comes back: clients only ever see a retryable error or a broken connection,
the service recovers by itself (same gunicorn workers), every client learns its outcome by replaying its key, and
the books balance."""

import time
from decimal import Decimal

from tests.faults.load import (
    CONNECTION,
    DONE,
    RETRYABLE,
    assert_only_retryable_failures,
    check_books,
    check_replays,
    learn_outcomes,
    replies,
    run_clients,
    stop_clients,
    summary,
)

OPENING = Decimal("1000.00")


def test_a_database_restart_mid_load_costs_retries_only(healthy):
    stack = healthy
    users = stack.seed("restart", 6, str(OPENING))
    workers_before = sorted(stack.worker_pids())

    stop, clients = run_clients(stack.url, users, count=4, seed=2)
    try:
        time.sleep(2)  # load under way
        stack.pause_database()  # fast shutdown: open transactions roll back, connections drop
        paused_at = time.monotonic()
        time.sleep(2)  # the outage: connections are refused
        resuming_at = time.monotonic()
        stack.resume_database()
        resumed_at = time.monotonic()
        time.sleep(4)  # load goes on after the restart
    finally:
        transfers = stop_clients(stop, clients)
    print(summary(transfers))

    assert_only_retryable_failures(transfers)
    during_outage = [reply for reply in replies(transfers) if reply.started >= paused_at and reply.ended <= resuming_at]
    assert during_outage, "no request was made during the outage"
    assert {reply.kind for reply in during_outage} <= {RETRYABLE, CONNECTION}, during_outage
    assert any(reply.code == "SERVICE_UNAVAILABLE" for reply in during_outage)

    # Recovered without restarting gunicorn: every client's transfers succeed again, on the same workers.
    for client in clients:
        after = [r for t in client.transfers for r in t.replies if r.started >= resumed_at and r.kind == DONE]
        assert after, f"a client got no answer after the restart:\n{stack.server_log()}"
    assert sorted(stack.worker_pids()) == workers_before

    learn_outcomes(stack.url, transfers)
    check_replays(stack.url, transfers, sample=30, seed=2)
    check_books(stack, users, transfers, opening=OPENING)
