"""Without Redis (the embedded default) there is no stream to consume: the consumers run in-process, after commit."""

import logging

from django.conf import settings
from django.db import transaction

from wallet.models import OutboxEvent

logger = logging.getLogger(__name__)


def dispatch_after_commit(events: list[OutboxEvent]) -> None:
    if not settings.EVENTS_IN_PROCESS:
        return

    def dispatch():
        from wallet.events.consumers import consume_batch
        from wallet.events.handlers import CONSUMERS
        from wallet.events.transports import message

        messages = [message(event) for event in events]
        for name, handler in CONSUMERS.items():
            # Each on its own: a failing consumer is logged, and neither stops the others nor becomes an error for
            # a movement that committed.
            try:
                consume_batch(consumer=name, events=messages, handler=handler)
            except Exception:
                logger.exception("in-process consumer %s failed on %d event(s)", name, len(messages))

    transaction.on_commit(dispatch)
