"""What each event consumer does with a batch of events (from the Redis streams, or in-process without Redis)."""

from wallet.events.realtime import push_to_wallets
from wallet.events.webhooks import queue_deliveries
from wallet.services.receipts import receipts_prepare


def prepare_receipts(events: list[dict]) -> None:
    receipts_prepare(
        transaction_ids=[event["transaction_id"] for event in events if event["type"] == "transaction.succeeded"]
    )


CONSUMERS = {"receipts": prepare_receipts, "realtime": push_to_wallets, "webhooks": queue_deliveries}
