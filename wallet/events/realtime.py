"""Sends each wallet's events to its channel group, where walletEvents subscriptions listen."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def wallets_touched(event: dict) -> set[int]:
    """A movement touches the wallets its entries moved and its sender's; a payment request its two parties'."""
    if event["type"].startswith("payment_request."):
        return {event["requester_wallet_id"], event["payer_wallet_id"]}
    return {entry["wallet_id"] for entry in event["entries"]} | {event["sender_wallet_id"]}


def push_to_wallets(events: list[dict]) -> None:
    """In order, each event to the groups of the wallets it touched: one hop into the event loop per batch."""
    layer = get_channel_layer()

    async def send() -> None:
        for event in events:
            for wallet_id in sorted(wallets_touched(event)):
                await layer.group_send(f"wallet.{wallet_id}", {"type": "wallet.event", "event": event})

    async_to_sync(send)()
