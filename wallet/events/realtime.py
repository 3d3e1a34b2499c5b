"""Sends each wallet's events to its channel group, where walletEvents subscriptions listen."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def push_to_wallets(events: list[dict]) -> None:
    """In order, each event to the groups of the wallets it touched: one hop into the event loop per batch."""
    layer = get_channel_layer()

    async def send() -> None:
        for event in events:
            for wallet_id in sorted({entry["wallet_id"] for entry in event["entries"]} | {event["sender_wallet_id"]}):
                await layer.group_send(f"wallet.{wallet_id}", {"type": "wallet.event", "event": event})

    async_to_sync(send)()
