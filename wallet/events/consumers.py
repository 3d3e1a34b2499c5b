"""Idempotent consumers: a handled event_id is recorded with the handler's effects, in one transaction."""

from collections.abc import Callable

from django.db import IntegrityError, transaction

from wallet.models import ProcessedEvent


def consume(*, consumer: str, event: dict, handler: Callable[[dict], None]) -> bool:
    """Runs `handler` once per (consumer, event_id); returns False for a repeat, which does nothing."""
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(consumer=consumer, event_id=event["event_id"])
            handler(event)
    except IntegrityError:
        if ProcessedEvent.objects.filter(consumer=consumer, event_id=event["event_id"]).exists():
            return False
        raise
    return True
