"""PostgreSQL has no connection slot left for the service: requests get the retryable SERVICE_UNAVAILABLE (HTTP 503),
nothing is recorded, and the service recovers by itself once connections free up."""

from decimal import Decimal

import psycopg2

from tests.faults.load import DONE, RETRYABLE, Transfer, assert_only_retryable_failures, check_books

OPENING = Decimal("100.00")


def take_every_free_slot(stack, held: list) -> None:
    """Opens connections until the server refuses one ("too many clients"); they stay open in `held`."""
    for _ in range(200):
        try:
            held.append(stack.connect())
        except psycopg2.OperationalError as error:
            assert "too many clients" in str(error) or "remaining connection slots" in str(error), error
            return
    raise AssertionError("the server never ran out of connection slots")


def test_no_free_connection_gives_service_unavailable_until_one_frees_up(healthy):
    stack = healthy
    users = stack.seed("slots", 2, str(OPENING))
    (alice, alice_token), (bob, _) = users
    warm = Transfer(alice, alice_token, bob, Decimal("1.00"), "warm-up")
    assert warm.send(stack.url).kind == DONE  # the workers hold their persistent connections now

    held = []
    try:
        take_every_free_slot(stack, held)
        ours = [connection.info.backend_pid for connection in held]
        with held[0].cursor() as cursor:  # the workers' connections drop (as after a server-side timeout) ...
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' AND pid <> ALL(%s)",
                [ours],
            )
            assert cursor.rowcount >= 1
        take_every_free_slot(stack, held)  # ... and their slots are taken before they can reconnect

        refused = [Transfer(alice, alice_token, bob, Decimal("2.00"), f"while-full-{n}") for n in range(6)]
        for transfer in refused:
            reply = transfer.send(stack.url)
            assert reply.kind == RETRYABLE and reply.code == "SERVICE_UNAVAILABLE", reply
        assert_only_retryable_failures(refused)

        with held[0].cursor() as cursor:  # nothing of them was recorded
            cursor.execute(
                "SELECT count(*) FROM wallet_transaction WHERE idempotency_key LIKE 'while-full-%%'",
            )
            assert cursor.fetchone() == (0,)
    finally:
        for connection in held:
            connection.close()

    # Connections free up: the same keys now run, once.
    for transfer in refused:
        reply = transfer.send(stack.url)
        assert reply.kind == DONE and reply.replayed is False and reply.transaction["status"] == "SUCCESS", reply
        again = transfer.send(stack.url)
        assert again.kind == DONE and again.replayed is True and again.transaction == reply.transaction
    balances = check_books(stack, users, [warm, *refused], opening=OPENING)
    assert balances == {alice: Decimal("87.00"), bob: Decimal("113.00")}
