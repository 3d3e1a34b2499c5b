"""What each event consumer does with an event (run from the Redis streams, or in-process without Redis)."""

from wallet.events.realtime import push_to_wallets
from wallet.services.receipts import receipts_prepare


def prepare_receipts(event: dict) -> None:
    if event["type"] == "transaction.succeeded":
        receipts_prepare(transaction_ids=[event["transaction_id"]])


CONSUMERS = {"receipts": prepare_receipts, "realtime": push_to_wallets}
