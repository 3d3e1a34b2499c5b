"""What each event consumer does with an event (run from the Redis streams, or in-process without Redis)."""

from wallet.events.realtime import push_to_wallets
from wallet.services.receipts import receipts_request


def request_receipts(event: dict) -> None:
    if event["type"] == "transaction.succeeded":
        receipts_request(transaction_id=event["transaction_id"])


CONSUMERS = {"receipts": request_receipts, "realtime": push_to_wallets}
