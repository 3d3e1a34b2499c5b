"""The relay: publishes outbox rows in id order, at least once, with any number of relays running.

Each batch is claimed with SELECT … FOR UPDATE SKIP LOCKED, published, and marked
published in the same database transaction. A relay killed between publishing
and committing leaves its rows unpublished, so the next relay publishes them
again: consumers must (and ours do) ignore an event_id they have handled.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from wallet.events.transports import Transport
from wallet.models import OutboxEvent


def relay_batch(*, transport: Transport, batch_size: int = 500) -> int:
    """Publishes one batch of unpublished events; returns how many."""
    with transaction.atomic():
        events = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(published_at__isnull=True)
            .order_by("id")[:batch_size]
        )
        if not events:
            return 0
        transport.publish(events)
        OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(published_at=timezone.now())
    return len(events)


def relay_until_drained(*, transport: Transport, batch_size: int = 500) -> int:
    total = 0
    while published := relay_batch(transport=transport, batch_size=batch_size):
        total += published
    return total


def prune_published(*, older_than: timedelta) -> int:
    """Deletes events published longer ago than the retention; unpublished ones are never pruned."""
    deleted, _ = OutboxEvent.objects.filter(published_at__lt=timezone.now() - older_than).delete()
    return deleted
