"""Without Redis (the embedded default) there is no stream to consume: the consumers run in-process, after commit."""

from django.conf import settings
from django.db import transaction

from wallet.models import OutboxEvent


def dispatch_after_commit(events: list[OutboxEvent]) -> None:
    if not settings.EVENTS_IN_PROCESS:
        return

    def dispatch():
        from wallet.events.consumers import consume_batch
        from wallet.events.handlers import CONSUMERS
        from wallet.events.transports import message

        messages = [message(event) for event in events]
        for name, handler in CONSUMERS.items():
            consume_batch(consumer=name, events=messages, handler=handler)

    # robust: a failing consumer is logged, never turned into an error for a movement that committed.
    transaction.on_commit(dispatch, robust=True)
