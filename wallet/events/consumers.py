"""Idempotent consumers: a handled event_id is recorded with the handler's effects, in one transaction."""

from collections.abc import Callable

from django.db import connection, transaction


def consume_batch(*, consumer: str, events: list[dict], handler: Callable[[list[dict]], None]) -> int:
    """Runs `handler` once on the events `consumer` has not handled yet (a redelivered one is skipped), and records
    them as handled in the same transaction: one insert for the whole batch. Returns how many were new."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO wallet_processedevent (consumer, event_id, processed_at)"
            " SELECT %s, id, now() FROM unnest(%s::uuid[]) AS id"
            " ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id::text",
            [consumer, [event["event_id"] for event in events]],
        )
        new = {event_id for (event_id,) in cursor.fetchall()}
        fresh = []
        for event in events:
            if event["event_id"] in new:
                new.discard(event["event_id"])  # a duplicate within the batch runs once
                fresh.append(event)
        if fresh:
            handler(fresh)
    return len(fresh)


def consume(*, consumer: str, event: dict, handler: Callable[[dict], None]) -> bool:
    """Runs `handler` once per (consumer, event_id); returns False for a repeat, which does nothing."""
    return consume_batch(consumer=consumer, events=[event], handler=lambda events: handler(events[0])) == 1
